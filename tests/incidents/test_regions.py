"""Page regions (incidents/regions.py): each live page's region answers an htmx request with its own
partial alone, in a few queries, only to whoever may see the page; the region says which live events
refresh it."""

import re
from html import unescape as html_unescape

import pytest

from incidents.services import assignment_accept, note_add

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_ACCEPT_LANGUAGE": "en"}

# Every region's id, with the live event types that change it — stated here from DESIGN's envelope
# and what each region shows, not read from the code under test.
TASKS = {"assignment.created", "assignment.updated", "assignment.escalated", "assignment.declined"}
OPENED_CLOSED = {"assignment.created", "assignment.updated", "assignment.declined"}
INCIDENT = {"incident.created", "incident.updated"}
EVERY_ENTRY = (
    INCIDENT
    | TASKS
    | {
        "note.added",
        "deployment.created",
        "deployment.updated",
        "rollcall.started",
        "rollcall.updated",
    }
)
EXPECTED_EVENTS = {
    "board-body": INCIDENT,  # incidents come, go, change order
    "board-incident": TASKS,  # one card: only events naming its incident
    "board-counts": INCIDENT | TASKS,
    "board-markers": INCIDENT,
    "board-kpis": {"assignment.updated"},
    "incident-head": INCIDENT | OPENED_CLOSED,
    "incident-agencies": INCIDENT | TASKS,
    "incident-duty": OPENED_CLOSED,
    "incident-timeline": EVERY_ENTRY,
    "dashboard-tasks": INCIDENT | TASKS,
}
PAGE_REGIONS = {
    "/board/": ["board-counts", "board-body", "board-incident", "board-markers", "board-kpis"],
    "/incidents/{incident}/": ["incident-head", "incident-agencies", "incident-duty", "incident-timeline"],
    "/dashboard/": ["dashboard-tasks"],
}
# (url, region, user, what the partial must show, most queries: 4 are the session, the user and its
# permissions; the top bar's are not run for a region)
CASES = [
    ("/board/", "board-body", "commander", "居民楼厨房起火", 6),
    ("/board/", "board-counts", "commander", "1 active", 6),
    ("/board/", "board-markers", "dispatcher", "map-points", 6),
    ("/board/", "board-kpis", "commander", "Dispatch to accept", 6),
    ("/incidents/{incident}/", "incident-head", "dispatcher", "居民楼厨房起火", 8),
    ("/incidents/{incident}/", "incident-agencies", "dispatcher", "Fire", 8),
    ("/incidents/{incident}/", "incident-duty", "dispatcher", "On duty now", 7),
    ("/incidents/{incident}/", "incident-timeline", "fire_liaison", "水枪已出水", 6),
    ("/dashboard/", "dashboard-tasks", "fire_liaison", "居民楼厨房起火", 7),
]
ANY_REGION = re.compile(r'id="([a-z0-9-]+)" data-region')


def regions_in(html: str) -> list[str]:
    """The region elements in this HTML, the board's cards (regions inside board-body) left out."""
    return [name for name in ANY_REGION.findall(html) if not name.startswith("board-incident-")]


def _watched(demo, fire_incident, fire_task):
    assignment_accept(assignment=fire_task, by=demo.fire_liaison)
    note_add(incident=fire_incident, by=demo.fire_liaison, text="水枪已出水")


