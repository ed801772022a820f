"""Every endpoint, page and socket, tried by every kind of caller, answers as DESIGN says.

The incident is a level IV building fire: fire and medical are on it. API callers: anonymous, the
dispatcher, the commander, fire's liaison and chief (on it, own task), medical's liaison (on it, not
its task), police's liaison (not on it), and a signed-in stranger with no role. The pages and
sockets are tried by anonymous, another agency's liaison (police), the agency's liaison and duty
chief (fire), the dispatcher, the commander and the admin.

The expected answers are tables written out from DESIGN.md ("Who sees what", "Pages", "Live
updates"), not computed from the code under test, so that a wrong rule in the code fails here.
"""

from urllib.parse import quote

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.sockets import connects

CALLERS = [
    "anonymous",
    "dispatcher",
    "commander",
    "fire_liaison",
    "fire_chief",
    "medical_liaison",
    "police_liaison",
    "stranger",
]

# (name, method, path, body) — {incident} and {fire_task} are filled in per test.
ENDPOINTS = {
    "agencies": ("get", "/api/v1/agencies/", None),
    "agency": ("get", "/api/v1/agencies/{agency}/", None),
    "plans": ("get", "/api/v1/plans/", None),
    "preview": ("get", "/api/v1/plans/preview/?kind=hazmat&severity=3", None),
    "incidents": ("get", "/api/v1/incidents/", None),
    "incident": ("get", "/api/v1/incidents/{incident}/", None),
    "timeline": ("get", "/api/v1/incidents/{incident}/timeline/", None),
    "cap": ("get", "/api/v1/incidents/{incident}/cap/", None),
    "similar": ("get", "/api/v1/incidents/similar/?kind=building_fire&latitude=25.043&longitude=102.71", None),
    "open": ("post", "/api/v1/incidents/", {"kind": "flood", "severity": 4, "title": "内涝"}),
    "patch": ("patch", "/api/v1/incidents/{incident}/", {"title": "新标题"}),
    "contain": ("post", "/api/v1/incidents/{incident}/contain/", None),
    "close": ("post", "/api/v1/incidents/{incident}/close/", None),
    "cancel": ("post", "/api/v1/incidents/{incident}/cancel/", {"reason": "误报"}),
    "reopen": ("post", "/api/v1/incidents/{incident}/reopen/", None),
    "bring_in": ("post", "/api/v1/incidents/{incident}/assignments/", {"agency": "km-traffic"}),
    "note": ("post", "/api/v1/incidents/{incident}/notes/", {"text": "现场风大"}),
    "assignments": ("get", "/api/v1/assignments/", None),
    "assignment": ("get", "/api/v1/assignments/{fire_task}/", None),
    "accept": ("post", "/api/v1/assignments/{fire_task}/accept/", None),
    "decline": ("post", "/api/v1/assignments/{fire_task}/decline/", {"reason": "无车"}),
    "progress": ("post", "/api/v1/assignments/{fire_task}/progress/", {"status": "en_route"}),
    "cap_in": ("post", "/api/v1/cap/", None),
    "ws_ticket": ("post", "/api/v1/auth/ws-ticket/", None),
    "revoke_token": ("delete", "/api/v1/auth/token/", None),
}

# Callers on the incident see it; the others get 404 for it, never 403 (it does not exist for them).
SEES = {"dispatcher", "commander", "fire_liaison", "fire_chief", "medical_liaison"}
DISPATCH = {"dispatcher", "commander"}
FIRE = {"fire_liaison", "fire_chief"}


def expected(endpoint: str, caller: str) -> int:
    if caller == "anonymous":
        return 401
    if endpoint in ("agencies", "agency", "plans", "preview", "incidents", "assignments", "ws_ticket", "similar"):
        return 200  # lists hold only what the caller may see
    if endpoint == "revoke_token":  # anyone signed in, for their own token only
        return 204
    if endpoint in ("incident", "timeline", "cap", "assignment"):
        return 200 if caller in SEES else 404
    if endpoint == "open":
        return 201 if caller in DISPATCH else 403
    if endpoint == "cap_in":
        return 201 if caller in DISPATCH else 403
    if caller not in SEES:
        return 404
    if endpoint == "note":
        return 201
    if endpoint in ("patch", "cancel"):
        return 200 if caller in DISPATCH else 403
    if endpoint == "bring_in":
        return 201 if caller in DISPATCH else 403
    if endpoint == "contain":
        return 200 if caller == "commander" else 403
    if endpoint in ("close", "reopen"):  # allowed for commanders, but not from "active": the machine says 409
        return 409 if caller == "commander" else 403
    if endpoint in ("accept", "decline"):
        return 200 if caller in FIRE else 403
    if endpoint == "progress":  # fire may report, but a pending task cannot be en route yet
        return 409 if caller in FIRE else 403
    raise AssertionError(endpoint)


CAP_ALERT = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>matrix-{caller}</identifier><sender>119@km</sender><sent>2026-11-28T10:00:00+08:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Restricted</scope>
  <info><category>Fire</category><event>火灾</event><urgency>Immediate</urgency><severity>Minor</severity>
  <certainty>Observed</certainty><headline>测试</headline></info>
