"""The API's lists and details (incidents/filters.py over incidents/selectors.py): no endpoint leaks an
incident or task an agency is not on, whatever the filters and search, and lists cost the same queries
for 5 rows or 500."""

import pytest

from incidents.services import incident_open


@pytest.fixture
def police_only(demo):
    return incident_open(
        by=demo.dispatcher,
        kind="other",
        severity=4,
        title="可疑包裹 suspicious parcel",
        address="盘龙区北京路",
        agencies=["km-police"],
    )


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"agency": "km-police"},
        {"kind": "other"},
        {"status": "active"},
        {"q": "suspicious"},
        {"q": "北京路"},
        {"severity": "4"},
        {"exercise": "false"},
        {"page_size": "500"},
    ],
)
def test_fire_never_sees_polices_incident_through_any_filter(api, demo, fire_incident, police_only, query):
    fire = api("fire_liaison")
    results = fire.get("/api/v1/incidents/", query).json()["results"]
    assert police_only.reference not in {row["reference"] for row in results}
    assert all("km-fire" in {a["agency"]["code"] for a in row["assignments"]} for row in results)


@pytest.mark.parametrize("query", [{}, {"agency": "km-police"}, {"incident": "{police_only}"}, {"status": "pending"}])
def test_fire_never_sees_polices_tasks_through_any_filter(api, demo, fire_incident, police_only, query):
    query = {k: v.format(police_only=police_only.pk) for k, v in query.items()}
    results = api("fire_liaison").get("/api/v1/assignments/", query).json()["results"]
    assert police_only.pk not in {row["incident"] for row in results}


def test_foreign_incident_is_404_everywhere(api, demo, police_only):
    fire = api("fire_liaison")
    police_task = police_only.assignments.get().pk
    for path in (
        f"/api/v1/incidents/{police_only.pk}/",
        f"/api/v1/incidents/{police_only.pk}/timeline/",
        f"/api/v1/incidents/{police_only.pk}/cap/",
        f"/api/v1/assignments/{police_task}/",
    ):
        assert fire.get(path).status_code == 404, path
    assert fire.post(f"/api/v1/incidents/{police_only.pk}/notes/", {"text": "hi"}).status_code == 404
    assert fire.post(f"/api/v1/assignments/{police_task}/accept/").status_code == 404
    police_only.refresh_from_db()
    assert police_only.timeline.filter(kind="note").count() == 0


def test_lists_take_the_same_queries_for_5_or_500_rows(api, demo, open_many, django_assert_max_num_queries):
    clients = {name: api(name) for name in ("fire_liaison", "commander")}

    def sizes():
        counts = {}
        for name, client in clients.items():
            for path in ("/api/v1/incidents/", "/api/v1/assignments/"):
                with django_assert_max_num_queries(10):
                    body = client.get(path, {"page_size": 500}).json()
                counts[(name, path)] = len(body["results"])
        return counts

    open_many(5)
    assert set(sizes().values()) == {5, 10}
    open_many(495)
    counts = sizes()
    assert counts[("fire_liaison", "/api/v1/incidents/")] == 500
    assert counts[("commander", "/api/v1/assignments/")] == 500  # one page of the 1,000 tasks
