"""The state machines against DESIGN, and every button against the move it makes.

The expected tables below are written out from DESIGN.md ("State machines", "People and what they
do") — deliberately not imported from incidents/transitions.py, so that a wrong table there fails
here. Then, for every state × every role: the buttons a page shows are exactly `available_moves`, each
of those moves succeeds through its service, and every other move raises and writes nothing.
"""

from html.parser import HTMLParser

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from incidents import services, transitions
from incidents.errors import TransitionError
from incidents.models import (
    Assignment,
    AssignmentStatus,
    Incident,
    IncidentStatus,
    TimelineEntry,
    TimelineKind,
)

A = AssignmentStatus
I = IncidentStatus  # noqa: E741
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

# --- DESIGN, written out ------------------------------------------------------------------------

# "Incident: active → contained → closed; active/contained → cancelled; closed → active (reopen)."
EXPECTED_INCIDENT = {
    "active": {"contained", "cancelled"},
    "contained": {"closed", "cancelled"},
    "closed": {"active"},
    "cancelled": set(),
}
# "Assignment: pending → accepted → en_route → on_scene → completed; pending → declined;
# pending/accepted/en_route/on_scene → cancelled."
EXPECTED_ASSIGNMENT = {
    "pending": {"accepted", "declined", "cancelled"},
    "accepted": {"en_route", "cancelled"},
    "en_route": {"on_scene", "cancelled"},
    "on_scene": {"completed", "cancelled"},
    "completed": set(),
    "declined": set(),
    "cancelled": set(),
}
# "Every transition stamps its time (accepted_at, en_route_at, …)."
EXPECTED_INCIDENT_STAMPS = {
    "contained": "contained_at",
    "closed": "closed_at",
    "cancelled": "cancelled_at",
    "active": "reopened_at",
}
EXPECTED_ASSIGNMENT_STAMPS = {
    "accepted": "accepted_at",
    "en_route": "en_route_at",
    "on_scene": "on_scene_at",
    "completed": "completed_at",
    "declined": "declined_at",
    "cancelled": "cancelled_at",
}
# Who may: commanders contain, close and reopen; dispatchers (and commanders, who hold the dispatcher's
# permission too) cancel an incident and take an agency off; the task's agency accepts, declines and
# reports progress.
EXPECTED_INCIDENT_WHO = {
    "contain": "incidents.command_incident",
    "close": "incidents.command_incident",
    "reopen": "incidents.command_incident",
    "cancel": "incidents.dispatch_incident",
}
EXPECTED_ASSIGNMENT_WHO = {
    "accept": "incidents.act_on_assignment",
    "decline": "incidents.act_on_assignment",
    "progress": "incidents.act_on_assignment",
    "cancel": "incidents.dispatch_incident",
}
# What each demo person may do, by role (roles.py gives commanders the dispatcher's permission).
INCIDENT_ACTIONS_BY_ROLE = {
    "commander": {"contain", "close", "reopen", "cancel"},
    "dispatcher": {"cancel"},
    "fire_liaison": set(),
    "police_liaison": set(),
}
FIRE_TASK_ACTIONS_BY_ROLE = {
    "commander": {"cancel"},
    "dispatcher": {"cancel"},
    "fire_liaison": {"accept", "decline", "progress"},
    "police_liaison": set(),  # on the incident, but not fire's task
}
INCIDENT_ACTION_TARGET = {"contain": "contained", "close": "closed", "reopen": "active", "cancel": "cancelled"}
ASSIGNMENT_ACTION_TARGETS = {
    "accept": {"accepted"},
    "decline": {"declined"},
    "progress": {"en_route", "on_scene", "completed"},
    "cancel": {"cancelled"},
}


def test_the_incident_table_is_designs():
    assert {state: set(targets) for state, targets in transitions.INCIDENT.table().items()} == EXPECTED_INCIDENT
    assert transitions.INCIDENT.stamps() == EXPECTED_INCIDENT_STAMPS
    assert {move.action: move.perm for move in transitions.INCIDENT.moves} == EXPECTED_INCIDENT_WHO
    assert {move.action: move.target for move in transitions.INCIDENT.moves} == INCIDENT_ACTION_TARGET


