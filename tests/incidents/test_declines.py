"""Exceptions louder than the happy path: a decline and a system cancellation tell the people who
must act, stand out on the board and the incident page, and keep the declined agency's contacts in
sight; destructive page actions take a confirmation (and a reason where the service keeps one)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from incidents import services
from incidents.models import Assignment, Incident
from notifications.models import Notification

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
REASON = "两辆救护车均在转运途中"


def _task(incident, code):
    return incident.assignments.get(agency__code=code)


def _decline(demo, incident, code="km-medical", reason=REASON):
    return services.assignment_decline(
        assignment=_task(incident, code), by=demo.users[f"{code[3:]}_liaison"], reason=reason
    )


def _told(cause):
    return {
        (row.recipient.username, row.channel)
        for row in Notification.objects.filter(cause=cause, recipient__isnull=False)
    }


def _commanders_and_dispatchers():
    return set(
        get_user_model()
        .objects.filter(groups__name__in=["dispatchers", "commanders"], is_active=True)
        .values_list("username", flat=True)
    )


# --- Who hears of it ---------------------------------------------------------------------------


def test_a_decline_tells_the_dispatchers_and_every_commander_at_once_with_the_reason(demo, fire_incident):
    task = _decline(demo, fire_incident)
    rows = Notification.objects.filter(cause=f"assignment:{task.pk}:declined", channel="in_app")
    assert {row.recipient.username for row in rows} == _commanders_and_dispatchers() >= {"dispatcher", "commander"}
    row = rows.get(recipient=demo.dispatcher)
    assert REASON in row.body and fire_incident.reference in row.subject
    assert "昆明市急救中心" in row.subject  # the site's language (zh-hans): who declined, in its name
    assert row.link == f"/incidents/{fire_incident.pk}/"
    # E-mail too, where people have an address; the declining liaison is not told of their own decline.
    assert ("dispatcher", "email") in _told(task and f"assignment:{task.pk}:declined")
    assert not Notification.objects.filter(recipient=demo.medical_liaison).exists()


def test_an_incident_with_a_commander_tells_that_commander_not_every_one(demo, fire_incident):
    other = get_user_model().objects.create_user("commander2", email="c2@linkage.invalid")
    other.groups.add(*demo.commander.groups.all())
    services.incident_update(incident=fire_incident, by=demo.dispatcher, commander=demo.commander)
    task = _decline(demo, fire_incident)
    told = {username for username, _channel in _told(f"assignment:{task.pk}:declined")}
    assert "commander" in told and "dispatcher" in told and "commander2" not in told


def test_the_notice_is_written_with_the_decline_or_not_at_all(demo, fire_incident):
    def decline_then_fail():
        with transaction.atomic():
            _decline(demo, fire_incident)
            raise RuntimeError("the request failed after the decline")

    with pytest.raises(RuntimeError):
        decline_then_fail()
    assert _task(fire_incident, "km-medical").status == "pending"
    assert not Notification.objects.exists()


def test_closing_tells_each_agency_with_an_open_task_that_it_is_cancelled(demo, fire_incident):
    services.assignment_accept(assignment=_task(fire_incident, "km-fire"), by=demo.fire_liaison)
    _decline(demo, fire_incident)  # medical already said no: nothing more to tell it
    services.incident_contain(incident=fire_incident, by=demo.commander)
    services.incident_close(incident=fire_incident, by=demo.commander)
    fire = _task(fire_incident, "km-fire")
    assert fire.status == "cancelled"
    told = _told(f"assignment:{fire.pk}:cancelled")
    assert {("fire_liaison", "in_app"), ("fire_liaison", "email"), ("fire_liaison", "sms")} <= told
    assert {username for username, _channel in told} == {"fire_liaison"}  # the liaisons on duty
    row = Notification.objects.get(cause=f"assignment:{fire.pk}:cancelled", channel="sms")
    assert fire_incident.reference in row.subject and "已结案" in row.body
    assert not Notification.objects.filter(cause=f"assignment:{_task(fire_incident, 'km-medical').pk}:cancelled")


def test_taking_an_agency_off_tells_its_liaisons_to_stand_down_with_the_reason(demo, fire_incident):
    fire = _task(fire_incident, "km-fire")
    services.assignment_accept(assignment=fire, by=demo.fire_liaison)
    services.assignment_cancel(assignment=fire, by=demo.dispatcher, reason="误报，已核实")
    told = _told(f"assignment:{fire.pk}:cancelled")
    assert {("fire_liaison", "in_app"), ("fire_liaison", "sms")} <= told
    assert {username for username, _channel in told} == {"fire_liaison"}
    row = Notification.objects.get(cause=f"assignment:{fire.pk}:cancelled", channel="sms")
    assert fire_incident.reference in row.body and "误报，已核实" in row.body and "停止出动" in row.body
    # The other agencies on the incident hear nothing of it.
    others = fire_incident.assignments.exclude(pk=fire.pk)
    assert others.exists()
    assert not Notification.objects.filter(cause__in=[f"assignment:{other.pk}:cancelled" for other in others])


def test_a_refused_take_off_tells_nobody(demo, fire_incident):
    from django.core.exceptions import PermissionDenied

    fire = _task(fire_incident, "km-fire")
    with pytest.raises(PermissionDenied):
        services.assignment_cancel(assignment=fire, by=demo.police_liaison, reason="不是你的")
    assert not Notification.objects.filter(cause=f"assignment:{fire.pk}:cancelled")


def test_cancelling_the_incident_tells_the_agencies_too_and_sends_the_webhooks(demo, fire_incident):
    from notifications.models import WebhookEndpoint

    WebhookEndpoint.objects.create(name="119", url="http://127.0.0.1:9/hook", secret="s", events=[])
    task = _decline(demo, fire_incident)
    services.incident_cancel(incident=fire_incident, by=demo.dispatcher, reason="误报")
    fire = _task(fire_incident, "km-fire")
    assert ("fire_liaison", "in_app") in _told(f"assignment:{fire.pk}:cancelled")
    hooks = {row.payload["type"]: row.payload for row in Notification.objects.filter(channel="webhook")}
    assert hooks["assignment.declined"]["reason"] == REASON
    assert hooks["assignment.declined"]["assignment"]["id"] == task.pk
    assert hooks["assignment.cancelled"]["incident"]["status"] == "cancelled"


# --- What the pages show -------------------------------------------------------------------------


def test_the_incident_page_shows_the_decline_loudly_and_keeps_the_agencys_people_in_sight(client, demo, fire_incident):
    _decline(demo, fire_incident)
    client.force_login(demo.dispatcher)
    html = client.get(f"/incidents/{fire_incident.pk}/", **EN).content.decode()
    assert "task st-declined" in html
    assert 'class="decline-reason"' in html and REASON in html
    # On duty now: the medical centre's people (name, role, phone) stay, marked as the ones to call.
    medical = demo.medical_liaison.memberships.get()
    assert "declined-contact" in html and "declined: call them" in html
    assert f'href="tel:{medical.phone}"' in html
    # A liaison of another agency on the incident sees the decline but not the rosters' phones.
    client.force_login(demo.fire_liaison)
    html = client.get(f"/incidents/{fire_incident.pk}/", **EN).content.decode()
    assert REASON in html and f"tel:{medical.phone}" not in html


def test_the_board_shows_a_decline_louder_than_an_accept_with_its_reason(client, demo, fire_incident):
    services.assignment_accept(assignment=_task(fire_incident, "km-fire"), by=demo.fire_liaison)
    _decline(demo, fire_incident)
    client.force_login(demo.dispatcher)
    html = client.get("/board/", **EN).content.decode()
    assert 'class="badge declined-badge"' in html and "1 declined" in html
    declined = _task(fire_incident, "km-medical")
    chip = html[html.index(f'id="assignment-{declined.pk}"') :]
    chip = chip[: chip.index("</li>")]
    assert "icon-declined" in chip and "Declined" in chip and f"Reason: {REASON}" in chip


def test_the_board_counts_contained_incidents_apart_from_active_ones(client, demo, fire_incident):
    other = services.incident_open(by=demo.dispatcher, kind="flood", severity=4, title="积水")
    services.incident_contain(incident=other, by=demo.commander)
    client.force_login(demo.commander)
    html = client.get("/board/", **EN).content.decode()
    assert "1 active</span>" in html and "1 contained</span>" in html
    assert "2 active" not in html


def test_a_task_cancelled_with_its_incident_says_so_on_the_page_and_the_dashboard(client, demo, fire_incident):
    services.incident_cancel(incident=fire_incident, by=demo.dispatcher, reason="误报")
    for user, url in ((demo.dispatcher, f"/incidents/{fire_incident.pk}/"), (demo.fire_liaison, "/dashboard/")):
        client.force_login(user)
        html = client.get(url, **EN).content.decode()
        assert "Cancelled by the system: the incident was cancelled." in html


def test_a_task_cancelled_by_a_close_still_says_closed_after_the_incident_is_reopened(client, demo, fire_incident):
    fire = _task(fire_incident, "km-fire")
    services.incident_contain(incident=fire_incident, by=demo.commander)
    services.incident_close(incident=fire_incident, by=demo.commander)
    incident = services.incident_reopen(incident=Incident.objects.get(pk=fire_incident.pk), by=demo.commander)
    # …and closed again: the first close's tasks still say why they were cancelled then.
    services.incident_contain(incident=incident, by=demo.commander)
    services.incident_close(incident=Incident.objects.get(pk=incident.pk), by=demo.commander)
    services.incident_reopen(incident=Incident.objects.get(pk=incident.pk), by=demo.commander)
    for user, url, language, expected in (
        (demo.dispatcher, f"/incidents/{incident.pk}/", EN, "Cancelled by the system: the incident was closed."),
        (demo.fire_liaison, "/dashboard/", EN, "Cancelled by the system: the incident was closed."),
        (demo.dispatcher, f"/incidents/{incident.pk}/", ZH, "系统已取消：事件已结案。"),
    ):
        client.force_login(user)
        html = client.get(url, **language).content.decode()
        task = html[html.index(f'id="assignment-{fire.pk}"') :]
        task = task[: task.index("</article>")]
        assert expected in task
        assert "incident was Active" not in task


def test_a_task_taken_off_by_a_dispatcher_is_not_called_a_system_cancellation(client, demo, fire_incident):
    client.force_login(demo.dispatcher)
    task = _task(fire_incident, "km-medical")
    client.post(f"/assignments/{task.pk}/cancel/", {"confirm": "yes", "reason": "派错了"})
    html = client.get(f"/incidents/{fire_incident.pk}/", **EN).content.decode()
    assert "Cancelled by the system" not in html


# --- Destructive actions ask first ---------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"reason": "误报"},
        {"confirm": "yes"},
        {"confirm": "yes", "reason": "   "},
        {"confirm": "no", "reason": "误报"},
    ],
)
def test_cancelling_an_incident_on_the_page_needs_a_confirmation_and_a_reason(client, demo, fire_incident, data):
    client.force_login(demo.dispatcher)
    response = client.post(f"/incidents/{fire_incident.pk}/cancel/", data, follow=True, **EN)
    assert "Give a reason and confirm: nothing was changed." in response.content.decode()
    fire_incident.refresh_from_db()
    assert fire_incident.status == "active" and not Notification.objects.exists()


def test_a_confirmed_cancel_with_a_reason_cancels_and_keeps_the_reason(client, demo, fire_incident):
    client.force_login(demo.dispatcher)
    client.post(f"/incidents/{fire_incident.pk}/cancel/", {"confirm": "yes", "reason": "重复报警"})
    fire_incident.refresh_from_db()
    assert fire_incident.status == "cancelled"
    assert fire_incident.timeline.filter(text="重复报警").exists()


@pytest.mark.parametrize("data", [{}, {"reason": "派错了"}, {"confirm": "yes"}])
def test_taking_an_agency_off_needs_a_confirmation_and_a_reason(client, demo, fire_incident, data):
    client.force_login(demo.dispatcher)
    task = _task(fire_incident, "km-medical")
    client.post(f"/assignments/{task.pk}/cancel/", data)
    task.refresh_from_db()
    assert task.status == "pending"
    client.post(f"/assignments/{task.pk}/cancel/", {"confirm": "yes", "reason": "派错了"})
    task.refresh_from_db()
    assert task.status == "cancelled"


def test_closing_with_open_tasks_needs_a_confirmation_but_closing_a_finished_one_does_not(client, demo, fire_incident):
    services.incident_contain(incident=fire_incident, by=demo.commander)
    client.force_login(demo.commander)
    html = client.get(f"/incidents/{fire_incident.pk}/", **EN).content.decode()
    assert "2 tasks are still open: closing cancels them and tells those agencies." in html
    response = client.post(f"/incidents/{fire_incident.pk}/close/", follow=True, **EN)
    assert "2 tasks are still open: confirm that closing cancels them." in response.content.decode()
    fire_incident.refresh_from_db()
    assert fire_incident.status == "contained"
    Assignment.objects.filter(incident=fire_incident).update(status="completed", completed_at=timezone.now())
    client.post(f"/incidents/{fire_incident.pk}/close/")
    fire_incident.refresh_from_db()
    assert fire_incident.status == "closed"


def test_the_pages_offer_the_destructive_actions_behind_a_second_step(client, demo, fire_incident):
    client.force_login(demo.commander)
    for url in (f"/incidents/{fire_incident.pk}/", "/board/"):
        html = client.get(url, **EN).content.decode()
        form = html[html.index(f"/incidents/{fire_incident.pk}/cancel/") :]
        form = form[: form.index("</form>")]
        assert 'name="confirm" value="yes"' in form and 'name="reason" required' in form
    html = client.get(f"/incidents/{fire_incident.pk}/", **EN).content.decode()
    take_off = html[html.index("Take off the incident…") :]
    assert 'name="reason" required' in take_off[: take_off.index("</form>")]


def test_no_emoji_on_the_pages(client, demo, fire_incident):
    Assignment.objects.filter(incident=fire_incident, agency__code="km-medical").update(
        accept_by=timezone.now() - timedelta(minutes=4), escalation_level=1
    )
    for user, url in (
        (demo.commander, "/board/"),
        (demo.commander, f"/incidents/{fire_incident.pk}/"),
        (demo.medical_liaison, "/dashboard/"),
    ):
        client.force_login(user)
        html = client.get(url, **EN).content.decode()
        assert not any(mark in html for mark in "⏰⚠☎▶"), url
    assert "overdue 4 min" in html
