"""The incident and assignment endpoints (incidents/api/): the whole job over HTTP, as a 119
call-taking system or a mobile app would do it, and what each refuses."""

import threading

import pytest
from django.db import connection

from incidents.models import AssignmentStatus
from incidents.services import incident_open


def test_token_then_hazmat_then_accept_then_timeline_then_close(api, demo):
    anonymous = api(None)
    response = anonymous.post("/api/v1/auth/token/", {"username": "dispatcher", "password": "linkage-demo"})
    assert response.status_code == 200
    dispatcher = anonymous
    dispatcher.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")

    response = dispatcher.post(
        "/api/v1/incidents/",
        {
            "kind": "hazmat",
            "severity": 3,
            "title": "昆明东站槽罐车氯气泄漏",
            "description": "罐体阀门泄漏，有刺激性气味",
            "address": "官渡区昆明东站货场",
            "latitude": "25.030000",
            "longitude": "102.750000",
            "exercise": False,
        },
    )
    assert response.status_code == 201, response.json()
    incident = response.json()
    assert incident["reference"].startswith("KM-")
    assert response["Location"].endswith(f"/api/v1/incidents/{incident['id']}/")
    assert sorted(a["agency"]["code"] for a in incident["assignments"]) == [
        "km-environment",
        "km-fire",
        "km-medical",
        "km-police",
        "km-traffic",
    ]
    assert {a["status"] for a in incident["assignments"]} == {"pending"}

    fire = api("fire_liaison")
    pending = fire.get("/api/v1/assignments/", {"agency": "km-fire", "status": "pending"}).json()["results"]
    assert [a["incident_reference"] for a in pending] == [incident["reference"]]
    fire_task = pending[0]["id"]

    police = api("police_liaison")
    response = police.post(f"/api/v1/assignments/{fire_task}/accept/")
    assert response.status_code == 403

    response = fire.post(f"/api/v1/assignments/{fire_task}/accept/")
    assert response.status_code == 200
    assert response.json()["status"] == AssignmentStatus.ACCEPTED
    assert response.json()["accepted_at"]
    assert fire.post(f"/api/v1/assignments/{fire_task}/accept/").status_code == 409

    timeline = fire.get(f"/api/v1/incidents/{incident['id']}/timeline/").json()
    last_seen = timeline[-1]["seq"]
    response = police.post(f"/api/v1/incidents/{incident['id']}/notes/", {"text": "东侧路口已封控"})
    assert response.status_code == 201
    newer = fire.get(f"/api/v1/incidents/{incident['id']}/timeline/", {"after": last_seen}).json()
    assert [(e["kind"], e["text"], e["actor"]["username"]) for e in newer] == [
        ("note", "东侧路口已封控", "police_liaison")
    ]

    commander = api("commander")
    assert commander.post(f"/api/v1/incidents/{incident['id']}/close/").status_code == 409  # contain first
    assert commander.post(f"/api/v1/incidents/{incident['id']}/contain/").json()["status"] == "contained"
    closed = commander.post(f"/api/v1/incidents/{incident['id']}/close/").json()
    assert closed["status"] == "closed"
    statuses = {a["agency"]["code"]: a["status"] for a in closed["assignments"]}
    assert statuses["km-fire"] == "cancelled"
    assert set(statuses.values()) == {"cancelled"}


def test_map_click_coordinates_are_rounded_not_refused(api, demo):
    response = api("dispatcher").post(
        "/api/v1/incidents/",
        {
            "kind": "building_fire",
            "severity": 4,
            "title": "地图选点",
            "latitude": 25.0431234567,
            "longitude": 102.7098765432,
        },
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["latitude"], response.json()["longitude"]) == ("25.043123", "102.709877")


def test_liaison_reports_progress_and_declines_with_reason(api, fire_incident):
    fire, medical = api("fire_liaison"), api("medical_liaison")
    tasks = {a.agency.code: a.pk for a in fire_incident.assignments.select_related("agency")}
    assert fire.post(f"/api/v1/assignments/{tasks['km-fire']}/accept/").status_code == 200
    for step in ("en_route", "on_scene", "completed"):
        response = fire.post(f"/api/v1/assignments/{tasks['km-fire']}/progress/", {"status": step, "note": "ok"})
        assert response.status_code == 200
        assert response.json()["status"] == step
    response = medical.post(f"/api/v1/assignments/{tasks['km-medical']}/decline/", {})
    assert response.status_code == 400
    assert "reason" in response.json()
    response = medical.post(f"/api/v1/assignments/{tasks['km-medical']}/decline/", {"reason": "救护车全部出车"})
    assert response.status_code == 200
    assert response.json()["decline_reason"] == "救护车全部出车"


def test_bringing_in_an_agency_and_plan_preview(api, fire_incident):
    commander = api("commander")
    response = commander.post(
        f"/api/v1/incidents/{fire_incident.pk}/assignments/", {"agency": "km-police", "task": "维持秩序"}
    )
    assert response.status_code == 201
    assert response.json()["agency"]["code"] == "km-police"
    assert (
        commander.post(f"/api/v1/incidents/{fire_incident.pk}/assignments/", {"agency": "km-police"}).status_code == 409
    )
    assert (
        commander.post(f"/api/v1/incidents/{fire_incident.pk}/assignments/", {"agency": "km-nowhere"}).status_code
        == 400
    )
    preview = api("dispatcher").get("/api/v1/plans/preview/", {"kind": "hazmat", "severity": 4}).json()
    assert [t["agency"]["code"] for t in preview] == ["km-fire", "km-environment", "km-police"]
    assert api("dispatcher").get("/api/v1/plans/preview/", {"kind": "hazmat", "severity": 7}).status_code == 400