def test_the_assignment_table_is_designs():
    assert {state: set(targets) for state, targets in transitions.ASSIGNMENT.table().items()} == EXPECTED_ASSIGNMENT
    assert transitions.ASSIGNMENT.stamps() == EXPECTED_ASSIGNMENT_STAMPS
    assert {move.action: move.perm for move in transitions.ASSIGNMENT.moves} == EXPECTED_ASSIGNMENT_WHO
    targets: dict[str, set] = {}
    for move in transitions.ASSIGNMENT.moves:
        targets.setdefault(move.action, set()).add(move.target)
    assert targets == ASSIGNMENT_ACTION_TARGETS
    assert set(transitions.PROGRESS_STATUSES) == {"en_route", "on_scene", "completed"}


def test_every_state_and_move_of_a_machine_is_a_model_choice():
    for machine in transitions.MACHINES.values():
        states = set(machine.statuses.values)
        assert {move.target for move in machine.moves} <= states
        assert set().union(*(move.sources for move in machine.moves)) <= states
        fields = {field.name for field in machine.model._meta.get_fields()}
        assert {move.stamp for move in machine.moves} <= fields


# --- Services: every (state, target) pair -------------------------------------------------------


def _assignment_call(demo, assignment, target):
    """The service a person would use to move `assignment` to `target`."""
    liaison = demo.fire_liaison
    if target == A.ACCEPTED:
        return services.assignment_accept(assignment=assignment, by=liaison)
    if target == A.DECLINED:
        return services.assignment_decline(assignment=assignment, by=liaison, reason="车辆全部出动 all engines out")
    if target in (A.EN_ROUTE, A.ON_SCENE, A.COMPLETED):
        return services.assignment_progress(assignment=assignment, by=liaison, status=target, note="")
    if target == A.CANCELLED:
        return services.assignment_cancel(assignment=assignment, by=demo.dispatcher, reason="not needed")
    raise AssertionError(target)


# Nothing moves a task back to pending: there is no service for it, so it is not a target here.
ASSIGNMENT_CASES = [(current, target) for current in A.values for target in A.values if target != A.PENDING]


@pytest.mark.parametrize(("current", "target"), ASSIGNMENT_CASES)
def test_assignment_moves(demo, fire_task, current, target):
    Assignment.objects.filter(pk=fire_task.pk).update(
        status=current, decline_reason="earlier" if current == A.DECLINED else ""
    )
    before = Assignment.objects.values().get(pk=fire_task.pk)
    entries_before = TimelineEntry.objects.count()

    if target in EXPECTED_ASSIGNMENT[current]:
        started = timezone.now()
        moved = _assignment_call(demo, fire_task, target)
        row = Assignment.objects.get(pk=fire_task.pk)
        assert moved.status == row.status == target
        assert started <= getattr(row, EXPECTED_ASSIGNMENT_STAMPS[target]) <= timezone.now()
        assert TimelineEntry.objects.count() == entries_before + 1
        entry = TimelineEntry.objects.latest("pk")
        assert (entry.kind, entry.assignment_id, entry.data["from"], entry.data["to"]) == (
            TimelineKind.ASSIGNMENT_STATUS,
            fire_task.pk,
            current,
            target,
        )
        if current == A.PENDING:
            assert row.next_escalation_at is None, "answering a task stops its escalation"
    else:
        with pytest.raises(TransitionError):
            _assignment_call(demo, fire_task, target)
        assert Assignment.objects.values().get(pk=fire_task.pk) == before
        assert TimelineEntry.objects.count() == entries_before


