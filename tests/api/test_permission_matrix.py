"""Every endpoint, tried by every kind of caller, answers as DESIGN says.

The incident is a level IV building fire: fire and medical are on it. Callers: anonymous, the
dispatcher, the commander, fire's liaison and chief (on it, own task), medical's liaison (on it, not
its task), police's liaison (not on it), and a signed-in stranger with no role.
"""

import pytest

from tests.factories import UserFactory

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
