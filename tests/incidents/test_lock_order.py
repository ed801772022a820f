"""Two people change one incident at the same moment: one waits for the other, nobody deadlocks.

Every pair of an assignment-side change (accept, decline, progress, taking an agency off, a note,
bringing an agency in, a more serious level, the escalation sweep) and an incident move (contain,
close, cancel, reopen, a change of facts) runs in two real threads on PostgreSQL, many times. Each
side either succeeds or is refused by the state machine (TransitionError, a 409 over HTTP) — never a
deadlock, never a 500 — and what is left is consistent: every status change has its timeline entry,
a closed or cancelled incident has no open task, and nothing either side did is lost.
"""

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import pytest
import requests
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from agencies.models import Agency
from incidents import services
from incidents.errors import TransitionError
from incidents.escalation import escalate_due
from incidents.models import (
    OPEN_ASSIGNMENT_STATUSES,
    Assignment,
    AssignmentStatus,
    Incident,
    IncidentStatus,
    TimelineEntry,
    TimelineKind,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Enough that each pair meets in every order (a deadlock showed in about half the tries); raise it
# with LINKAGE_LOCK_ITERATIONS to hammer harder.
ITERATIONS = int(os.environ.get("LINKAGE_LOCK_ITERATIONS", "8"))
A = AssignmentStatus
I = IncidentStatus  # noqa: E741


@dataclass
class World:
    """One iteration's incident: its id, its medical task's id, and the demo people."""

    demo: object
    incident_id: int
    medical_id: int
    due: tuple[int, ...] = ()  # the tasks made due for the sweep

    def incident(self) -> Incident:
        return Incident.objects.get(pk=self.incident_id)

    def medical(self) -> Assignment:
        return Assignment.objects.get(pk=self.medical_id)


@dataclass(frozen=True)
class Move:
    """A change one person makes: what must be true before (`prepare`), the change (`run`), and what
    must be true after when it went through (`check`)."""

    run: Callable[[World], object]
    check: Callable[[World], None]
    prepare: Callable[[World], None] = lambda world: None


def _entry(world: World, **filters) -> bool:
    return TimelineEntry.objects.filter(incident_id=world.incident_id, **filters).exists()


def _task_moved_to(status):
    def check(world):
        assert _entry(world, kind=TimelineKind.ASSIGNMENT_STATUS, assignment_id=world.medical_id, data__to=status)

    return check


def _accept_medical(world):
    services.assignment_accept(assignment=world.medical(), by=world.demo.medical_liaison)


def _make_due(world):
    pending = Assignment.objects.filter(incident_id=world.incident_id, status=A.PENDING)
    world.due = tuple(pending.values_list("pk", flat=True))
    pending.update(next_escalation_at=timezone.now() - timedelta(seconds=1))


def _note_check(world):
    assert _entry(world, kind=TimelineKind.NOTE, text=f"note {world.incident_id}")


def _added_check(world):
    assert _entry(world, kind=TimelineKind.ASSIGNMENT_CREATED, data__agency="km-police")


def _severity_check(world):
    assert world.incident().severity == 3
    assert _entry(world, kind=TimelineKind.INCIDENT_UPDATED, data__has_key="severity")
    assert _entry(world, kind=TimelineKind.ASSIGNMENT_CREATED, data__agency="km-traffic")


def _escalation_check(world):
    # Each due task was escalated, or left due for the next sweep (its incident was held): never lost.
    for task in Assignment.objects.filter(pk__in=world.due, status=A.PENDING):
        assert task.escalation_level >= 1 or task.next_escalation_at <= timezone.now()


ASSIGNMENT_SIDE: dict[str, Move] = {
    "accept": Move(run=_accept_medical, check=_task_moved_to(A.ACCEPTED)),
    "decline": Move(
        run=lambda w: services.assignment_decline(
            assignment=w.medical(), by=w.demo.medical_liaison, reason="车辆全部出动"
        ),
        check=_task_moved_to(A.DECLINED),
    ),
    "progress": Move(
        prepare=_accept_medical,
        run=lambda w: services.assignment_progress(
            assignment=w.medical(), by=w.demo.medical_liaison, status=A.EN_ROUTE
        ),
        check=_task_moved_to(A.EN_ROUTE),
    ),
    "cancel_task": Move(
        run=lambda w: services.assignment_cancel(assignment=w.medical(), by=w.demo.dispatcher, reason="不再需要"),
        check=_task_moved_to(A.CANCELLED),
    ),
    "note": Move(
        run=lambda w: services.note_add(incident=w.incident(), by=w.demo.fire_liaison, text=f"note {w.incident_id}"),
        check=_note_check,
    ),
    "add_agency": Move(
        run=lambda w: services.assignment_add(
            incident=w.incident(), by=w.demo.dispatcher, agency=Agency.objects.get(code="km-police")
        ),
        check=_added_check,
    ),
    "severity": Move(
        run=lambda w: services.incident_update(incident=w.incident(), by=w.demo.dispatcher, severity=3),
        check=_severity_check,
    ),
    "escalation": Move(prepare=_make_due, run=lambda w: escalate_due(), check=_escalation_check),
}


def _incident_moved_to(status):
    def check(world):
        assert _entry(world, kind=TimelineKind.INCIDENT_STATUS, data__to=status)

    return check


def _contain(world):
    services.incident_contain(incident=world.incident(), by=world.demo.commander)


def _contain_and_close(world):
    _contain(world)
    services.incident_close(incident=world.incident(), by=world.demo.commander)


def _title_check(world):
    assert world.incident().title == f"更新 {world.incident_id}"


INCIDENT_SIDE: dict[str, Move] = {
    "contain": Move(run=_contain, check=_incident_moved_to(I.CONTAINED)),
    "close": Move(
        prepare=_contain,
        run=lambda w: services.incident_close(incident=w.incident(), by=w.demo.commander),
        check=_incident_moved_to(I.CLOSED),
    ),
    "cancel": Move(
        run=lambda w: services.incident_cancel(incident=w.incident(), by=w.demo.dispatcher, reason="误报"),
        check=_incident_moved_to(I.CANCELLED),
    ),
    "reopen": Move(
        prepare=_contain_and_close,
        run=lambda w: services.incident_reopen(incident=w.incident(), by=w.demo.commander),
        check=_incident_moved_to(I.ACTIVE),
    ),
    "update": Move(
        run=lambda w: services.incident_update(
            incident=w.incident(), by=w.demo.dispatcher, title=f"更新 {w.incident_id}"
        ),
        check=_title_check,
    ),
}


def assert_consistent(incident_id: int) -> None:
    """Every status on record is reached by its chain of timeline entries, in sequence order; a closed
    or cancelled incident has no open task; each escalation level has its entry."""
    incident = Incident.objects.get(pk=incident_id)
    entries = list(TimelineEntry.objects.filter(incident_id=incident_id).order_by("pk"))
    status = I.ACTIVE
    for entry in entries:
        if entry.kind == TimelineKind.INCIDENT_STATUS:
            assert entry.data["from"] == status, f"incident entry #{entry.pk} starts from {entry.data['from']}"
            status = entry.data["to"]
    assert status == incident.status
    for task in incident.assignments.all():
        status = A.PENDING
        for entry in entries:
            if entry.assignment_id == task.pk and entry.kind == TimelineKind.ASSIGNMENT_STATUS:
                assert entry.data["from"] == status, f"task entry #{entry.pk} starts from {entry.data['from']}"
                status = entry.data["to"]
        assert status == task.status, f"{task.agency.code} is {task.status}, its timeline says {status}"
        escalations = [e for e in entries if e.assignment_id == task.pk and e.kind == TimelineKind.ASSIGNMENT_ESCALATED]
        assert len(escalations) == task.escalation_level
        created = [e for e in entries if e.assignment_id == task.pk and e.kind == TimelineKind.ASSIGNMENT_CREATED]
        assert len(created) == 1
    if incident.status in (I.CLOSED, I.CANCELLED):
        still_open = incident.assignments.filter(status__in=OPEN_ASSIGNMENT_STATUSES)
        assert not still_open.exists(), f"a {incident.status} incident has open tasks: {list(still_open)}"


def run_together(*sides: Callable[[], object], timeout: float = 60) -> list[tuple[str, object]]:
    """Start the callables at one moment in threads of their own (each its own connection); return
    ("ok", result) or ("error", exception) for each, in order."""
    start = threading.Barrier(len(sides))
    outcomes: list = [None] * len(sides)

    def run(index, side):
        try:
            start.wait(timeout=10)
            outcomes[index] = ("ok", side())
        except BaseException as exc:  # the test reports whatever happened
            outcomes[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, side)) for index, side in enumerate(sides)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a side is still waiting: a lock never released"
    return outcomes