def _incident_call(demo, incident, target):
    if target == I.CONTAINED:
        return services.incident_contain(incident=incident, by=demo.commander)
    if target == I.CLOSED:
        return services.incident_close(incident=incident, by=demo.commander)
    if target == I.CANCELLED:
        return services.incident_cancel(incident=incident, by=demo.dispatcher, reason="duplicate call")
    if target == I.ACTIVE:
        return services.incident_reopen(incident=incident, by=demo.commander)
    raise AssertionError(target)


INCIDENT_CASES = [(current, target) for current in I.values for target in I.values]


@pytest.mark.parametrize(("current", "target"), INCIDENT_CASES)
def test_incident_moves(demo, current, target):
    incident = services.incident_open(
        by=demo.dispatcher, kind="other", severity=4, title="不明情况", agencies=["km-police"]
    )
    Incident.objects.filter(pk=incident.pk).update(status=current)
    before = Incident.objects.values().get(pk=incident.pk)
    entries_before = TimelineEntry.objects.count()

    if target in EXPECTED_INCIDENT[current]:
        moved = _incident_call(demo, incident, target)
        row = Incident.objects.get(pk=incident.pk)
        assert moved.status == row.status == target
        assert getattr(row, EXPECTED_INCIDENT_STAMPS[target]) is not None
        status_entries = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.INCIDENT_STATUS)
        assert [(e.data["from"], e.data["to"]) for e in status_entries] == [(current, target)]
    else:
        with pytest.raises(TransitionError):
            _incident_call(demo, incident, target)
        assert Incident.objects.values().get(pk=incident.pk) == before
        assert TimelineEntry.objects.count() == entries_before


@pytest.mark.parametrize("end", [I.CLOSED, I.CANCELLED])
def test_ending_an_incident_cancels_only_its_open_tasks(demo, end):
    incident = services.incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="槽罐车泄漏")
    tasks = {a.agency.code: a for a in incident.assignments.select_related("agency")}
    services.assignment_accept(assignment=tasks["km-fire"], by=demo.fire_liaison)
    services.assignment_decline(
        assignment=tasks["km-environment"], by=demo.environment_liaison, reason="无监测车 no van"
    )
    for status in (A.EN_ROUTE, A.ON_SCENE, A.COMPLETED):
        services.assignment_progress(assignment=tasks["km-fire"], by=demo.fire_liaison, status=status)
    services.assignment_accept(assignment=tasks["km-police"], by=demo.police_liaison)

    if end == I.CLOSED:
        services.incident_contain(incident=incident, by=demo.commander)
        services.incident_close(incident=incident, by=demo.commander)
    else:
        services.incident_cancel(incident=incident, by=demo.dispatcher, reason="误报 false alarm")

    statuses = dict(incident.assignments.values_list("agency__code", "status"))
    assert statuses == {
        "km-fire": A.COMPLETED,
        "km-environment": A.DECLINED,
        "km-police": A.CANCELLED,
        "km-medical": A.CANCELLED,
        "km-traffic": A.CANCELLED,
    }
    cancelled = TimelineEntry.objects.filter(
        incident=incident, kind=TimelineKind.ASSIGNMENT_STATUS, data__to=A.CANCELLED
    )
    assert sorted(e.assignment.agency.code for e in cancelled) == ["km-medical", "km-police", "km-traffic"]


def test_reopened_incident_takes_agencies_again(demo):
    """After a close, the agency's old task stays cancelled and it can be brought back in."""
    incident = services.incident_open(by=demo.dispatcher, kind="other", severity=4, title="复燃", agencies=["km-fire"])
    services.incident_contain(incident=incident, by=demo.commander)
    services.incident_close(incident=incident, by=demo.commander)
    services.incident_reopen(incident=incident, by=demo.commander)
    again = services.assignment_add(incident=incident, by=demo.commander, agency=demo.agency("km-fire"))
    assert again.status == A.PENDING
    assert list(incident.assignments.order_by("pk").values_list("status", flat=True)) == [A.CANCELLED, A.PENDING]


# --- Every state × every role: the buttons are the moves that succeed ---------------------------