</alert>"""


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_permission_matrix(api, demo, fire_incident, endpoint, caller):
    method, path, body = ENDPOINTS[endpoint]
    path = path.format(
        incident=fire_incident.pk,
        agency=demo.agency("km-fire").pk,
        fire_task=fire_incident.assignments.get(agency__code="km-fire").pk,
    )
    if caller == "stranger":
        client = api(UserFactory(username="stranger"))
    else:
        client = api(None if caller == "anonymous" else caller)
    if endpoint == "cap_in":
        response = client.post(path, CAP_ALERT.format(caller=caller).encode(), content_type="application/xml")
    else:
        response = getattr(client, method)(path, body, format="json") if body else getattr(client, method)(path)
    assert response.status_code == expected(endpoint, caller), (endpoint, caller, response.content[:300])
    if response.status_code in (401, 403, 404, 409):
        assert response.json()["detail"]


# --- Pages and sockets -----------------------------------------------------------------------------

PEOPLE = ["anonymous", "police_liaison", "fire_liaison", "fire_chief", "dispatcher", "commander", "admin"]

LOGIN = "login"  # 302 to /accounts/login/?next=<the page>; a path: a 302 there.
STAFF = "staff"  # 302 to the admin's own sign-in (only admins manage rosters, plans and policies)
# Why each cell, from DESIGN:
# - "/" sends each person to their page: a member to their agency's dashboard, the dispatcher to the
#   incident list, the commander to the board. The demo's admin is a superuser: Django gives a
#   superuser every model-level permission, which DESIGN gives commanders ("Dispatchers and
#   commanders hold model-level permissions on all incidents"), so the admin sees what a commander sees.
# - The incident list holds only what each may see (selectors): everyone signed in gets a list.
# - Intake and the board are the dispatcher's and the commander's (who may open incidents; the board
#   is theirs, like /ws/board/); an agency member is refused (403: a page, not an object).
# - The incident page is for those who may view the incident; police is not on it: 404, as for an
#   incident that does not exist ("a forbidden object answers 404 in lists and details alike").
# - The dashboard is the signed-in member's agency; those with no agency but the whole picture are
#   sent to the board.
# - A roster is visible to the agency itself and to admins only: others get 404 (the roster, like an
#   incident, does not exist for them); commanders and dispatchers see who is on duty on the incident page.
# - Everyone signed in has their own notifications.
# - The plan preview is part of intake: the dispatcher's and the commander's.
DASHBOARD, LIST, BOARD = "/dashboard/", "/incidents/", "/board/"
PAGES = {
    #                               anonymous police_l  fire_l     fire_chief dispatcher commander admin
    "/":                             (LOGIN,   DASHBOARD, DASHBOARD, DASHBOARD, LIST,      BOARD,    BOARD),
    "/incidents/":                   (LOGIN,   200,       200,       200,       200,       200,      200),
    "/incidents/new/":               (LOGIN,   403,       403,       403,       200,       200,      200),
    "/incidents/new/plan/?kind=hazmat&severity=3":
                                     (LOGIN,   403,       403,       403,       200,       200,      200),
    "/incidents/{incident}/":        (LOGIN,   404,       200,       200,       200,       200,      200),
    "/incidents/{missing}/":         (LOGIN,   404,       404,       404,       404,       404,      404),
    "/dashboard/":                   (LOGIN,   200,       200,       200,       BOARD,     BOARD,    BOARD),
    "/board/":                       (LOGIN,   403,       403,       403,       200,       200,      200),
    "/agencies/km-fire/roster/":     (LOGIN,   404,       200,       200,       404,       404,      200),
    "/agencies/km-nowhere/roster/":  (LOGIN,   404,       404,       404,       404,       404,      404),
    "/notifications/":               (LOGIN,   200,       200,       200,       200,       200,      200),
    "/admin/":                       (STAFF,   STAFF,     STAFF,     STAFF,     STAFF,     STAFF,    200),
}  # fmt: skip

# DESIGN's "Live updates": the board is for commanders and dispatchers; an agency's socket for its
# members and commanders; an incident's for anyone who may view it; /ws/notifications/ for everyone
# signed in (their own). Anonymous sockets are closed with 4403.
OPEN, CLOSED = True, False
SOCKETS = {
    #                               anonymous police_l  fire_l     fire_chief dispatcher commander admin
    "/ws/board/":                    (CLOSED,  CLOSED,    CLOSED,    CLOSED,    OPEN,      OPEN,     OPEN),
    "/ws/agency/{fire}/":            (CLOSED,  CLOSED,    OPEN,      OPEN,      CLOSED,    OPEN,     OPEN),
    "/ws/agency/{police}/":          (CLOSED,  OPEN,      CLOSED,    CLOSED,    CLOSED,    OPEN,     OPEN),
    "/ws/incident/{incident}/":      (CLOSED,  CLOSED,    OPEN,      OPEN,      OPEN,      OPEN,     OPEN),
    "/ws/incident/{missing}/":       (CLOSED,  CLOSED,    CLOSED,    CLOSED,    CLOSED,    CLOSED,   CLOSED),
    "/ws/notifications/":            (CLOSED,  OPEN,      OPEN,      OPEN,      OPEN,      OPEN,     OPEN),
}  # fmt: skip


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("page", list(PAGES))
def test_page_matrix(client: Client, demo, fire_incident, page, person):
    path = page.format(incident=fire_incident.pk, missing=fire_incident.pk + 1000)
    if person != "anonymous":
        client.force_login(demo.users[person])
    response = client.get(path)
    want = PAGES[page][PEOPLE.index(person)]
    if want == LOGIN:
        assert (response.status_code, response.headers.get("Location")) == (302, f"/accounts/login/?next={quote(path)}")
    elif want == STAFF:
        assert (response.status_code, response.headers.get("Location")) == (302, f"/admin/login/?next={quote(path)}")
    elif isinstance(want, str):
        assert (response.status_code, response.headers.get("Location")) == (302, want), (page, person)
    else:
        assert response.status_code == want, (page, person)


@pytest.mark.django_db(transaction=True)
def test_socket_matrix(demo, fire_incident):
    """One test for the whole table: each handshake goes through the ASGI stack with the person's
    session, on the settings' channel layer (committed data: transaction=True)."""
    ids = {
        "fire": demo.agency("km-fire").pk,
        "police": demo.agency("km-police").pk,
        "incident": fire_incident.pk,
        "missing": fire_incident.pk + 1000,
    }
    seen, wanted = {}, {}
    for socket_path, row in SOCKETS.items():
        for person, want in zip(PEOPLE, row, strict=True):
            user = None if person == "anonymous" else demo.users[person]
            accepted, code = connects(socket_path.format(**ids), user)
            seen[(socket_path, person)] = accepted
            wanted[(socket_path, person)] = want
            if person == "anonymous":
                assert code == 4403, socket_path
    assert seen == wanted