@pytest.mark.parametrize(("url", "region", "username", "shows", "queries"), CASES)
def test_each_region_answers_its_partial_alone_to_an_htmx_request(
    client, demo, fire_incident, fire_task, url, region, username, shows, queries, django_assert_max_num_queries
):
    _watched(demo, fire_incident, fire_task)
    client.force_login(demo.users[username])
    url = url.format(incident=fire_incident.pk)
    with django_assert_max_num_queries(queries):
        response = client.get(url, {"region": region}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert response["X-Linkage-Region"] == region
    assert "HX-Request" in response["Vary"]
    assert "<html" not in html and "topbar" not in html  # not the page: no layout around it
    assert regions_in(html) == [region]  # this region, and no other
    assert html.lstrip().startswith("<") and f'id="{region}"' in html.split(">", 1)[0]  # it is the root
    assert shows in html


@pytest.mark.parametrize(
    ("url", "region"),
    [(url, region) for url, regions in PAGE_REGIONS.items() for region in regions if region != "board-incident"],
)
def test_the_hx_target_header_names_the_region_too(client, demo, fire_incident, url, region):
    user = demo.fire_liaison if url == "/dashboard/" else demo.dispatcher
    client.force_login(user)
    response = client.get(url.format(incident=fire_incident.pk), HTTP_HX_TARGET=region, **HTMX)
    assert response.status_code == 200
    assert regions_in(response.content.decode()) == [region]


def test_a_region_costs_less_than_the_page(client, demo, fire_incident, fire_task, django_assert_max_num_queries):
    """A note refreshes the timeline only: a fraction of the page's bytes, fewer queries."""
    _watched(demo, fire_incident, fire_task)
    client.force_login(demo.dispatcher)
    url = f"/incidents/{fire_incident.pk}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    timeline = client.get(url, {"region": "incident-timeline"}, **HTMX)
    assert len(timeline.content) * 4 < len(page.content)
    assert regions_in(page.content.decode()) == PAGE_REGIONS["/incidents/{incident}/"]


def test_a_board_card_answers_alone_and_an_incident_off_the_board_answers_empty(
    client, demo, fire_incident, fire_task, open_many, django_assert_max_num_queries
):
    open_many(5)
    assignment_accept(assignment=fire_task, by=demo.fire_liaison)
    client.force_login(demo.commander)
    card = f"board-incident-{fire_incident.pk}"
    with django_assert_max_num_queries(6):
        response = client.get("/board/", {"region": "board-incident", "incident": fire_incident.pk}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and response["X-Linkage-Region"] == card
    assert ANY_REGION.findall(html) == [card]  # one card: not the other five, not the list around them
    assert html.strip().startswith("<article") and "居民楼厨房起火" in html and "st-accepted" in html
    full = client.get("/board/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert len(html) * 4 < len(full)

    fire_incident.status = "closed"
    fire_incident.save(update_fields=["status"])
    response = client.get("/board/", {"region": "board-incident", "incident": fire_incident.pk}, **HTMX)
    assert response.status_code == 200 and response.content.decode().strip() == ""  # the swap removes it
    for bad in ("", "x", "-1", "0", "1.5", "٣", "99999999999999999999"):
        response = client.get("/board/", {"region": "board-incident", "incident": bad}, **HTMX)
        assert response.status_code == 400, bad


@pytest.mark.parametrize(("url", "username"), [("/board/", "commander"), ("/incidents/{incident}/", "dispatcher")])
def test_each_region_says_which_live_events_refresh_it(client, demo, fire_incident, url, username):
    client.force_login(demo.users[username])
    html = client.get(url.format(incident=fire_incident.pk), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for region in PAGE_REGIONS[url]:
        element_id = f"{region}-{fire_incident.pk}" if region == "board-incident" else region
        element = re.search(rf'<[a-z]+[^>]* id="{element_id}" data-region [^>]*>', html).group(0)
        trigger = re.search(r'hx-trigger="([^"]*)"', element).group(1)
        events = set(re.findall(r"linkage:([a-z]+\.[a-z]+)(?:\[[^\]]*\])? from:body", trigger))
        assert events == EXPECTED_EVENTS[region], region
        if region in ("incident-head", "incident-duty"):  # an accept leaves the open tasks as they were
            closed = "(detail.assignment.status=='completed'||detail.assignment.status=='cancelled')"
            assert f"linkage:assignment.updated[{closed}] from:body" in html_unescape(trigger)
        if region == "board-incident":  # a card listens only for its own incident's events
            only = f"[detail.incident&amp;&amp;detail.incident.id=={fire_incident.pk}]"
            assert trigger.count(only) == len(TASKS)
            assert "resync" not in trigger  # the list around it refreshes on a resync, not 200 cards
            assert f'hx-get="/board/?region=board-incident&amp;incident={fire_incident.pk}"' in element
            continue
        assert "linkage:resync from:body" in trigger  # after a reconnect that missed something
        # A decline shows at once; the rest of a burst is one fetch.
        for part in trigger.split(", "):
            if part.startswith("linkage:assignment.declined"):
                assert "delay" not in part
            elif " from:body" in part and "resync" not in part:
                assert "delay:150ms" in part, part
        assert f'hx-get="{url.format(incident=fire_incident.pk)}?region={region}"' in element
        assert 'hx-swap="outerHTML"' in element


def test_the_dashboard_region_keeps_the_agency_chosen(client, demo, fire_incident):
    # The fire liaison is a member of one agency: the dashboard's query is kept in the region's hx-get.
    client.force_login(demo.fire_liaison)
    html = client.get("/dashboard/?agency=km-fire", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'hx-get="/dashboard/?agency=km-fire&amp;region=dashboard-tasks"' in html


def test_a_region_the_page_does_not_have_is_a_400(client, demo, fire_incident):
    client.force_login(demo.commander)
    for region in ("incident-timeline", "nope", "board-body<script>"):
        response = client.get("/board/", {"region": region}, **HTMX)
        assert response.status_code == 400, region
    response = client.get(f"/incidents/{fire_incident.pk}/", {"region": "board-body"}, **HTMX)
    assert response.status_code == 400


def test_without_htmx_the_region_parameter_is_ignored(client, demo):
    client.force_login(demo.commander)
    response = client.get("/board/", {"region": "board-body"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert "X-Linkage-Region" not in response
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("url", "region", "username", "status"),
    [
        ("/board/", "board-body", "fire_liaison", 403),
        ("/board/", "board-kpis", "fire_chief", 403),
        ("/incidents/{incident}/", "incident-timeline", "police_liaison", 404),  # police are not on it
        ("/incidents/{incident}/", "incident-duty", "police_liaison", 404),
        ("/dashboard/", "dashboard-tasks", "commander", 302),  # no agency of theirs: to the board
    ],
)
def test_a_region_is_shown_only_to_whoever_may_see_its_page(client, demo, fire_incident, url, region, username, status):
    client.force_login(demo.users[username])
    response = client.get(url.format(incident=fire_incident.pk), {"region": region}, **HTMX)
    assert response.status_code == status
    assert "居民楼厨房起火" not in response.content.decode()


def test_a_signed_out_region_request_is_sent_to_log_in(client, fire_incident):
    response = client.get(f"/incidents/{fire_incident.pk}/", {"region": "incident-timeline"}, **HTMX)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_duty_region_is_empty_for_a_liaison(client, demo, fire_incident):
    """Who is on duty is for dispatchers and commanders: the liaison's region is there, empty."""
    client.force_login(demo.fire_liaison)
    response = client.get(f"/incidents/{fire_incident.pk}/", {"region": "incident-duty"}, **HTMX)
    assert response.status_code == 200
    assert "On duty now" not in response.content.decode()