class _Forms(HTMLParser):
    """Each <form>'s action with its hidden inputs: [(action, {name: value})]."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action") or "", {}))
        elif tag == "input" and self.forms and attrs.get("type") == "hidden" and attrs.get("name"):
            self.forms[-1][1][attrs["name"]] = attrs.get("value")


def _buttons(html: str, prefix: str) -> set[tuple[str, str | None]]:
    """The moves a page offers on one object: (action, status for a progress report, else None)."""
    parser = _Forms()
    parser.feed(html)
    found = set()
    for action, hidden in parser.forms:
        if action.startswith(prefix):
            verb = action[len(prefix) :].strip("/")
            found.add((verb, hidden.get("status") if verb == "progress" else None))
    return found


def _as_pairs(moves) -> set[tuple[str, str | None]]:
    return {(move.action, move.target if move.action == "progress" else None) for move in moves}


def _expected_incident_actions(role: str, state: str) -> set[str]:
    return {
        action
        for action, target in INCIDENT_ACTION_TARGET.items()
        if target in EXPECTED_INCIDENT[state] and action in INCIDENT_ACTIONS_BY_ROLE[role]
    }


def _incident_service(demo, incident, action, user):
    if action == "contain":
        return services.incident_contain(incident=incident, by=user)
    if action == "close":
        return services.incident_close(incident=incident, by=user)
    if action == "reopen":
        return services.incident_reopen(incident=incident, by=user)
    return services.incident_cancel(incident=incident, by=user, reason="误报")


ROLES = ["commander", "dispatcher", "fire_liaison", "police_liaison"]


@pytest.fixture
def hazmat(demo):
    """Fire, police, medical, environment and traffic on one incident."""
    return services.incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="槽罐车泄漏")


@pytest.mark.parametrize("state", I.values)
@pytest.mark.parametrize("role", ROLES)
def test_incident_buttons_are_exactly_the_moves_that_succeed(client, demo, hazmat, state, role):
    user = demo.users[role]
    Incident.objects.filter(pk=hazmat.pk).update(status=state)
    incident = Incident.objects.get(pk=hazmat.pk)
    moves = transitions.available_moves(incident, user)
    expected = _expected_incident_actions(role, state)
    assert {move.action for move in moves} == expected

    client.force_login(user)
    prefix = f"/incidents/{incident.pk}/"
    page = client.get(prefix, **EN).content.decode()
    shown = {verb for verb, _status in _buttons(page, prefix) if verb in INCIDENT_ACTION_TARGET}
    assert shown == expected, f"{role} on a {state} incident page"
    if role in ("commander", "dispatcher") and incident.is_open:
        board = client.get("/board/", **EN).content.decode()
        shown = {verb for verb, _status in _buttons(board, prefix) if verb in INCIDENT_ACTION_TARGET}
        assert shown == expected, f"{role} on the board, {state}"

    for action in INCIDENT_ACTION_TARGET:
        Incident.objects.filter(pk=incident.pk).update(status=state)
        fresh = Incident.objects.get(pk=incident.pk)
        if action in expected:
            assert _incident_service(demo, fresh, action, user).status == INCIDENT_ACTION_TARGET[action]
        else:
            with pytest.raises((PermissionDenied, TransitionError)):
                _incident_service(demo, fresh, action, user)
            assert Incident.objects.get(pk=incident.pk).status == state


def _assignment_service(assignment, action, target, user):
    if action == "accept":
        return services.assignment_accept(assignment=assignment, by=user)
    if action == "decline":
        return services.assignment_decline(assignment=assignment, by=user, reason="无车可派")
    if action == "progress":
        return services.assignment_progress(assignment=assignment, by=user, status=target)
    return services.assignment_cancel(assignment=assignment, by=user, reason="不需要")


ALL_ASSIGNMENT_MOVES = [(action, target) for action, targets in ASSIGNMENT_ACTION_TARGETS.items() for target in targets]


def _set_task(task, state):
    Assignment.objects.filter(pk=task.pk).update(status=state, decline_reason="早先" if state == A.DECLINED else "")


@pytest.mark.parametrize("incident_state", [I.ACTIVE, I.CLOSED])
@pytest.mark.parametrize("state", A.values)
@pytest.mark.parametrize("role", ROLES)
def test_task_buttons_are_exactly_the_moves_that_succeed(client, demo, hazmat, state, role, incident_state):
    """…on the incident page and the agency's dashboard; on a closed incident no task moves at all."""
    user = demo.users[role]
    task = hazmat.assignments.get(agency__code="km-fire")
    Incident.objects.filter(pk=hazmat.pk).update(status=incident_state)
    _set_task(task, state)
    task = Assignment.objects.select_related("incident", "agency").get(pk=task.pk)

    expected = set()
    if incident_state == I.ACTIVE:
        expected = {
            (action, target if action == "progress" else None)
            for action, target in ALL_ASSIGNMENT_MOVES
            if target in EXPECTED_ASSIGNMENT[state] and action in FIRE_TASK_ACTIONS_BY_ROLE[role]
        }
    assert _as_pairs(transitions.available_moves(task, user)) == expected

    client.force_login(user)
    prefix = f"/assignments/{task.pk}/"
    page = client.get(f"/incidents/{hazmat.pk}/", **EN).content.decode()
    assert _buttons(page, prefix) == expected, f"{role}: {state} task on a {incident_state} incident"
    if role == "fire_liaison":
        dashboard = client.get("/dashboard/", **EN).content.decode()
        assert _buttons(dashboard, prefix) == expected, f"dashboard: {state} task on a {incident_state} incident"

    for action, target in ALL_ASSIGNMENT_MOVES:
        _set_task(task, state)
        fresh = Assignment.objects.get(pk=task.pk)
        pair = (action, target if action == "progress" else None)
        if pair in expected:
            assert _assignment_service(fresh, action, target, user).status == target
        else:
            with pytest.raises((PermissionDenied, TransitionError)):
                _assignment_service(fresh, action, target, user)
            assert Assignment.objects.get(pk=task.pk).status == state


