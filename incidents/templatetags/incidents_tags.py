"""Small display helpers shared by the pages: names in the reader's language, timeline lines, durations."""

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from agencies.models import Agency, AgencyKind
from linkage.bilingual import in_language

from ..escalation import escalation_reasons
from ..models import (
    TEXT_LIMITS,
    Assignment,
    AssignmentStatus,
    IncidentKind,
    IncidentStatus,
    Severity,
    TimelineEntry,
    TimelineKind,
)
from ..transitions import moves_by_action

register = template.Library()

_STATUS_LABELS = {**dict(IncidentStatus.choices), **dict(AssignmentStatus.choices)}


def _english() -> bool:
    return (get_language() or "").startswith("en")


@register.filter
def local_name(agency: Agency) -> str:
    """The agency's name in the reader's language, where it has one."""
    if agency is None:
        return ""
    return agency.name_en if _english() and agency.name_en else agency.name


@register.filter
def agency_kind_label(kind: str) -> str:
    return str(AgencyKind(kind).label) if kind in AgencyKind.values else kind


@register.filter
def roman(severity) -> str:
    try:
        return Severity(int(severity)).name
    except (TypeError, ValueError):
        return ""


def _label(status) -> str:
    return str(_STATUS_LABELS.get(status, status))


@register.simple_tag
def describe_entry(entry) -> str:
    """One line of the timeline in the reader's language, made from the entry's kind and data."""
    data = entry.data or {}
    agency = entry.assignment.agency if entry.assignment_id and entry.assignment else None
    who = local_name(agency) if agency else data.get("agency", "")
    if entry.kind == TimelineKind.INCIDENT_OPENED:
        kind = IncidentKind(data["kind"]).label if data.get("kind") in IncidentKind.values else ""
        return _("Incident opened: %(kind)s, level %(level)s") % {"kind": kind, "level": roman(data.get("severity"))}
    if entry.kind == TimelineKind.INCIDENT_STATUS:
        return _("Incident %(from)s → %(to)s") % {"from": _label(data.get("from")), "to": _label(data.get("to"))}
    if entry.kind == TimelineKind.INCIDENT_UPDATED:
        if "missing_agency_kind" in data:
            label = agency_kind_label(data["missing_agency_kind"])
            return _("No %(kind)s agency to bring in for this plan step.") % {"kind": label}
        if "cap_event" in data or "cap_urgency" in data:  # incidents/cap.py's notes; the text says what
            return _("CAP message")
        if "severity" in data:
            return _("Severity %(from)s → %(to)s") % {
                "from": roman(data["severity"].get("from")),
                "to": roman(data["severity"].get("to")),
            }
        return _("Details changed: %(fields)s") % {"fields": ", ".join(sorted(data))}
    if entry.kind == TimelineKind.ASSIGNMENT_CREATED:
        return _("%(agency)s brought in") % {"agency": who}
    if entry.kind == TimelineKind.ASSIGNMENT_STATUS:
        return _("%(agency)s: %(from)s → %(to)s") % {
            "agency": who,
            "from": _label(data.get("from")),
            "to": _label(data.get("to")),
        }
    if entry.kind == TimelineKind.ASSIGNMENT_ESCALATED:
        line = _("%(agency)s: not accepted in time, escalated to level %(level)s") % {
            "agency": who,
            "level": data.get("level", "?"),
        }
        # Steps passed over because nobody could hear them ("no duty chief at …: passed to level 2").
        return " — ".join([line, *escalation_reasons(data, who)])
    return _("Note")


@register.filter
def entry_text_shown(entry) -> bool:
    """Whether the stored text adds something the line above does not already say."""
    missing_agency = entry.kind == TimelineKind.INCIDENT_UPDATED and "missing_agency_kind" in (entry.data or {})
    return bool(entry.text) and not missing_agency


@register.simple_tag(takes_context=True)
def moves_for(context, obj) -> dict:
    """The moves the signed-in user may make on `obj` now (transitions.available_moves), by action:
    `{% moves_for assignment as moves %}{% if moves.accept %}…{{ moves.progress.target_label }}`.
    A page that checked its tasks' object permission in one query passes the ids as `actable`."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return {}
    actable = context.get("actable")
    if callable(actable):
        actable = actable()
    may_act = obj.pk in actable if actable is not None and isinstance(obj, Assignment) else None
    return moves_by_action(obj, user, may_act=may_act)


@register.simple_tag
def text_limit(field: str) -> int:
    """The longest text `field` takes (models.TEXT_LIMITS), for a form's maxlength."""
    return TEXT_LIMITS[field]


@register.filter
def overdue_at(assignment, now) -> bool:
    """Whether the task is overdue at `now` (Assignment.overdue_at: the one definition)."""
    return assignment.overdue_at(now or timezone.now())


