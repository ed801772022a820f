"""Expanding a linkage plan into the tasks a new incident gets."""

from dataclasses import dataclass
from decimal import Decimal

from agencies.models import Agency

from .models import EscalationPolicy, LinkagePlan, PlanStep


@dataclass(frozen=True)
class PlannedTask:
    agency_kind: str
    agency: Agency | None  # None: no agency of that kind to bring in
    task: str
    accept_within_seconds: int
    step: PlanStep | None


def choose_agency(
    agency_kind: str, latitude: Decimal | None, longitude: Decimal | None, agencies: list[Agency]
) -> Agency | None:
    """The agency of a kind for a place: the one whose jurisdiction covers it, else the default.

    With a single agency of the kind, that one, default or not: there is nobody else to call.
    """
    of_kind = [agency for agency in agencies if agency.kind == agency_kind]
    covering = [agency for agency in of_kind if agency.covers(latitude, longitude)]
    if covering:
        return covering[0]
    default = next((agency for agency in of_kind if agency.is_default_for_kind), None)
    if default is not None:
        return default
    return of_kind[0] if len(of_kind) == 1 else None


def plan_steps_for(kind: str) -> list[PlanStep]:
    plan = LinkagePlan.objects.filter(kind=kind, is_active=True).first()
    if plan is None:
        return []
    return list(
        plan.steps.select_related("escalation_policy")
        .prefetch_related("escalation_policy__steps")
        .order_by("order", "id")
    )


def plan_expand(
    *, kind: str, severity: int, latitude: Decimal | None = None, longitude: Decimal | None = None
) -> list[PlannedTask]:
    """The tasks the plan for `kind` gives at `severity`, each with the agency it would go to."""
    agencies = list(Agency.objects.filter(is_active=True).order_by("code"))
    return [
        PlannedTask(
            agency_kind=step.agency_kind,
            agency=choose_agency(step.agency_kind, latitude, longitude, agencies),
            task=step.task,
            accept_within_seconds=step.accept_within_seconds,
            step=step,
        )
        for step in plan_steps_for(kind)
        if step.applies_to(severity)
    ]


def default_escalation_policy() -> EscalationPolicy | None:
    return EscalationPolicy.objects.filter(is_default=True).prefetch_related("steps").first()