def test_patch_changes_facts_never_status(api, fire_incident):
    commander = api("commander")
    response = commander.patch(
        f"/api/v1/incidents/{fire_incident.pk}/", {"title": "居民楼火灾（已扩大）", "severity": 3}
    )
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["severity"]) == ("居民楼火灾（已扩大）", 3)
    # Level III brings in the plan's police and traffic steps.
    assert {a["agency"]["code"] for a in response.json()["assignments"]} == {
        "km-fire",
        "km-medical",
        "km-police",
        "km-traffic",
    }
    response = commander.patch(f"/api/v1/incidents/{fire_incident.pk}/", {"status": "closed"})
    assert response.status_code == 400
    assert "status" in response.json()
    fire_incident.refresh_from_db()
    assert fire_incident.status == "active"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/incidents/", {"kind": "hazmat", "severity": 7, "title": "x"}),
        ("/api/v1/incidents/", {"kind": "volcano", "severity": 1, "title": "x"}),
        ("/api/v1/incidents/", {"kind": "hazmat", "severity": 1, "title": ""}),
        ("/api/v1/incidents/", {"kind": "hazmat", "severity": 1, "title": "x", "agencies": ["km-nowhere"]}),
        ("/api/v1/incidents/", {"kind": "hazmat", "severity": 1, "title": "x", "latitude": "95"}),
        ("/api/v1/incidents/", ["not", "an", "object"]),
    ],
)
def test_bad_input_is_400_and_writes_nothing(api, demo, path, body):
    from incidents.models import Incident

    before = Incident.objects.count()
    response = api("dispatcher").post(path, body, format="json")
    assert response.status_code == 400
    assert response.json()
    assert Incident.objects.count() == before


def test_malformed_body_wrong_type_missing_id_huge_payload(api, demo):
    dispatcher = api("dispatcher")
    response = dispatcher.post("/api/v1/incidents/", "{not json", content_type="application/json")
    assert response.status_code == 400
    response = dispatcher.post("/api/v1/incidents/", "kind=hazmat", content_type="text/plain")
    assert response.status_code == 415
    assert dispatcher.get("/api/v1/incidents/999999999/").status_code == 404
    assert dispatcher.get("/api/v1/incidents/not-a-number/").status_code == 404
    assert dispatcher.post("/api/v1/assignments/99999999999999999999/accept/").status_code == 404
    huge = '{"kind": "hazmat", "severity": 1, "title": "' + "x" * (2 * 1024 * 1024) + '"}'
    response = dispatcher.post("/api/v1/incidents/", huge, content_type="application/json")
    assert response.status_code == 413
    assert dispatcher.get("/api/v1/incidents/", {"severity": "9"}).status_code == 400
    assert dispatcher.get("/api/v1/incidents/1/timeline/", {"after": "-3"}).status_code in (400, 404)


def test_session_auth_needs_csrf(demo, fire_incident):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(demo.commander)
    assert client.get(f"/api/v1/incidents/{fire_incident.pk}/").status_code == 200
    assert client.post(f"/api/v1/incidents/{fire_incident.pk}/contain/").status_code == 403
    fire_incident.refresh_from_db()
    assert fire_incident.status == "active"


def test_token_endpoint_is_throttled_with_429(api, demo, settings):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min", "writes": "1000/min"},
    }
    anonymous = api(None)
    codes = [
        anonymous.post("/api/v1/auth/token/", {"username": "dispatcher", "password": "wrong"}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    locked = anonymous.post("/api/v1/auth/token/", {"username": "dispatcher", "password": "linkage-demo"})
    assert locked.status_code == 429
    assert "detail" in locked.json()
    cache.clear()


def test_openapi_schema_and_offline_docs(api, client, demo):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    for path in (
        "/api/v1/incidents/",
        "/api/v1/incidents/{id}/contain/",
        "/api/v1/assignments/{id}/accept/",
        "/api/v1/incidents/{id}/timeline/",
        "/api/v1/plans/preview/",
        "/api/v1/cap/",
        "/api/v1/auth/token/",
    ):
        assert path in document["paths"], path
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "//cdn" not in html and "unpkg" not in html  # the assets are served from here


def test_liaison_patch_is_403_before_any_validation(api, fire_incident):
    fire = api("fire_liaison")
    assert fire.patch(f"/api/v1/incidents/{fire_incident.pk}/", {"commander": 999999}, format="json").status_code == 403


def test_fractional_commander_is_refused(api, fire_incident, demo):
    response = api("commander").patch(f"/api/v1/incidents/{fire_incident.pk}/", {"commander": 1.5}, format="json")
    assert response.status_code == 400
    fire_incident.refresh_from_db()
    assert fire_incident.commander is None


@pytest.mark.parametrize("value", ["1e30", "9e27", "NaN", "Infinity"])
def test_absurd_coordinates_are_400_not_500(api, demo, value):
    body = {"kind": "other", "severity": 4, "title": "t", "latitude": value, "longitude": "1"}
    assert api("dispatcher").post("/api/v1/incidents/", body, format="json").status_code == 400
    query = {"kind": "other", "severity": 4, "latitude": value, "longitude": "1"}
    assert api("dispatcher").get("/api/v1/plans/preview/", query).status_code == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_accepts_one_200_one_409(api, demo):
    incident = incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="并发")
    task = incident.assignments.get(agency__code="km-fire").pk
    clients = [api("fire_liaison"), api("fire_chief")]
    start = threading.Barrier(2)
    codes = []

    def accept(client):
        try:
            start.wait(timeout=10)
            codes.append(client.post(f"/api/v1/assignments/{task}/accept/").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(codes) == [200, 409]
