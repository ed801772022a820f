"""The browser pages: dispatcher intake, the shared incident page, the agency dashboard, the board.

Thin: reads through selectors (only what the user may see; anything else is a 404), writes through
services; the forms only shape input. Every POST answers with a redirect (or the form again with its
errors), so a reload never repeats an action.
"""

import functools
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import CheckboxSelectMultiple
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from agencies.models import Agency
from agencies.selectors import agency_memberships_of
from linkage.numbers import coordinate_or_none

from . import regions, services
from .board import board_picture
from .errors import TransitionError
from .filters import IncidentFilter
from .forms import (
    AddAgencyForm,
    DeclineForm,
    IncidentOpenForm,
    NoteForm,
    ProgressForm,
    ReasonForm,
    SeverityForm,
    add_service_errors,
)
from .idempotency import FormTokenInvalid, form_token_check, form_token_issue, open_once
from .models import (
    OPEN_ASSIGNMENT_STATUSES,
    OPEN_INCIDENT_STATUSES,
    AssignmentStatus,
    IdempotencyKey,
    IdempotencyScope,
    IncidentKind,
    Severity,
)
from .plans import plan_expand
from .regions import answer_region, region_asked
from .roles import is_commander, is_dispatcher
from .selectors import (
    accept_times_today,
    access_assignment,
    access_incident,
    agency_dashboard,
    assignment_ids_actable_by,
    duty_contacts,
    incident_list,
    similar_incidents,
    timeline_for,
)
from .transitions import DISPATCH, note_allowed, require

A = AssignmentStatus


def _once(compute):
    """A context value computed when a template first reads it (Django calls a callable context value)
    and then kept: a page region pays only for the queries of what it shows."""
    return functools.cache(compute)


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to the page the form was on (`next`), if it is one of ours; else `default`."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


def _run(request: HttpRequest, action, *, done: str) -> None:
    """Call a service; a refused move, bad input or missing permission becomes a message, not an error page."""
    try:
        action()
    except TransitionError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this."))
    else:
        messages.success(request, done)


# --- Lists ---------------------------------------------------------------------------------


INDEX_ROWS = 200  # the newest this many incidents on /incidents/; the header gives the whole count


@login_required
@require_GET
def incident_index(request: HttpRequest) -> HttpResponse:
    """Every incident the user may see, filtered by the same FilterSet as the API."""
    incidents = incident_list(request.user).order_by("-created_at")
    filterset = IncidentFilter(request.GET or {"status": list(OPEN_INCIDENT_STATUSES)}, incidents)
    # On the page the statuses are checkboxes (the API reads the same filter, as repeated ?status=).
    status = filterset.form.fields["status"]
    status.widget = CheckboxSelectMultiple(choices=status.choices)
    valid = filterset.is_valid()
    shown = list(filterset.qs[:INDEX_ROWS]) if valid else []
    # The header counts every match, not the rows shown: a capped list says how many it leaves out.
    total = len(shown) if len(shown) < INDEX_ROWS else filterset.qs.count()
    return render(
        request,
        "incidents/index.html",
        {"filter": filterset, "incidents": shown, "total": total, "can_dispatch": is_dispatcher(request.user)},
    )


# --- Intake --------------------------------------------------------------------------------


def _severity_from(value) -> int:
    try:
        severity = int(value)
    except (TypeError, ValueError):
        return Severity.IV
    return severity if severity in Severity.values else Severity.IV


