"""Plan expansion: which agencies a new incident brings in, by kind and severity."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from agencies.models import Agency, AgencyKind
from incidents.models import AssignmentStatus, EscalationPolicy, IncidentKind, PlanStep
from incidents.plans import plan_expand
from incidents.services import assignment_decline, incident_open, incident_update

FIRE, POLICE, MEDICAL, TRAFFIC, ENV = "km-fire", "km-police", "km-medical", "km-traffic", "km-environment"

# Written out by hand from the demo plans (DESIGN: hazmat brings fire, environment and police at every
# level, medical and traffic from level III up). Level 1 is the most serious.
EXPECTED = {
    "building_fire": {4: {FIRE, MEDICAL}, 3: {FIRE, MEDICAL, POLICE, TRAFFIC}},
    "forest_fire": {4: {FIRE, POLICE}, 3: {FIRE, POLICE, MEDICAL, TRAFFIC}, 2: {FIRE, POLICE, MEDICAL, TRAFFIC, ENV}},
    "traffic_accident": {4: {TRAFFIC, MEDICAL}, 3: {TRAFFIC, MEDICAL, FIRE, POLICE}},
    "hazmat": {4: {FIRE, ENV, POLICE}, 3: {FIRE, ENV, POLICE, MEDICAL, TRAFFIC}},
    "flood": {4: {FIRE}, 3: {FIRE, POLICE, MEDICAL, TRAFFIC}, 2: {FIRE, POLICE, MEDICAL, TRAFFIC, ENV}},
    "earthquake": {
        4: {FIRE, MEDICAL, POLICE},
        3: {FIRE, MEDICAL, POLICE, TRAFFIC},
        2: {FIRE, MEDICAL, POLICE, TRAFFIC, ENV},
    },
    "collapse": {4: {FIRE, MEDICAL}, 3: {FIRE, MEDICAL, POLICE}, 2: {FIRE, MEDICAL, POLICE, TRAFFIC}},
    "mass_casualty": {4: {MEDICAL, POLICE}, 3: {MEDICAL, POLICE, FIRE, TRAFFIC}},
    "pollution": {4: {ENV}, 3: {ENV, POLICE}, 2: {ENV, POLICE, FIRE, MEDICAL}},
    "public_health": {4: {MEDICAL}, 3: {MEDICAL, POLICE, ENV}},
    "other": {4: {POLICE}},
}


def expected_agencies(kind: str, severity: int) -> set[str]:
    """The set for the nearest listed level at or below the given seriousness."""
    levels = EXPECTED[kind]
    return levels[min(level for level in levels if level >= severity)]


CASES = [(kind, severity) for kind in IncidentKind.values for severity in (1, 2, 3, 4)]


def test_every_kind_has_a_plan(demo):
    assert set(EXPECTED) == set(IncidentKind.values)


@pytest.mark.parametrize(("kind", "severity"), CASES)
def test_opening_brings_in_the_plans_agencies(demo, kind, severity):
    incident = incident_open(by=demo.dispatcher, kind=kind, severity=severity, title="演练")
    assignments = list(incident.assignments.select_related("agency"))
    assert {a.agency.code for a in assignments} == expected_agencies(kind, severity)
    assert all(a.status == AssignmentStatus.PENDING for a in assignments)


def test_hazmat_level_four_leaves_out_medical_and_traffic(demo):
    incident = incident_open(by=demo.dispatcher, kind="hazmat", severity=4, title="小量泄漏")
    assert set(incident.assignments.values_list("agency__code", flat=True)) == {FIRE, ENV, POLICE}


def test_each_task_gets_its_steps_text_and_deadline(demo):
    before = timezone.now()
    incident = incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="氯气泄漏")
    fire = incident.assignments.get(agency__code=FIRE)
    step = PlanStep.objects.get(plan__kind="hazmat", agency_kind=AgencyKind.FIRE)
    assert fire.task == step.task
    assert before + timedelta(seconds=step.accept_within_seconds) <= fire.accept_by
    assert fire.accept_by <= timezone.now() + timedelta(seconds=step.accept_within_seconds)
    assert fire.next_escalation_at == fire.accept_by


def test_explicit_agencies_override_the_plan(demo):
    incident = incident_open(
        by=demo.dispatcher, kind="hazmat", severity=1, title="指定单位", agencies=[POLICE, "km-traffic", POLICE]
    )
    tasks = {a.agency.code: a for a in incident.assignments.select_related("agency")}
    assert set(tasks) == {POLICE, TRAFFIC}
    # An agency the plan knows keeps the plan's task for its kind.
    assert tasks[TRAFFIC].task == PlanStep.objects.get(plan__kind="hazmat", agency_kind="traffic").task


def test_the_agency_whose_jurisdiction_covers_the_point_is_chosen(demo):
    district = Agency.objects.create(
        code="km-fire-chenggong",
        name="呈贡区消防救援大队",
        kind=AgencyKind.FIRE,
        jurisdiction_south=Decimal("24.80"),
        jurisdiction_north=Decimal("24.95"),
        jurisdiction_west=Decimal("102.75"),
        jurisdiction_east=Decimal("102.95"),
    )
    # The city detachment's box covers Chenggong too: the first covering agency by code wins, so
    # make the city one the default and drop its box to test "covering beats default".
    Agency.objects.filter(code=FIRE).update(
        jurisdiction_south=None, jurisdiction_north=None, jurisdiction_west=None, jurisdiction_east=None
    )
    inside = plan_expand(kind="building_fire", severity=4, latitude=Decimal("24.88"), longitude=Decimal("102.82"))
    outside = plan_expand(kind="building_fire", severity=4, latitude=Decimal("25.04"), longitude=Decimal("102.71"))
    nowhere = plan_expand(kind="building_fire", severity=4)
    assert next(t.agency for t in inside if t.agency_kind == "fire") == district
    assert next(t.agency for t in outside if t.agency_kind == "fire").code == FIRE
    assert next(t.agency for t in nowhere if t.agency_kind == "fire").code == FIRE


def test_a_step_with_no_agency_of_its_kind_is_recorded_not_lost(demo):
    Agency.objects.filter(code=ENV).update(is_active=False)
    incident = incident_open(by=demo.dispatcher, kind="hazmat", severity=4, title="无环保局")
    assert set(incident.assignments.values_list("agency__code", flat=True)) == {FIRE, POLICE}
    assert incident.timeline.filter(data__missing_agency_kind="environment").exists()


def test_escalation_policy_is_copied_so_later_edits_do_not_change_it(demo):
    incident = incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="火警")
    fire = incident.assignments.get(agency__code=FIRE)
    policy = EscalationPolicy.objects.get(is_default=True)
    assert fire.escalation_snapshot["steps"] == [
        {"level": 1, "notify": "agency_chiefs"},
        {"level": 2, "notify": "commander_and_dispatchers"},
    ]
    policy.interval_seconds = 5
    policy.max_level = 9
    policy.save()
    policy.steps.all().delete()
    fire.refresh_from_db()
    assert fire.escalation_snapshot["interval_seconds"] == 120
    assert fire.escalation_snapshot["max_level"] == 4
    assert len(fire.escalation_snapshot["steps"]) == 2


def test_raising_the_severity_brings_in_the_steps_that_now_apply(demo):
    incident = incident_open(by=demo.dispatcher, kind="hazmat", severity=4, title="泄漏扩大")
    police = incident.assignments.get(agency__code=POLICE)
    assignment_decline(assignment=police, by=demo.police_liaison, reason="警力不足 no units")
    incident_update(incident=incident, by=demo.commander, severity=2)
    open_codes = set(
        incident.assignments.exclude(status=AssignmentStatus.DECLINED).values_list("agency__code", flat=True)
    )
    # Medical and traffic join; police, whose step applied before, is not brought back by itself.
    assert open_codes == {FIRE, ENV, MEDICAL, TRAFFIC}