PAIRS = [(left, right) for left in ASSIGNMENT_SIDE for right in INCIDENT_SIDE]


def hammer(demo, caplog, left: Move, right: Move) -> None:
    """ITERATIONS fresh incidents, each with `left` and `right` started at one moment in two threads."""
    caplog.set_level(logging.ERROR, logger="linkage.escalation")
    for iteration in range(ITERATIONS):
        incident = services.incident_open(
            by=demo.dispatcher, kind="building_fire", severity=4, title=f"并发 {iteration}"
        )
        world = World(
            demo=demo, incident_id=incident.pk, medical_id=incident.assignments.get(agency__code="km-medical").pk
        )
        left.prepare(world)
        right.prepare(world)
        outcomes = run_together(partial(left.run, world), partial(right.run, world))
        unexpected = [exc for kind, exc in outcomes if kind == "error" and not isinstance(exc, TransitionError)]
        assert not unexpected, f"iteration {iteration}: {unexpected!r}"
        # The sweep takes its own tasks in savepoints and logs what fails there: a deadlock would hide.
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
        for move, (kind, _result) in ((left, outcomes[0]), (right, outcomes[1])):
            if kind == "ok":
                move.check(world)
        assert_consistent(world.incident_id)


@pytest.mark.parametrize(("task_move", "incident_move"), PAIRS, ids=[f"{a}-vs-{b}" for a, b in PAIRS])
def test_every_pair_of_concurrent_moves_waits_and_never_deadlocks(demo, caplog, task_move, incident_move):
    hammer(demo, caplog, ASSIGNMENT_SIDE[task_move], INCIDENT_SIDE[incident_move])