def _plan_context(*, kind, severity, latitude=None, longitude=None, checked=None, user=None, exercise=False) -> dict:
    """What the plan for kind and severity brings in, and every other agency the dispatcher may add;
    with `user` and a position, the open incidents of the same kind nearby (likely the same event),
    drills for a drill (`exercise`) and real incidents for a real call."""
    kind = kind if kind in IncidentKind.values else ""
    tasks = plan_expand(kind=kind, severity=severity, latitude=latitude, longitude=longitude) if kind else []
    planned = [task.agency.code for task in tasks if task.agency is not None]
    checked = set(planned) if checked is None else set(checked)
    others = list(Agency.objects.filter(is_active=True).exclude(code__in=planned).order_by("code"))
    return {
        "kind": kind,
        "severity": severity,
        "plan_tasks": tasks,
        "other_agencies": others,
        "others_checked": any(agency.code in checked for agency in others),
        "checked": checked,
        "plan_for": IncidentOpenForm.plan_key(kind, severity),
        "similar": (
            similar_incidents(user, kind=kind, latitude=latitude, longitude=longitude, exercise=exercise)
            if user is not None and kind and latitude is not None and longitude is not None
            else []
        ),
    }


@login_required
@require_GET
def incident_plan_preview(request: HttpRequest) -> HttpResponse:
    """The agencies part of the intake form, for the kind and severity chosen so far (htmx swaps it)."""
    require(request.user, DISPATCH)
    kind, severity = request.GET.get("kind", ""), _severity_from(request.GET.get("severity"))
    # A new point on the map keeps the dispatcher's ticks; a new kind or severity is a new plan.
    same_plan = request.GET.get("plan_for") == IncidentOpenForm.plan_key(kind, severity)
    context = _plan_context(
        kind=kind,
        severity=severity,
        latitude=coordinate_or_none(request.GET.get("latitude"), axis="latitude"),
        longitude=coordinate_or_none(request.GET.get("longitude"), axis="longitude"),
        checked=request.GET.getlist("agencies") if same_plan else None,
        user=request.user,
        exercise=request.GET.get("exercise") in ("on", "true", "1"),
    )
    return render(request, "incidents/_plan_preview.html", context)


def _form_token_used(user, token: str | None):
    """The incident this intake form's token already opened, or None."""
    if not token:
        return None
    row = (
        IdempotencyKey.objects.filter(
            user=user, scope=IdempotencyScope.FORM, key=token, expires_at__gt=timezone.now(), incident__isnull=False
        )
        .select_related("incident")
        .first()
    )
    return row.incident if row else None


def _already_sent(request: HttpRequest, incident) -> HttpResponse:
    messages.info(
        request,
        _("This form was already sent and opened %(reference)s: here it is. Nothing was dispatched twice.")
        % {"reference": incident.reference},
    )
    return redirect("incident-page", pk=incident.pk)


