"""Page regions: the parts of a live page that a live event re-renders (STYLE.md "Pages update by region").

A region is a partial template, `templates/incidents/_<region id, - as _>.html`, whose root element
carries `{% region "<id>" %}` (`incidents/templatetags/regions.py`): the element id, `hx-get` (this
page with `?region=<id>`), `hx-trigger` (the live event types below, which `static/linkage/socket.js`
dispatches on `<body>` as `linkage:<type>`; `linkage:resync` after the socket (re)connects with
something missed; `linkage:retry` when a swap waited for someone typing) and `hx-swap="outerHTML"`.
The page's view answers an htmx request for one of its regions with that partial alone
(`region_asked`), so an event costs the bytes and queries of the regions it changes, not a page.

This table is the one place that says which event changes which part of which page.
"""

from dataclasses import dataclass

from django.core.exceptions import BadRequest
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .models import OPEN_ASSIGNMENT_STATUSES, AssignmentStatus

#: Every event type of DESIGN's envelope that writes a timeline entry (docs/live.md).
TIMELINE_EVENTS = (
    "incident.created",
    "incident.updated",
    "assignment.created",
    "assignment.updated",
    "assignment.escalated",
    "assignment.declined",
    "note.added",
    "deployment.created",
    "deployment.updated",
    "rollcall.started",
    "rollcall.updated",
)
#: A task came, moved, escalated or was declined.
TASK_EVENTS = ("assignment.created", "assignment.updated", "assignment.escalated", "assignment.declined")
#: A task opened or closed (the open-task count, who is on the incident): `assignment.updated` counts
#: only when the task left the open statuses (see WHEN), not on an accept or a progress report.
TASK_OPEN_EVENTS = ("assignment.created", "assignment.updated", "assignment.declined")
#: The incident itself: opened, its status or details.
INCIDENT_EVENTS = ("incident.created", "incident.updated")

#: Shown at once (an exception is louder than the happy path); other events wait this long for the
#: rest of their burst (five agencies brought in are one fetch per region).
AT_ONCE = ("assignment.declined",)
BURST_MS = 150

#: A task's move out of the open statuses (completed, cancelled; a decline has its own event type), as
#: an htmx event filter on the envelope.
_CLOSED = [
    status.value
    for status in AssignmentStatus
    if status not in OPEN_ASSIGNMENT_STATUSES and status != AssignmentStatus.DECLINED
]
TASK_CLOSED = "(" + "||".join(f"detail.assignment.status=='{status}'" for status in _CLOSED) + ")"


@dataclass(frozen=True)
class Region:
    """`id`: the region's name; `events`: the live event types that change it. A region with a `key`
    is one of many on its page, one per object (`key="incident"`: a board card per incident): its
    element id is `<id>-<pk>`, its request names the object (`?region=<id>&incident=<pk>`), and it
    listens only for events whose envelope names that object. `partial` overrides the template."""

    id: str
    events: tuple[str, ...]
    key: str | None = None
    partial: str | None = None
    when: tuple[tuple[str, str], ...] = ()  # (event type, htmx filter): that event counts only then

    @property
    def template(self) -> str:
        return self.partial or f"incidents/_{self.id.replace('-', '_')}.html"

    def element_id(self, pk: int | None = None) -> str:
        return f"{self.id}-{pk}" if self.key else self.id

    def trigger(self, pk: int | None = None) -> str:
        """The `hx-trigger` value: each event from <body>, bursts debounced, a decline at once."""
        only = f"detail.{self.key}&&detail.{self.key}.id=={int(pk)}" if self.key else ""
        conditions = dict(self.when)
        # A region kept per object lives inside a list region, whose resync renders it afresh: a
        # board of 200 cards makes one request on reconnect, not 201.
        triggers = ["linkage:retry"] if self.key else ["linkage:resync from:body", "linkage:retry"]
        for event in self.events:
            delay = "" if event in AT_ONCE else f" delay:{BURST_MS}ms"
            condition = "&&".join(part for part in (only, conditions.get(event, "")) if part)
            condition = f"[{condition}]" if condition else ""
            triggers.append(f"linkage:{event}{condition} from:body{delay}")
        return ", ".join(triggers)

    def pk_asked(self, request: HttpRequest) -> int | None:
        """The object a keyed region's request names (`?incident=<pk>`); BadRequest (400) if missing or
        not a positive whole number. None for a region without a key."""
        if not self.key:
            return None
        value = request.GET.get(self.key, "")
        if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 2**63:
            raise BadRequest(_("This region needs the id of what it shows."))
        return int(value)


def _page(*regions: Region) -> dict[str, Region]:
    return {region.id: region for region in regions}


#: `/board/`: the incident cards (the list, when incidents come, go or change order; one card when
#: its tasks change), the counts above them, the map's markers, the accept-time medians.
BOARD = _page(
    Region("board-body", INCIDENT_EVENTS),
    Region("board-incident", TASK_EVENTS, key="incident", partial="incidents/_board_body.html"),
    Region("board-counts", INCIDENT_EVENTS + TASK_EVENTS),
    Region("board-markers", INCIDENT_EVENTS),
    Region("board-kpis", ("assignment.updated",)),
)
#: `/incidents/<id>/`: facts, status and actions; the tasks; who is on duty; the timeline.
INCIDENT = _page(
    Region("incident-head", INCIDENT_EVENTS + TASK_OPEN_EVENTS, when=(("assignment.updated", TASK_CLOSED),)),
    Region("incident-agencies", INCIDENT_EVENTS + TASK_EVENTS),
    Region("incident-duty", TASK_OPEN_EVENTS, when=(("assignment.updated", TASK_CLOSED),)),
    Region("incident-timeline", TIMELINE_EVENTS),
)
#: `/dashboard/`: the agency's tasks.
DASHBOARD = _page(
    Region("dashboard-tasks", INCIDENT_EVENTS + TASK_EVENTS),
)

ALL = {**BOARD, **INCIDENT, **DASHBOARD}


def region_asked(request: HttpRequest, page: dict[str, Region]) -> Region | None:
    """The region of `page` an htmx request asks for, or None for the whole page.

    Only htmx requests (`HX-Request`, `request.htmx`) get a region: the `region` GET parameter names it,
    else the `HX-Target` header (the element id). Raises `BadRequest` (400) for a region this page does
    not have.
    """
    if not getattr(request, "htmx", False):
        return None
    name = request.GET.get("region") or request.htmx.target
    if not name:
        return None
    if name not in page:
        raise BadRequest(_("This page has no region of that name."))
    return page[name]


def answer_region(response, region: Region | None, pk: int | None = None):
    """Mark a response: which region element it is (socket.js swaps only a response that says so — a
    login page after a session ended is not a region), and that it varies with `HX-Request`."""
    from django.utils.cache import patch_vary_headers

    patch_vary_headers(response, ["HX-Request"])
    if region is not None:
        response["X-Linkage-Region"] = region.element_id(pk)
    return response