# Icons as inline SVG drawn in the text colour: no emoji font needed (⏰ rendered as a box on machines
# without one), the same shape everywhere, and colour is never the only signal.
_SVG = (
    '<svg class="icon icon-{name}" viewBox="0 0 16 16" width="1em" height="1em" aria-hidden="true" '
    'focusable="false">{shape}</svg>'
)
_SHAPES = {
    "pending": '<circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" stroke-width="2"/>',
    "half": '<circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" stroke-width="2"/>'
    '<path d="M8 2.5a5.5 5.5 0 0 1 0 11z" fill="currentColor"/>',
    "play": '<path d="M4 2.5l9 5.5-9 5.5z" fill="currentColor"/>',
    "dot": '<circle cx="8" cy="8" r="6" fill="currentColor"/>',
    "check": '<path d="M2.5 8.5l3.5 3.5 7.5-8" fill="none" stroke="currentColor" stroke-width="2.4" '
    'stroke-linecap="round" stroke-linejoin="round"/>',
    # A stop sign with a cross: a decline is the loudest state a task can be in.
    "declined": '<path d="M5.4 1.5h5.2l3.9 3.9v5.2l-3.9 3.9H5.4l-3.9-3.9V5.4z" fill="none" stroke="currentColor" '
    'stroke-width="1.8"/>'
    '<path d="M5.5 5.5l5 5m0-5l-5 5" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>',
    "cancelled": '<circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" stroke-width="2"/>'
    '<path d="M4.2 11.8l7.6-7.6" stroke="currentColor" stroke-width="2"/>',
    "clock": '<circle cx="8" cy="8.5" r="6" fill="none" stroke="currentColor" stroke-width="2"/>'
    '<path d="M8 5v3.7l2.5 1.6" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>',
    "warning": '<path d="M8 1.8L14.6 13.8H1.4z" fill="none" stroke="currentColor" stroke-width="1.6" '
    'stroke-linejoin="round"/><path d="M8 6v3.8" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>'
    '<circle cx="8" cy="11.6" r="1" fill="currentColor"/>',
    "phone": '<path d="M4.3 1.5l2.2 2.8-1.3 1.8c.8 1.9 2.1 3.3 4 4.3l1.8-1.3 2.8 2.2-1.2 2.3c-5.3-.3-9.5-4.8-9.7-10z" '
    'fill="currentColor"/>',
    "drill": '<path d="M3 1.5v13" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>'
    '<path d="M4 2h9l-2.2 3.5L13 9H4z" fill="currentColor"/>',
}
_STATUS_SHAPES = {
    "pending": "pending",
    "accepted": "half",
    "en_route": "play",
    "on_scene": "dot",
    "completed": "check",
    "declined": "declined",
    "cancelled": "cancelled",
    "active": "dot",
    "contained": "half",
    "closed": "check",
}


@register.simple_tag
def icon(name: str) -> str:
    """An inline SVG icon (clock, warning, phone, drill, or a state's shape), hidden from screen
    readers: the words next to it say the same."""
    shape = _SHAPES.get(name, _SHAPES["dot"])
    return mark_safe(_SVG.format(name=name, shape=shape))  # noqa: S308 — constant markup


@register.filter
def status_icon(status: str) -> str:
    """A shape for each state, so that colour is never the only signal (inline SVG)."""
    return icon(_STATUS_SHAPES.get(status, "dot"))


def _late_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return _("overdue {n} s").replace("{n}", str(seconds))
    return _("overdue {n} min").replace("{n}", str(seconds // 60))


@register.simple_tag
def overdue_by(deadline, now=None) -> str:
    """How late a deadline is, in words: "overdue 4 min" (whole minutes), "overdue 45 s" under one."""
    if deadline is None:
        return ""
    return _late_text(((now or timezone.now()) - deadline).total_seconds())


@register.simple_tag
def late_templates() -> str:
    """The attributes a ticking countdown needs to say "overdue 4 min" in the reader's language."""
    return format_html('data-t-late-min="{}" data-t-late-s="{}"', _("overdue {n} min"), _("overdue {n} s"))


@register.filter
def cancelled_with_incident(assignment) -> str:
    """Why the system cancelled the task, as of then: "closed" or "cancelled" (the incident's move that
    cancelled it), or "" when it was not cancelled with its incident (taken off by a dispatcher, or not
    cancelled). Not the incident's status now: a closed incident may have been reopened since. From the
    stamps (no query); on a reopened incident, from the task's cancellation timeline entry
    (`data["incident"]`, written by the cascade), one query."""
    if assignment.status != AssignmentStatus.CANCELLED or assignment.cancelled_at is None:
        return ""
    incident = assignment.incident
    if assignment.cancelled_at == incident.cancelled_at:  # cancelling an incident is final: once
        return IncidentStatus.CANCELLED
    closed_now = IncidentStatus.CLOSED if assignment.cancelled_at == incident.closed_at else ""
    if incident.reopened_at is None:
        return closed_now
    # Reopened (and perhaps closed again since): closed_at may be a later close's.
    data = (
        TimelineEntry.objects.filter(
            assignment=assignment, kind=TimelineKind.ASSIGNMENT_STATUS, data__to=AssignmentStatus.CANCELLED
        )
        .order_by("-pk")
        .values_list("data", flat=True)
        .first()
    ) or {}
    why = data.get("incident", "")
    return why if why in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED) else closed_now


@register.filter
def open_task_count(incident) -> int:
    """How many of the incident's tasks are still open (from its prefetched assignments)."""
    return sum(1 for assignment in incident.assignments.all() if assignment.is_open)


@register.filter
def local_text(text) -> str:
    """A text stored as `中文 · English` (plan and assignment tasks, texts Linkage wrote itself, people's
    names: `{{ user.get_full_name|local_text }}`) in the reader's language; any other text as it is."""
    return in_language(text)


@register.filter
def duration_words(seconds) -> str:
    """A duration with its units, never a bare clock-like "1:00": 60 → "1 min" / "1分钟"; 90 → "1 min 30 s"."""
    if seconds is None:
        return "—"
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        if minutes:
            return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
        return _("%(hours)d h") % {"hours": hours}
    if minutes and secs:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": secs}
    if minutes:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(seconds)d s") % {"seconds": secs}