@login_required
def incident_new(request: HttpRequest) -> HttpResponse:
    """The intake form. Each rendering carries a one-time token (`form_token`): the first POST with it
    opens the incident, any later or simultaneous POST with it is sent to that same incident; an
    expired or unknown token keeps what was typed and asks to dispatch again with a fresh one."""
    require(request.user, DISPATCH)
    if request.method == "POST":
        data = request.POST
        token = data.get("form_token")
        first = _form_token_used(request.user, token)
        if first is not None:
            return _already_sent(request, first)
        form = IncidentOpenForm(data)
        kind, severity = data.get("kind", ""), _severity_from(data.get("severity"))
        fresh_plan = data.get("plan_for") != IncidentOpenForm.plan_key(kind, severity)
        try:
            token = form_token_check(request.user, token)
        except FormTokenInvalid as exc:
            token = None
            form.add_error(None, _TOKEN_EXPIRED if exc.expired else _TOKEN_UNKNOWN)
        if form.is_valid():
            cleaned = form.cleaned_data
            if fresh_plan:
                form.add_error(
                    "agencies", _("The plan changed with the kind or severity: check the agencies, then dispatch.")
                )
            elif not cleaned["agencies"]:
                form.add_error("agencies", _("Choose at least one agency to bring in."))
            else:
                try:
                    incident, opened = open_once(
                        by=request.user,
                        scope=IdempotencyScope.FORM,
                        key=token,
                        open_incident=lambda: services.incident_open(
                            by=request.user,
                            kind=cleaned["kind"],
                            severity=cleaned["severity"],
                            title=cleaned["title"],
                            description=cleaned["description"],
                            address=cleaned["address"],
                            latitude=cleaned["latitude"],
                            longitude=cleaned["longitude"],
                            exercise=cleaned["exercise"],
                            agencies=cleaned["agencies"],
                        ),
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    if not opened:
                        return _already_sent(request, incident)
                    count = incident.assignments.count()
                    messages.success(
                        request,
                        _("%(reference)s dispatched to %(count)d agencies.")
                        % {"reference": incident.reference, "count": count},
                    )
                    return redirect("incident-page", pk=incident.pk)
        plan = _plan_context(
            kind=kind,
            severity=severity,
            latitude=coordinate_or_none(data.get("latitude"), axis="latitude"),
            longitude=coordinate_or_none(data.get("longitude"), axis="longitude"),
            checked=None if fresh_plan else data.getlist("agencies"),
            user=request.user,
            exercise=data.get("exercise") in ("on", "true", "1"),
        )
        status = 400
    else:
        kind = request.GET.get("kind", "")
        form = IncidentOpenForm(initial={"kind": kind} if kind in IncidentKind.values else None)
        plan = _plan_context(kind=kind, severity=Severity.IV, user=request.user)
        token, status = None, 200
    context = {"form": form, "form_token": token or form_token_issue(request.user), **plan}
    return render(request, "incidents/new.html", context, status=status)


_TOKEN_EXPIRED = gettext_lazy("This form was open for too long: check it and press Dispatch again.")
_TOKEN_UNKNOWN = gettext_lazy(
    "This form could not be checked (it was not opened by you here): check it and press Dispatch again."
)


# --- The shared incident page ----------------------------------------------------------------


@login_required
@require_GET
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The shared incident page; an htmx request for one of its regions (incidents/regions.py) gets that
    partial alone, and the values below are computed only when a template reads them (`_once`)."""
    incident = access_incident(request.user, pk)
    region = region_asked(request, regions.INCIDENT)
    user = request.user
    assignments = _once(
        lambda: list(incident.assignments.select_related("agency", "accepted_by").order_by("created_at", "id"))
    )
    dispatcher, commander = is_dispatcher(user), is_commander(user)
    on_it = _once(lambda: {a.agency_id for a in assignments() if a.is_open})
    timeline = _once(lambda: list(timeline_for(user, incident)))
    response = render(
        request,
        region.template if region else "incidents/detail.html",
        {
            "incident": incident,
            "assignments": assignments,
            "actable": _once(lambda: assignment_ids_actable_by(user, [a.pk for a in assignments()])),
            "timeline": timeline,
            "last_seq": _once(lambda: timeline()[-1].pk if timeline() else 0),
            "contacts": _once(lambda: duty_contacts(user, assignments())),
            "declined_agencies": _once(
                lambda: {a.agency_id for a in assignments() if a.status == A.DECLINED} - on_it()
            ),
            "open_task_count": _once(lambda: sum(1 for a in assignments() if a.is_open)),
            "is_dispatcher": dispatcher,
            "is_commander": commander,
            "note_form": NoteForm() if note_allowed(incident) else None,
            "severity_form": SeverityForm(initial={"severity": incident.severity}),
            "add_form": _once(lambda: AddAgencyForm(exclude=on_it()) if dispatcher and incident.is_open else None),
            "now": timezone.now(),
        },
    )
    return answer_region(response, region)


@login_required
@require_POST
def incident_note(request: HttpRequest, pk: int) -> HttpResponse:
    incident = access_incident(request.user, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: services.note_add(incident=incident, by=request.user, text=form.cleaned_data["text"]),
            done=_("Note posted."),
        )
    else:
        messages.error(request, _("Write the note first."))
    return _back(request, reverse("incident-page", args=[incident.pk]))


@login_required
@require_POST
def incident_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """contain / close / cancel (with an optional reason) / reopen: the URL admits only these."""
    incident = access_incident(request.user, pk)
    move, done = PAGE_ACTIONS[action]
    back = _back(request, reverse("incident-page", args=[incident.pk]))
    extra = {}
    if action == "cancel":
        reason = _confirmed_reason(request)
        if reason is None:
            return back
        extra["reason"] = reason
    if action == "close" and not _confirmed(request):
        open_tasks = incident.assignments.filter(status__in=OPEN_ASSIGNMENT_STATUSES).count()
        if open_tasks:
            messages.error(
                request,
                ngettext(
                    "%(count)d task is still open: confirm that closing cancels it.",
                    "%(count)d tasks are still open: confirm that closing cancels them.",
                    open_tasks,
                )
                % {"count": open_tasks},
            )
            return back
    _run(request, lambda: move(incident=incident, by=request.user, **extra), done=str(done))
    return back


def _confirmed(request: HttpRequest) -> bool:
    """A destructive page action carries confirm=yes: the second step its form shows before the button."""
    return request.POST.get("confirm") == "yes"


def _confirmed_reason(request: HttpRequest) -> str | None:
    """The reason of a confirmed destructive action (cancel, take off); None, with a message saying
    what is missing, when it is not confirmed or has no reason (then nothing changes)."""
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"].strip() if form.is_valid() else ""
    if not _confirmed(request) or not reason:
        messages.error(request, _("Give a reason and confirm: nothing was changed."))
        return None
    return reason


# The incident page's forms: each action of transitions.INCIDENT, its service and what the page says after.
PAGE_ACTIONS = {
    "contain": (services.incident_contain, gettext_lazy("Incident contained.")),
    "close": (services.incident_close, gettext_lazy("Incident closed.")),
    "cancel": (services.incident_cancel, gettext_lazy("Incident cancelled.")),
    "reopen": (services.incident_reopen, gettext_lazy("Incident reopened.")),
}


@login_required
@require_POST
def incident_severity(request: HttpRequest, pk: int) -> HttpResponse:
    incident = access_incident(request.user, pk)
    form = SeverityForm(request.POST)
    if form.is_valid():
        _run(
            request,
            lambda: services.incident_update(
                incident=incident, by=request.user, severity=form.cleaned_data["severity"]
            ),
            done=_("Severity changed."),
        )
    else:
        messages.error(request, _("Choose a severity from I to IV."))
    return _back(request, reverse("incident-page", args=[incident.pk]))


@login_required
@require_POST
def incident_add_agency(request: HttpRequest, pk: int) -> HttpResponse:
    incident = access_incident(request.user, pk)
    form = AddAgencyForm(request.POST)
    if form.is_valid():
        agency = form.cleaned_data["agency"]
        _run(
            request,
            lambda: services.assignment_add(
                incident=incident, by=request.user, agency=agency, task=form.cleaned_data["task"]
            ),
            done=_("%(agency)s brought in.") % {"agency": agency.display_name},
        )
    else:
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
    return _back(request, reverse("incident-page", args=[incident.pk]))


# --- Assignments ---------------------------------------------------------------------------


@login_required
@require_POST
def assignment_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    assignment = access_assignment(request.user, pk)
    by = request.user
    if action == "accept":
        _run(request, lambda: services.assignment_accept(assignment=assignment, by=by), done=_("Task accepted."))
    elif action == "decline":
        form = DeclineForm(request.POST)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            _run(
                request,
                lambda: services.assignment_decline(assignment=assignment, by=by, reason=reason),
                done=_("Task declined."),
            )
        else:
            messages.error(request, _("Give a reason for declining."))
    elif action == "progress":
        form = ProgressForm(request.POST)
        if form.is_valid():
            status, note = form.cleaned_data["status"], form.cleaned_data["note"]
            _run(
                request,
                lambda: services.assignment_progress(assignment=assignment, by=by, status=status, note=note),
                done=_("Reported: %(status)s.") % {"status": A(status).label},
            )
        else:
            messages.error(request, _("Report en route, on scene or completed."))
    elif action == "cancel":
        reason = _confirmed_reason(request)
        if reason is not None:
            _run(
                request,
                lambda: services.assignment_cancel(assignment=assignment, by=by, reason=reason),
                done=_("Agency taken off the incident."),
            )
    else:
        raise PermissionDenied
    return _back(request, reverse("incident-page", args=[assignment.incident_id]))


# --- The agency dashboard ----------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The signed-in member's agency: pending tasks first, each with its countdown."""
    memberships = list(agency_memberships_of(request.user))
    if not memberships:
        if is_commander(request.user) or is_dispatcher(request.user):
            return redirect("board")
        raise PermissionDenied
    agencies = [membership.agency for membership in memberships]
    wanted = request.GET.get("agency")
    agency = next((a for a in agencies if a.code == wanted), agencies[0])
    assignments = list(agency_dashboard(request.user, agency, since=timezone.now() - timedelta(hours=12)))
    region = region_asked(request, regions.DASHBOARD)
    response = render(
        request,
        region.template if region else "incidents/dashboard.html",
        {
            "agency": agency,
            "agencies": agencies,
            "membership": next(m for m in memberships if m.agency_id == agency.pk),
            "assignments": assignments,
            "pending_count": sum(1 for a in assignments if a.status == A.PENDING),
            "actable": assignment_ids_actable_by(request.user, [a.pk for a in assignments]),
            "now": timezone.now(),
        },
    )
    return answer_region(response, region)


# --- The situation board ---------------------------------------------------------------------


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """For the wall screen: active incidents by severity, every agency's state, the map, the KPIs."""
    require(request.user, DISPATCH)  # dispatchers and commanders
    now = timezone.now()
    region = region_asked(request, regions.BOARD)
    context = {"is_commander": is_commander(request.user), "is_dispatcher": is_dispatcher(request.user), "now": now}
    kpis_only = region is not None and region.id == "board-kpis"
    card = region.pk_asked(request) if region is not None else None  # one card: region board-incident
    if not kpis_only:
        context |= _board_cards(request.user, now, only=card, region=region.id if region else None)
    if region is None or kpis_only:
        agencies = list(Agency.objects.filter(is_active=True).order_by("code"))
        medians = accept_times_today(now=now)
        context["kpis"] = [(agency, medians.get(agency.pk)) for agency in agencies]
    # A card whose incident left the board answers empty: the swap removes it.
    response = render(request, region.template if region else "incidents/board.html", {**context, "card": card})
    return answer_region(response, region, card)


def _board_cards(user, now, *, only: int | None = None, region: str | None = None) -> dict:
    """The board's incidents (each task marked `overdue`), their counts over every open incident, the
    levels and how many are not shown, and the map points: constant queries (incidents/board.py), only
    those the region asked for needs (`region`: None for the whole page).
    `only`: that incident's card alone (none if it is not on the board)."""
    cards, counts = region in (None, "board-body", "board-markers"), region in (None, "board-counts")
    picture = board_picture(user, now, only=only, cards=cards, counts=counts)
    incidents = picture.get("incidents", [])
    for incident in incidents:
        for assignment in incident.assignments.all():
            assignment.overdue = assignment.overdue_at(now)
    return {
        **picture,
        "map_points": [
            {
                "id": incident.pk,
                "lat": float(incident.latitude),
                "lng": float(incident.longitude),
                "severity": incident.severity,
                "label": f"{incident.reference} {incident.title}",
                "url": reverse("incident-page", args=[incident.pk]),
            }
            for incident in incidents
            if incident.latitude is not None and incident.longitude is not None
        ],
    }