# The pages' forms, by what they change (a refused form redirects back with a message, so the status
# says little): DESIGN's "People and what they do" and "State machines" — members of the task's
# agency act on it; dispatchers and commanders change an incident's facts and bring agencies in;
# commanders contain; everyone who sees the incident writes to its timeline. Police, not on the
# incident, gets 404 and changes nothing; anonymous is sent to sign in. The admin, a superuser, holds
# every permission (above), a task's object permission included.
DONE, REFUSED, NOT_FOUND = "done", "refused", 404
PAGE_FORMS = {
    #              anonymous police_l   fire_l   fire_chief dispatcher commander admin
    "note":        (LOGIN,   NOT_FOUND, DONE,    DONE,      DONE,      DONE,     DONE),
    "severity":    (LOGIN,   NOT_FOUND, REFUSED, REFUSED,   DONE,      DONE,     DONE),
    "bring_in":    (LOGIN,   NOT_FOUND, REFUSED, REFUSED,   DONE,      DONE,     DONE),
    "accept":      (LOGIN,   NOT_FOUND, DONE,    DONE,      REFUSED,   REFUSED,  DONE),
    "contain":     (LOGIN,   NOT_FOUND, REFUSED, REFUSED,   REFUSED,   DONE,     DONE),
}  # fmt: skip


def _form(name, incident, task):
    """(path, body, whether the change happened) for one of the page forms."""
    return {
        "note": (
            f"/incidents/{incident.pk}/notes/",
            {"text": "现场风大"},
            lambda: incident.timeline.filter(text="现场风大").exists(),
        ),
        "severity": (
            f"/incidents/{incident.pk}/severity/",
            {"severity": "3"},
            lambda: incident.__class__.objects.get(pk=incident.pk).severity == 3,
        ),
        "bring_in": (
            f"/incidents/{incident.pk}/assignments/",
            {"agency": "km-traffic"},
            lambda: incident.assignments.filter(agency__code="km-traffic").exists(),
        ),
        "accept": (
            f"/assignments/{task.pk}/accept/",
            {},
            lambda: task.__class__.objects.get(pk=task.pk).status == "accepted",
        ),
        "contain": (
            f"/incidents/{incident.pk}/contain/",
            {},
            lambda: incident.__class__.objects.get(pk=incident.pk).status == "contained",
        ),
    }[name]


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("form", list(PAGE_FORMS))
def test_page_form_matrix(client: Client, demo, fire_incident, fire_task, form, person):
    path, body, happened = _form(form, fire_incident, fire_task)
    if person != "anonymous":
        client.force_login(demo.users[person])
    response = client.post(path, body)
    want = PAGE_FORMS[form][PEOPLE.index(person)]
    if want == LOGIN:
        assert (response.status_code, response.headers.get("Location")) == (302, f"/accounts/login/?next={quote(path)}")
    elif want == NOT_FOUND:
        assert response.status_code == 404
    else:
        assert response.status_code == 302 and response.headers["Location"] == f"/incidents/{fire_incident.pk}/"
    assert happened() is (want == DONE), (form, person)
