"""The situation board's picture: which incidents it shows, and the counts over all of them.

A wall screen holds a screenful (`LINKAGE_BOARD_ROWS` cards, default 200), not every incident of a
bad night. The board never hides one silently:

- the counts (active, contained, declined, overdue, escalated) are aggregate queries over every
  active and contained incident the user may see, never over the cards shown;
- the cards are grouped by level, most serious first, each level newest first;
- past a screenful each level keeps an even share of the rows (a level with fewer incidents than its
  share gives the rest to the others, most serious first), so the newest incident of every level is
  on the screen — a flood of level-I incidents cannot push the newest level-IV one off, nor the
  reverse — and each level says how many of its older incidents are not shown, with a link to them
  in the incident list.

Queries: four for the whole board, whatever the number of incidents (counts by level and status; task
counts; the cards, ranked in SQL; their tasks); two for each of its regions (cards or counts).
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import CharField, Count, Exists, F, OuterRef, Prefetch, Q, Value, Window, prefetch_related_objects
from django.db.models.functions import Cast, Concat, RowNumber
from django.urls import reverse
from django.utils.http import urlencode

from .models import (
    OPEN_ASSIGNMENT_STATUSES,
    OPEN_INCIDENT_STATUSES,
    Assignment,
    AssignmentStatus,
    IncidentStatus,
    Severity,
)
from .selectors import active_incidents, incidents_visible_to

#: A card's tasks, in the order they came (as on every list page).
BOARD_TASKS = Assignment.objects.select_related("agency").order_by("created_at", "id")


@dataclass(frozen=True)
class Level:
    """One severity level on the board: `total` open incidents, `shown` of them as cards."""

    severity: int
    total: int
    shown: int

    @property
    def label(self) -> str:
        return Severity(self.severity).label

    @property
    def hidden(self) -> int:
        return self.total - self.shown

    @property
    def more_url(self) -> str:
        """The incident list of this level's open incidents (newest first): where the hidden ones are."""
        query = urlencode({"status": [s.value for s in OPEN_INCIDENT_STATUSES], "severity": self.severity}, doseq=True)
        return f"{reverse('incident-index')}?{query}"


def rows_per_level(totals: dict[int, int], rows: int) -> dict[int, int]:
    """How many cards each level gets: `totals` {severity: open incidents} → {severity: cards}.

    All of them while they fit in `rows`; past that an even share each (a level with fewer gives its
    spare rows to the others, most serious first). Every level with an incident gets at least one
    card while `rows` ≥ the number of levels."""
    if sum(totals.values()) <= rows:
        return dict(totals)
    caps = dict.fromkeys(totals, 0)
    left = rows
    waiting = sorted(severity for severity, total in totals.items() if total)
    while left > 0 and waiting:
        share = max(left // len(waiting), 1)
        for severity in list(waiting):
            take = min(share, totals[severity] - caps[severity], left)
            caps[severity] += take
            left -= take
            if caps[severity] == totals[severity]:
                waiting.remove(severity)
            if left == 0:
                break
    return caps


def board_picture(user: AbstractBaseUser, now, *, only: int | None = None, cards=True, counts=True) -> dict:
    """The board's context.

    `cards`: `incidents` (the cards, most serious level first, newest first within a level, tasks
    prefetched, the first card of each level carrying `level_head`, a `Level`) and `levels` ([Level],
    most serious first, empty levels left out): two queries.
    `counts`, over every open incident the user may see: `active_count`, `contained_count`,
    `declined_count` (agencies that declined and nobody of theirs is back on that incident),
    `overdue_count` (pending at or past accept_by at `now`), `escalated_count` (open tasks escalated),
    `total_count`, `shown_count`, `hidden_count`: two queries.
    `only`: that incident's card alone, if it is open and visible (nothing else)."""
    if only is not None:
        return {"incidents": list(active_incidents(user).filter(pk=only))}
    rows = settings.LINKAGE_BOARD_ROWS
    visible = incidents_visible_to(user).filter(status__in=OPEN_INCIDENT_STATUSES)
    picture: dict = {}
    if cards:
        # Each level's newest `rows` at most (no level can get more), with the level's total; the
        # shares are cut in Python, the tasks fetched for the cards kept.
        ranked = visible.select_related("commander").annotate(
            rank=Window(RowNumber(), partition_by=[F("severity")], order_by=[F("created_at").desc(), F("pk").desc()]),
            level_total=Window(Count("pk"), partition_by=[F("severity")]),
        )
        candidates = list(ranked.filter(rank__lte=rows).order_by("severity", "-created_at", "-pk"))
        totals = {incident.severity: incident.level_total for incident in candidates}
        caps = rows_per_level(totals, rows)
        incidents = [incident for incident in candidates if incident.rank <= caps[incident.severity]]
        prefetch_related_objects(incidents, Prefetch("assignments", queryset=BOARD_TASKS))
        levels = [Level(severity, totals[severity], caps[severity]) for severity in sorted(totals)]
        heads = {level.severity: level for level in levels}
        for incident in incidents:
            incident.level_head = heads.pop(incident.severity, None)
        picture |= {"incidents": incidents, "levels": levels}
    if counts:
        totals = {}
        by_status = dict.fromkeys(OPEN_INCIDENT_STATUSES, 0)
        for severity, status, n in visible.values_list("severity", "status").annotate(n=Count("pk")).order_by():
            totals[severity] = totals.get(severity, 0) + n
            by_status[status] += n
        shown = sum(rows_per_level(totals, rows).values())
        back_on_it = Assignment.objects.filter(
            incident_id=OuterRef("incident_id"), agency_id=OuterRef("agency_id"), status__in=OPEN_ASSIGNMENT_STATUSES
        )
        tasks = Assignment.objects.filter(incident__in=visible).aggregate(
            overdue=Count("pk", filter=Q(status=AssignmentStatus.PENDING, accept_by__lte=now)),
            escalated=Count("pk", filter=Q(status__in=OPEN_ASSIGNMENT_STATUSES, escalation_level__gt=0)),
            # (incident, agency) pairs: an agency that declined twice on one incident counts once.
            declined=Count(
                Concat(Cast("incident_id", CharField()), Value(":"), Cast("agency_id", CharField())),
                filter=Q(status=AssignmentStatus.DECLINED) & ~Q(Exists(back_on_it)),
                distinct=True,
            ),
        )
        total = sum(totals.values())
        picture |= {
            "total_count": total,
            "shown_count": shown,
            "hidden_count": total - shown,
            "active_count": by_status[IncidentStatus.ACTIVE],
            "contained_count": by_status[IncidentStatus.CONTAINED],
            "declined_count": tasks["declined"],
            "overdue_count": tasks["overdue"],
            "escalated_count": tasks["escalated"],
        }
    return picture