SWEEP_PAIRS = [name for name in ASSIGNMENT_SIDE if name != "escalation"]


@pytest.mark.parametrize("task_move", SWEEP_PAIRS, ids=[f"escalation-vs-{name}" for name in SWEEP_PAIRS])
def test_the_sweep_against_every_task_side_move_never_deadlocks(demo, caplog, task_move):
    hammer(demo, caplog, ASSIGNMENT_SIDE["escalation"], ASSIGNMENT_SIDE[task_move])


# --- Over HTTP: the same races through the API never give a 500 --------------------------------

API_PAIRS = {
    # name: (prepare, task side (user, method, path, body), incident side)
    "accept-vs-cancel": (
        None,
        ("medical_liaison", "post", "/api/v1/assignments/{task}/accept/", {}),
        ("dispatcher", "post", "/api/v1/incidents/{incident}/cancel/", {"reason": "误报"}),
    ),
    "progress-vs-close": (
        "accepted_and_contained",
        ("medical_liaison", "post", "/api/v1/assignments/{task}/progress/", {"status": "en_route"}),
        ("commander", "post", "/api/v1/incidents/{incident}/close/", {}),
    ),
    "decline-vs-cancel": (
        None,
        ("medical_liaison", "post", "/api/v1/assignments/{task}/decline/", {"reason": "无车可派"}),
        ("dispatcher", "post", "/api/v1/incidents/{incident}/cancel/", {}),
    ),
    "note-vs-close": (
        "contained",
        ("medical_liaison", "post", "/api/v1/incidents/{incident}/notes/", {"text": "伤员两名"}),
        ("commander", "post", "/api/v1/incidents/{incident}/close/", {}),
    ),
    "add-agency-vs-cancel": (
        None,
        ("dispatcher", "post", "/api/v1/incidents/{incident}/assignments/", {"agency": "km-police"}),
        ("commander", "post", "/api/v1/incidents/{incident}/cancel/", {}),
    ),
    "severity-vs-cancel": (
        None,
        ("dispatcher", "patch", "/api/v1/incidents/{incident}/", {"severity": 2}),
        ("commander", "post", "/api/v1/incidents/{incident}/cancel/", {}),
    ),
}


@pytest.mark.parametrize("pair", list(API_PAIRS))
def test_the_api_answers_two_people_at_once_with_200_or_409_never_500(demo, live_server, pair):
    prepare, left, right = API_PAIRS[pair]
    tokens = {
        name: Token.objects.get_or_create(user=demo.users[name])[0].key
        for name in ("medical_liaison", "dispatcher", "commander")
    }

    def call(spec, ids):
        username, method, path, body = spec
        with requests.Session() as session:
            response = session.request(
                method,
                live_server.url + path.format(**ids),
                json=body,
                headers={"Authorization": f"Token {tokens[username]}", "Accept-Language": "en"},
                timeout=30,
            )
        return response.status_code, response.text[:300]

    for iteration in range(ITERATIONS):
        incident = services.incident_open(
            by=demo.dispatcher, kind="building_fire", severity=4, title=f"接口 {iteration}"
        )
        task = incident.assignments.get(agency__code="km-medical")
        if prepare == "accepted_and_contained":
            services.assignment_accept(assignment=task, by=demo.medical_liaison)
        if prepare in ("accepted_and_contained", "contained"):
            services.incident_contain(incident=incident, by=demo.commander)
        ids = {"incident": incident.pk, "task": task.pk}
        outcomes = run_together(partial(call, left, ids), partial(call, right, ids))
        for kind, result in outcomes:
            assert kind == "ok", result
            code, text = result
            assert code in (200, 201, 409), f"iteration {iteration}: {code} {text}"
        assert_consistent(incident.pk)


def test_the_sweep_leaves_an_incident_someone_is_changing_for_its_next_run_and_never_waits(demo):
    incident = services.incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="加锁")
    world = World(demo=demo, incident_id=incident.pk, medical_id=incident.assignments.get(agency__code="km-medical").pk)
    _make_due(world)
    holding, release = threading.Event(), threading.Event()

    def hold_the_incident():
        try:
            with transaction.atomic():
                services._incident_locked(Incident(pk=incident.pk))
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_incident)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        started = time.monotonic()
        assert escalate_due() == 0  # skipped, at once
        assert time.monotonic() - started < 5
    finally:
        release.set()
        holder.join(timeout=30)
    assert escalate_due() == 2  # fire and medical, on the next run
    assert_consistent(incident.pk)
