"""Small display helpers shared by the pages: names in the reader's language, timeline lines, durations."""

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from agencies.models import Agency, AgencyKind
from linkage.bilingual import in_language

from ..models import AssignmentStatus, IncidentKind, IncidentStatus, Severity, TimelineKind

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


@register.filter
def seconds_short(seconds) -> str:
    """90 → "1:30"; 3700 → "1:01:40"."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _label(status) -> str:
    return str(_STATUS_LABELS.get(status, status))


@register.simple_tag
def describe_entry(entry, agencies_by_code=None) -> str:
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
        return _("%(agency)s: not accepted in time, escalated to level %(level)s") % {
            "agency": who,
            "level": data.get("level", "?"),
        }
    return _("Note")


@register.filter
def entry_text_shown(entry) -> bool:
    """Whether the stored text adds something the line above does not already say."""
    missing_agency = entry.kind == TimelineKind.INCIDENT_UPDATED and "missing_agency_kind" in (entry.data or {})
    return bool(entry.text) and not missing_agency


_NEXT_PROGRESS = {
    AssignmentStatus.ACCEPTED: AssignmentStatus.EN_ROUTE,
    AssignmentStatus.EN_ROUTE: AssignmentStatus.ON_SCENE,
    AssignmentStatus.ON_SCENE: AssignmentStatus.COMPLETED,
}


@register.filter
def next_progress(assignment):
    """The report a liaison makes next on a task under way, as (status, label), or None."""
    status = _NEXT_PROGRESS.get(assignment.status)
    return (status.value, status.label) if status else None


@register.filter
def status_icon(status: str) -> str:
    """A shape for each state, so that colour is never the only signal."""
    return {
        "pending": "○",
        "accepted": "◐",
        "en_route": "▶",
        "on_scene": "●",
        "completed": "✓",
        "declined": "✕",
        "cancelled": "✕",
        "active": "●",
        "contained": "◐",
        "closed": "✓",
    }.get(status, "•")


@register.filter
def local_text(text) -> str:
    """A text stored as `中文 · English` (plan and assignment tasks) in the reader's language."""
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
