"""The browser pages of the four roles: who may open what, and what each action does."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.idempotency import form_token_issue
from incidents.models import Assignment, Incident
from incidents.services import assignment_accept, incident_open

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def as_user(client, user):
    client.force_login(user)
    return client


# --- Who may open which page ------------------------------------------------------------------

PAGES = {
    "incidents": ("/incidents/", {"dispatcher": 200, "commander": 200, "fire_liaison": 200, "police_liaison": 200}),
    "intake": ("/incidents/new/", {"dispatcher": 200, "commander": 200, "fire_liaison": 403, "admin": 200}),
    "plan": ("/incidents/new/plan/?kind=hazmat&severity=2", {"dispatcher": 200, "fire_liaison": 403}),
    "incident": (
        "/incidents/{incident}/",
        {"dispatcher": 200, "commander": 200, "fire_liaison": 200, "medical_chief": 200, "police_liaison": 404},
    ),
    "dashboard": ("/dashboard/", {"fire_liaison": 200, "environment_chief": 200, "commander": 302, "dispatcher": 302}),
    "board": ("/board/", {"commander": 200, "dispatcher": 200, "fire_liaison": 403, "fire_chief": 403}),
    "roster": (
        "/agencies/km-fire/roster/",
        {"fire_liaison": 200, "fire_chief": 200, "admin": 200, "police_chief": 404, "commander": 404},
    ),
}
CASES = [(page, username, status) for page, (_url, expected) in PAGES.items() for username, status in expected.items()]


@pytest.mark.parametrize(("page", "username", "status"), CASES)
def test_each_role_gets_the_pages_it_may_see_and_404_or_403_elsewhere(
    client, demo, fire_incident, page, username, status
):
    url = PAGES[page][0].format(incident=fire_incident.pk)
    response = as_user(client, demo.users[username]).get(url, **EN)
    assert response.status_code == status, (url, username)


@pytest.mark.parametrize("page", list(PAGES))
def test_anonymous_visitors_are_sent_to_log_in(client, demo, fire_incident, page):
    response = client.get(PAGES[page][0].format(incident=fire_incident.pk))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("username", "lands_on"),
    [("commander", "/board/"), ("fire_liaison", "/dashboard/"), ("dispatcher", "/incidents/"), ("admin", "/board/")],
)
def test_home_sends_each_person_to_their_page(client, demo, username, lands_on):
    assert as_user(client, demo.users[username]).get("/").url == lands_on


def test_someone_with_no_role_is_told_what_is_missing(client, demo):
    nobody = get_user_model().objects.create_user("newcomer", password="x")
    html = as_user(client, nobody).get("/", **EN).content.decode()
    assert "no agency or role yet" in html
    assert as_user(client, nobody).get("/dashboard/").status_code == 403


def test_a_liaison_cannot_open_another_agencys_incident_by_url_even_in_lists(client, demo, fire_incident):
    police = as_user(client, demo.police_liaison)
    assert police.get(f"/incidents/{fire_incident.pk}/").status_code == 404
    assert fire_incident.reference not in police.get("/incidents/?status=active").content.decode()
    fire_task = fire_incident.assignments.get(agency__code="km-fire")
    assert police.post(f"/assignments/{fire_task.pk}/accept/").status_code == 404
    assert police.post(f"/incidents/{fire_incident.pk}/notes/", {"text": "hello"}).status_code == 404
    fire_task.refresh_from_db()
    assert fire_task.status == "pending"
    assert not fire_incident.timeline.filter(kind="note").exists()


# --- Dispatcher intake ----------------------------------------------------------------------------


def test_plan_preview_shows_the_agencies_and_tasks_for_kind_and_severity(client, demo):
    dispatcher = as_user(client, demo.dispatcher)
    level_two = dispatcher.get("/incidents/new/plan/?kind=hazmat&severity=2", **EN).content.decode()
    level_four = dispatcher.get("/incidents/new/plan/?kind=hazmat&severity=4", **EN).content.decode()
    for code in ("km-fire", "km-environment", "km-police", "km-medical", "km-traffic"):
        assert f'name="agencies" value="{code}" checked' in level_two
    assert "Decontaminate, contain the leak" in level_two
    # Medical and traffic join a hazmat incident from level III up: at IV they are offered, not checked.
    assert 'value="km-medical" checked' not in level_four and 'value="km-medical"' in level_four
    assert 'value="km-fire" checked' in level_four
    assert 'name="plan_for" value="hazmat:2"' in level_two


def intake(**overrides):
    data = {
        # The one-time token the intake page issues with the form (tests/incidents/test_idempotency.py).
        "form_token": form_token_issue(get_user_model().objects.get(username="dispatcher")),
        "kind": "hazmat",
        "severity": "2",
        "address": "官渡区化工园区 3 号罐区",
        "description": "储罐泄漏，有刺激性气味",
        "plan_for": "hazmat:2",
        "agencies": ["km-fire", "km-environment", "km-police", "km-medical", "km-traffic"],
    }
    data.update(overrides)
    return data


def test_dispatcher_opens_a_hazmat_incident_with_five_agencies(client, demo):
    response = as_user(client, demo.dispatcher).post("/incidents/new/", intake(), **EN)
    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == f"/incidents/{incident.pk}/"
    assert incident.kind == "hazmat" and incident.severity == 2 and incident.created_by == demo.dispatcher
    # Made from kind and address, in the site's language (zh-hans) although this page was in English.
    assert incident.title == "危化品泄漏 · 官渡区化工园区 3 号罐区"
    assert set(incident.assignments.values_list("agency__code", flat=True)) == {
        "km-fire",
        "km-environment",
        "km-police",
        "km-medical",
        "km-traffic",
    }
    page = client.get(response.url, **EN).content.decode()
    assert f"{incident.reference} dispatched to 5 agencies." in page


def test_dispatcher_can_remove_a_planned_agency_and_add_another(client, demo):
    as_user(client, demo.dispatcher).post(
        "/incidents/new/", intake(agencies=["km-fire", "km-medical"], severity="4", plan_for="hazmat:4")
    )
    assert set(Incident.objects.get().assignments.values_list("agency__code", flat=True)) == {"km-fire", "km-medical"}


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"kind": ""}, "This field is required."),
        ({"kind": "volcano"}, "Select a valid choice."),
        ({"latitude": "25.1"}, "Give both latitude and longitude, or neither."),
        ({"latitude": "125", "longitude": "102.7"}, "Enter a number from -90 to 90."),
        ({"agencies": []}, "Choose at least one agency to bring in."),
        ({"agencies": ["km-nowhere"]}, "Select a valid choice."),
        ({"plan_for": "hazmat:4"}, "The plan changed with the kind or severity"),
        ({"address": "x" * 301}, "Ensure this value has at most 300 characters"),
    ],
)
def test_a_failed_dispatch_explains_itself_keeps_what_was_typed_and_opens_nothing(client, demo, overrides, field_error):
    response = as_user(client, demo.dispatcher).post("/incidents/new/", intake(**overrides), **EN)
    html = response.content.decode()
    assert response.status_code == 400
    assert field_error in html
    assert 'role="alert"' in html
    assert "储罐泄漏，有刺激性气味" in html  # nothing typed is lost
    assert not Incident.objects.exists()


def test_a_liaison_cannot_dispatch(client, demo):
    assert as_user(client, demo.fire_liaison).post("/incidents/new/", intake()).status_code == 403
    assert not Incident.objects.exists()


# --- Liaison on the dashboard and the incident page ------------------------------------------------


def test_dashboard_lists_pending_tasks_first_with_their_countdown(client, demo, fire_incident):
    later = incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="仓库起火")
    first_task = fire_incident.assignments.get(agency__code="km-fire")
    assignment_accept(assignment=first_task, by=demo.fire_liaison)
    html = as_user(client, demo.fire_liaison).get("/dashboard/", **EN).content.decode()
    assert html.index("仓库起火") < html.index("居民楼厨房起火")  # pending before accepted
    pending = later.assignments.get(agency__code="km-fire")
    assert f'<time class="countdown" datetime="{timezone.localtime(pending.accept_by).isoformat()}"' in html
    assert "1 waiting to be accepted" in html


def test_overdue_task_says_so_in_words_not_only_colour(client, demo, fire_incident):
    Assignment.objects.filter(incident=fire_incident).update(accept_by=timezone.now() - timedelta(minutes=2))
    html = as_user(client, demo.fire_liaison).get("/dashboard/", **EN).content.decode()
    assert "task st-pending overdue" in html
    assert ">overdue 2 min<" in html  # by how much, not just "overdue"


def test_liaison_accepts_reports_progress_and_posts_a_note(client, demo, fire_incident):
    task = fire_incident.assignments.get(agency__code="km-fire")
    liaison = as_user(client, demo.fire_liaison)
    response = liaison.post(f"/assignments/{task.pk}/accept/", {"next": "/dashboard/"}, **EN)
    assert response.status_code == 302 and response.url == "/dashboard/"
    for status in ("en_route", "on_scene", "completed"):
        liaison.post(f"/assignments/{task.pk}/progress/", {"status": status})
        task.refresh_from_db()
        assert task.status == status
    liaison.post(f"/incidents/{fire_incident.pk}/notes/", {"text": "火已扑灭，无人员伤亡"})
    html = liaison.get(f"/incidents/{fire_incident.pk}/", **EN).content.decode()
    assert "火已扑灭，无人员伤亡" in html
    assert "Kunming Fire and Rescue Detachment: On scene → Completed" in html


def test_accepting_twice_is_a_message_not_an_error_page(client, demo, fire_incident):
    task = fire_incident.assignments.get(agency__code="km-fire")
    liaison = as_user(client, demo.fire_liaison)
    liaison.post(f"/assignments/{task.pk}/accept/")
    response = liaison.post(f"/assignments/{task.pk}/accept/", follow=True, **EN)
    assert response.status_code == 200
    assert "The task is already accepted." in response.content.decode()


def test_declining_needs_a_reason(client, demo, fire_incident):
    task = fire_incident.assignments.get(agency__code="km-medical")
    chief = as_user(client, demo.medical_chief)
    html = chief.post(f"/assignments/{task.pk}/decline/", {"reason": "  "}, follow=True, **EN).content.decode()
    assert "Give a reason for declining." in html
    task.refresh_from_db()
    assert task.status == "pending"
    chief.post(f"/assignments/{task.pk}/decline/", {"reason": "救护车全部出动"})
    task.refresh_from_db()
    assert task.status == "declined" and task.decline_reason == "救护车全部出动"
    assert "救护车全部出动" in chief.get(f"/incidents/{fire_incident.pk}/").content.decode()


def test_liaison_cannot_act_on_the_other_agencys_task_on_the_same_incident(client, demo, fire_incident):
    medical_task = fire_incident.assignments.get(agency__code="km-medical")
    fire = as_user(client, demo.fire_liaison)
    html = fire.get(f"/incidents/{fire_incident.pk}/", **EN).content.decode()
    assert f"/assignments/{medical_task.pk}/accept/" not in html  # no button for it
    html = fire.post(f"/assignments/{medical_task.pk}/accept/", follow=True, **EN).content.decode()
    assert "Only members of the task&#x27;s agency may do this." in html
    medical_task.refresh_from_db()
    assert medical_task.status == "pending"


def test_unknown_actions_and_get_requests_change_nothing(client, demo, fire_incident):
    task = fire_incident.assignments.get(agency__code="km-fire")
    liaison = as_user(client, demo.fire_liaison)
    assert liaison.get(f"/assignments/{task.pk}/accept/").status_code == 405
    assert liaison.post(f"/assignments/{task.pk}/explode/").status_code == 404
    assert liaison.post(f"/assignments/{task.pk}/progress/", {"status": "completed"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "pending"  # pending cannot jump to completed


def test_next_never_leaves_the_site(client, demo, fire_incident):
    task = fire_incident.assignments.get(agency__code="km-fire")
    response = as_user(client, demo.fire_liaison).post(
        f"/assignments/{task.pk}/accept/", {"next": "https://evil.example/phish"}
    )
    assert response.url == f"/incidents/{fire_incident.pk}/"


# --- Commander ----------------------------------------------------------------------------------------


def test_commander_contains_and_closes_from_the_board_and_brings_in_an_agency(client, demo, fire_incident):
    commander = as_user(client, demo.commander)
    commander.post(f"/incidents/{fire_incident.pk}/assignments/", {"agency": "km-police", "task": "维持秩序"})
    assert fire_incident.assignments.filter(agency__code="km-police", task="维持秩序").exists()
    assert commander.post(f"/incidents/{fire_incident.pk}/contain/", {"next": "/board/"}).url == "/board/"
    commander.post(f"/incidents/{fire_incident.pk}/close/", {"next": "/board/"})
    fire_incident.refresh_from_db()
    assert fire_incident.status == "contained"  # open tasks: closing asks for a confirmation first
    commander.post(f"/incidents/{fire_incident.pk}/close/", {"next": "/board/", "confirm": "yes"})
    fire_incident.refresh_from_db()
    assert fire_incident.status == "closed"
    assert fire_incident.reference not in commander.get("/board/").content.decode()


def test_dispatcher_may_not_close_and_is_told(client, demo, fire_incident):
    html = as_user(client, demo.dispatcher).post(f"/incidents/{fire_incident.pk}/contain/", follow=True, **EN)
    assert "Only commanders may do this." in html.content.decode()
    fire_incident.refresh_from_db()
    assert fire_incident.status == "active"


def test_raising_severity_on_the_page_brings_in_the_newly_planned_agencies(client, demo, fire_incident):
    as_user(client, demo.commander).post(f"/incidents/{fire_incident.pk}/severity/", {"severity": "2"})
    assert {"km-police", "km-traffic"} <= set(fire_incident.assignments.values_list("agency__code", flat=True))
    assert (
        as_user(client, demo.commander).post(f"/incidents/{fire_incident.pk}/severity/", {"severity": "9"}).status_code
        == 302
    )
    fire_incident.refresh_from_db()
    assert fire_incident.severity == 2


def test_board_shows_states_and_highlights_overdue_and_escalated(client, demo, fire_incident):
    fire_task = fire_incident.assignments.get(agency__code="km-fire")
    assignment_accept(assignment=fire_task, by=demo.fire_liaison)
    Assignment.objects.filter(incident=fire_incident, agency__code="km-medical").update(
        accept_by=timezone.now() - timedelta(minutes=1), escalation_level=1
    )
    html = as_user(client, demo.commander).get("/board/", **EN).content.decode()
    assert "Kunming Fire and Rescue Detachment</strong> Accepted" in html
    assert "1 overdue" in html and "1 escalated" in html
    assert ">overdue 1 min</time>" in html and "</svg> level 1" in html
    assert "⏰" not in html and "⚠" not in html  # no emoji: they render as boxes without an emoji font


def test_board_median_dispatch_to_accept_today(client, demo, fire_incident):
    task = fire_incident.assignments.get(agency__code="km-fire")
    Assignment.objects.filter(pk=task.pk).update(status="accepted", accepted_at=task.created_at + timedelta(seconds=42))
    html = as_user(client, demo.commander).get("/board/", **EN).content.decode()
    assert '<td>Kunming Fire and Rescue Detachment</td><td class="num">42 s</td>' in html
    html = as_user(client, demo.commander).get("/board/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<td>昆明市消防救援支队</td><td class="num">42秒</td>' in html


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(("username", "url"), [("commander", "/board/"), ("fire_liaison", "/dashboard/")])
def test_board_and_dashboard_queries_do_not_grow_with_incidents(
    client, demo, open_many, username, url, django_assert_max_num_queries
):
    as_user(client, demo.users[username])
    open_many(5, severities=(1, 2, 3, 4))
    with django_assert_max_num_queries(14):
        client.get(url)
    few = _queries(client, url)
    open_many(195, severities=(1, 2, 3, 4))
    many = _queries(client, url)
    assert many == few
    assert client.get(url).content.decode().count('class="countdown"') >= 200


# --- Language ------------------------------------------------------------------------------------------


def test_pages_follow_the_browser_language_and_the_switch(client, demo, fire_incident):
    commander = as_user(client, demo.commander)
    assert "态势看板" in commander.get("/board/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "Situation board" in commander.get("/board/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    commander.post("/i18n/setlang/", {"language": "en", "next": "/board/"})
    assert "Situation board" in commander.get("/board/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()


def test_agency_names_show_in_the_pages_language_only(client, demo, fire_incident):
    html = as_user(client, demo.commander).get(f"/incidents/{fire_incident.pk}/").content.decode()
    assert "昆明市消防救援支队" in html and "Kunming Fire and Rescue Detachment" not in html


def test_a_new_map_point_keeps_the_dispatchers_ticks_but_a_new_kind_does_not(client, demo):
    dispatcher = as_user(client, demo.dispatcher)
    plan = "/incidents/new/plan/?plan_for=hazmat:2&agencies=km-fire"
    html = dispatcher.get(f"{plan}&kind=hazmat&severity=2&latitude=25.1&longitude=102.7").content.decode()
    assert 'value="km-fire" checked' in html and 'value="km-police" checked' not in html
    html = dispatcher.get(f"{plan}&kind=flood&severity=2").content.decode()
    assert 'name="plan_for" value="flood:2"' in html and 'value="km-police" checked' in html


# --- The board never hides an incident (issue 13) ----------------------------------------------------


def _many_open(demo, per_level: dict[int, int]) -> list[Incident]:
    """Bulk-made active incidents, `per_level` {severity: count}, oldest first, each with a km-fire task
    pending past its accept_by (so overdue)."""
    from django.db.models import F

    batch = Incident.objects.count()
    made = Incident.objects.bulk_create(
        Incident(
            reference=f"KM-T-{batch}-{severity}-{n:04d}",
            kind="building_fire",
            severity=severity,
            title=f"批量 {n}",
            latitude="25.04",
            longitude="102.71",
            created_by=demo.dispatcher,
        )
        for severity, count in per_level.items()
        for n in range(count)
    )
    # Opened one second apart, in the order made, all before now.
    last = max(incident.pk for incident in made)
    earlier = timezone.now() - timedelta(hours=1)
    Incident.objects.filter(pk__in=[i.pk for i in made]).update(
        created_at=earlier + (F("pk") - last) * timedelta(seconds=1)
    )
    Assignment.objects.bulk_create(
        Assignment(incident=incident, agency=demo.agency("km-fire"), task="灭火", accept_by=earlier)
        for incident in made
    )
    return made


def test_board_rows_give_every_level_a_share():
    from incidents.board import rows_per_level

    assert rows_per_level({1: 5, 4: 7}, 200) == {1: 5, 4: 7}
    assert rows_per_level({1: 580, 2: 10, 3: 0, 4: 30}, 200) == {1: 160, 2: 10, 3: 0, 4: 30}
    assert rows_per_level({1: 600, 2: 600, 3: 600, 4: 600}, 200) == {1: 50, 2: 50, 3: 50, 4: 50}
    assert sum(rows_per_level({1: 601, 2: 3, 4: 7}, 201).values()) == 201


def test_board_counts_every_open_incident_and_shows_the_newest_of_every_level(client, demo, settings):
    settings.LINKAGE_BOARD_ROWS = 200
    made = _many_open(demo, {1: 520, 2: 40, 3: 20, 4: 20})
    newest = incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="新的四级火情")
    # On the two oldest level-I incidents, which the board does not show: one escalated, one declined.
    Assignment.objects.filter(incident=made[0]).update(escalation_level=1)
    Assignment.objects.filter(incident=made[1]).update(status="declined", decline_reason="无车")
    html = as_user(client, demo.commander).get("/board/", **EN).content.decode()
    assert "601 active" in html
    assert "599 overdue" in html  # every bulk task, not only those of the cards shown
    assert "1 escalated" in html and "1 declined" in html
    assert newest.reference in html
    for severity in (1, 2, 3, 4):  # the newest of every level is on the board
        newest_of_level = max((i for i in made if i.severity == severity), key=lambda i: i.pk)
        assert f">{newest_of_level.reference}<" in html
    assert f">{made[0].reference}<" not in html  # the oldest level-I one is not…
    assert "Showing 200 of 601 open incidents: the oldest of each level are not shown." in html  # …and it says so
    assert "520 open incidents · newest 119 shown, 401 older not shown" in html
    assert "/incidents/?status=active&amp;status=contained&amp;severity=1" in html
    assert html.count('class="board-incident ') == 200
    # Most serious first, newest first within a level.
    assert (
        html.index(f">{made[519].reference}<") < html.index(f">{made[518].reference}<") < html.index(newest.reference)
    )
    zh = client.get("/board/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "显示 601 起未结事件中的 200 起" in zh and "另有 401 起较早的未显示" in zh


def test_board_queries_are_the_same_at_20_and_600_incidents(client, demo, django_assert_max_num_queries):
    commander = as_user(client, demo.commander)
    _many_open(demo, {1: 5, 2: 5, 3: 5, 4: 5})
    with django_assert_max_num_queries(14):
        assert commander.get("/board/").status_code == 200
    few = _queries(commander, "/board/")
    _many_open(demo, {1: 300, 2: 100, 3: 100, 4: 80})
    with django_assert_max_num_queries(few):
        assert commander.get("/board/").status_code == 200