def test_refusals_say_who_may(client, api, demo, hazmat):
    """One sentence per permission, the same from every door: service, page and API."""
    task = hazmat.assignments.get(agency__code="km-fire")
    translation.activate("en")
    with pytest.raises(PermissionDenied, match=r"^Only commanders may do this\.$"):
        services.incident_contain(incident=hazmat, by=demo.dispatcher)
    with pytest.raises(PermissionDenied, match=r"^Only dispatchers and commanders may do this\.$"):
        services.incident_cancel(incident=hazmat, by=demo.fire_liaison)
    with pytest.raises(PermissionDenied, match=r"^Only members of the task's agency may do this\.$"):
        services.assignment_accept(assignment=task, by=demo.police_liaison)

    client.force_login(demo.dispatcher)
    page = client.post(f"/incidents/{hazmat.pk}/contain/", follow=True, **EN).content.decode()
    assert "Only commanders may do this." in page
    zh = client.post(f"/incidents/{hazmat.pk}/contain/", follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "只有指挥员可以执行此操作。" in zh.content.decode()
    response = api("dispatcher").post(f"/api/v1/incidents/{hazmat.pk}/contain/", **EN)
    assert (response.status_code, response.json()["detail"]) == (403, "Only commanders may do this.")
    for path in ("/api/v1/incidents/", "/api/v1/cap/"):
        response = api("fire_liaison").post(path, {}, format="json", **EN)
        assert (response.status_code, response.json()["detail"]) == (
            403,
            "Only dispatchers and commanders may do this.",
        )
    response = api("police_liaison").post(f"/api/v1/assignments/{task.pk}/accept/", **EN)
    assert (response.status_code, response.json()["detail"]) == (403, "Only members of the task's agency may do this.")
    assert Assignment.objects.get(pk=task.pk).status == A.PENDING
    assert Incident.objects.get(pk=hazmat.pk).status == I.ACTIVE


# --- Notes: one rule for service, page and API --------------------------------------------------


@pytest.mark.parametrize(
    ("state", "allowed"), [(I.ACTIVE, True), (I.CONTAINED, True), (I.CLOSED, True), (I.CANCELLED, False)]
)
def test_notes_go_on_any_incident_but_a_cancelled_one(client, api, demo, hazmat, state, allowed):
    """Open or closed (the after-action record): yes. Cancelled (opened in error): no, from every door."""
    Incident.objects.filter(pk=hazmat.pk).update(status=state)
    incident = Incident.objects.get(pk=hazmat.pk)
    notes = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.NOTE)
    assert transitions.note_allowed(incident) is allowed

    client.force_login(demo.police_liaison)
    page = client.get(f"/incidents/{incident.pk}/", **EN).content.decode()
    assert (f'action="/incidents/{incident.pk}/notes/"' in page) is allowed
    answer = client.post(f"/incidents/{incident.pk}/notes/", {"text": "东侧路口已封锁"}, follow=True, **EN)
    response = api("police_liaison").post(f"/api/v1/incidents/{incident.pk}/notes/", {"text": "复核"}, format="json")
    if allowed:
        assert response.status_code == 201
        assert notes.count() == 2
    else:
        assert "A cancelled incident takes no notes." in answer.content.decode()
        assert response.status_code == 409
        with pytest.raises(TransitionError):
            services.note_add(incident=incident, by=demo.dispatcher, text="再记一笔")
        assert notes.count() == 0


