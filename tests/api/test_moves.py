"""The API's `moves`: each incident and task says which moves its reader may make now (transitions.py),
and exactly those succeed; taking an agency off is a move of the API too."""

import pytest

from incidents import services
from incidents.models import Assignment, Incident

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def hazmat(demo):
    return services.incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="槽罐车泄漏")


def _moves(body) -> set[tuple[str, str]]:
    return {(move["action"], move["target"]) for move in body["moves"]}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("commander", {("contain", "contained"), ("cancel", "cancelled")}),
        ("dispatcher", {("cancel", "cancelled")}),
        ("fire_liaison", set()),
    ],
)
def test_an_incident_lists_the_moves_its_reader_may_make(api, demo, hazmat, role, expected):
    client = api(role)
    assert _moves(client.get(f"/api/v1/incidents/{hazmat.pk}/").json()) == expected
    listed = next(row for row in client.get("/api/v1/incidents/").json()["results"] if row["id"] == hazmat.pk)
    assert _moves(listed) == expected
    for action, target in expected:
        Incident.objects.filter(pk=hazmat.pk).update(status="active")
        body = {"reason": "误报"} if action == "cancel" else {}
        response = client.post(f"/api/v1/incidents/{hazmat.pk}/{action}/", body, format="json")
        assert (response.status_code, response.json()["status"]) == (200, target)


def test_a_task_lists_its_moves_and_they_follow_the_state(api, demo, hazmat):
    task = hazmat.assignments.get(agency__code="km-fire")
    liaison, police = api("fire_liaison"), api("police_liaison")
    assert _moves(liaison.get(f"/api/v1/assignments/{task.pk}/").json()) == {
        ("accept", "accepted"),
        ("decline", "declined"),
    }
    assert _moves(police.get(f"/api/v1/assignments/{task.pk}/").json()) == set()
    accepted = liaison.post(f"/api/v1/assignments/{task.pk}/accept/").json()
    assert _moves(accepted) == {("progress", "en_route")}
    listed = {row["id"]: row for row in liaison.get(f"/api/v1/assignments/?incident={hazmat.pk}").json()["results"]}
    assert _moves(listed[task.pk]) == {("progress", "en_route")}
    assert _moves(api("dispatcher").get(f"/api/v1/assignments/{task.pk}/").json()) == {("cancel", "cancelled")}


def test_a_dispatcher_takes_an_agency_off_through_the_api(api, demo, hazmat):
    task = hazmat.assignments.get(agency__code="km-police")
    refused = api("police_liaison").post(f"/api/v1/assignments/{task.pk}/cancel/", {"reason": "x"}, format="json", **EN)
    assert (refused.status_code, refused.json()["detail"]) == (403, "Only dispatchers and commanders may do this.")
    response = api("dispatcher").post(f"/api/v1/assignments/{task.pk}/cancel/", {"reason": "不需要"}, format="json")
    assert (response.status_code, response.json()["status"], response.json()["moves"]) == (200, "cancelled", [])
    again = api("dispatcher").post(f"/api/v1/assignments/{task.pk}/cancel/", {}, format="json")
    assert again.status_code == 409
    assert Assignment.objects.get(pk=task.pk).status == "cancelled"


def test_what_one_may_not_see_is_404_however_the_id_is_written(api, demo, hazmat):
    crash = services.incident_open(by=demo.dispatcher, kind="traffic_accident", severity=4, title="追尾")
    task = crash.assignments.first()
    fire = api("fire_liaison")  # fire is not on the crash
    for path in (
        f"/api/v1/incidents/{crash.pk}/",
        f"/api/v1/assignments/{task.pk}/",
        "/api/v1/incidents/99999999999999999999/",
        "/api/v1/assignments/abc/",
    ):
        assert fire.get(path).status_code == 404, path
    assert fire.post(f"/api/v1/assignments/{task.pk}/accept/").status_code == 404
    assert fire.post(f"/api/v1/incidents/{crash.pk}/notes/", {"text": "偷看"}, format="json").status_code == 404


def test_moves_carry_the_buttons_words_in_the_readers_language(api, demo, hazmat):
    body = api("commander").get(f"/api/v1/incidents/{hazmat.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert {move["action"]: move["label"] for move in body["moves"]} == {
        "contain": "宣布已控制",
        "cancel": "确认取消事件",
    }
    body = api("commander").get(f"/api/v1/incidents/{hazmat.pk}/", **EN).json()
    assert {move["action"]: move["label"] for move in body["moves"]} == {
        "contain": "Contain",
        "cancel": "Cancel the incident",
    }