# --- The page's actions and the URL are the machine's ------------------------------------------


def test_the_incident_page_takes_exactly_the_machines_actions(client, demo, hazmat):
    from incidents import views

    assert set(views.PAGE_ACTIONS) == set(INCIDENT_ACTION_TARGET)
    client.force_login(demo.commander)
    assert client.post(f"/incidents/{hazmat.pk}/explode/").status_code == 404
    assert client.post(f"/assignments/{hazmat.assignments.first().pk}/explode/").status_code == 404


# --- Refusals read as sentences --------------------------------------------------------------------


def test_a_repeated_move_is_already_done_and_states_are_lower_case_mid_sentence(api, demo, fire_incident):
    """The same move twice says "already"; a status inside an English sentence is a word, not a label;
    Chinese keeps its labels."""
    task = fire_incident.assignments.get(agency__code="km-medical")
    dispatcher = api("dispatcher")
    first = dispatcher.post(f"/api/v1/assignments/{task.pk}/cancel/", {"reason": "派错了"}, format="json")
    assert first.status_code == 200
    again = dispatcher.post(f"/api/v1/assignments/{task.pk}/cancel/", {"reason": "派错了"}, format="json", **EN)
    assert again.status_code == 409
    assert "The task is already cancelled." in again.content.decode()
    zh = dispatcher.post(
        f"/api/v1/assignments/{task.pk}/cancel/", {"reason": "派错了"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert zh.status_code == 409 and "已取消" in zh.json()["detail"] and "already" not in zh.json()["detail"]

    services.incident_cancel(incident=fire_incident, by=demo.dispatcher, reason="误报")
    fire = fire_incident.assignments.get(agency__code="km-fire")
    with translation.override("en"):
        refused = r"^The task is on a cancelled incident and cannot become accepted\.$"
        with pytest.raises(TransitionError, match=refused):
            services.assignment_accept(assignment=fire, by=demo.fire_liaison)
        with pytest.raises(TransitionError, match=r"^A cancelled incident takes no notes\.$"):
            services.note_add(incident=fire_incident, by=demo.dispatcher, text="再记一笔")
        with pytest.raises(TransitionError, match=r"^A cancelled incident cannot be changed\.$"):
            services.incident_update(incident=fire_incident, by=demo.dispatcher, title="改名")
    with translation.override("zh-hans"), pytest.raises(TransitionError, match="已取消"):
        services.incident_update(incident=fire_incident, by=demo.dispatcher, title="改名")
