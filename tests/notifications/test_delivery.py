"""The outbox and its delivery, in this process: once per (cause, level, recipient, channel), every
attempt on record, retries with backoff, nothing sent twice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import Notification
from notifications.services import Recipient, notify
from notifications.tasks import deliver_now, requeue_due


def tell(demo, *, cause="test:1", level=1, phone="13800000000"):
    notify(
        cause=cause, level=level, recipients=[Recipient(demo.fire_chief, phone)], subject="测试", body="正文", link="/"
    )


def test_one_row_per_recipient_and_channel_however_often_asked(demo):
    tell(demo)
    tell(demo)
    notify(
        cause="test:1",
        level=1,
        recipients=[Recipient(demo.fire_chief), Recipient(demo.fire_chief)],
        subject="x",
        body="",
    )
    assert sorted(Notification.objects.values_list("channel", flat=True)) == ["email", "in_app", "sms"]
    tell(demo, level=2)
    assert Notification.objects.count() == 6


def test_delivering_the_same_row_twice_sends_once(demo, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tell(demo)
    email = Notification.objects.get(channel="email")
    assert deliver_now(email.pk) == "sent"
    assert deliver_now(email.pk) == "already sent"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["fire_chief@linkage.invalid"]
    email.refresh_from_db()
    assert email.status == "sent" and email.attempts == 1
    assert [(attempt.channel, attempt.ok) for attempt in email.delivery_attempts.all()] == [("email", True)]


def test_a_failed_attempt_is_recorded_and_retried_later_with_backoff(demo, settings):
    settings.EMAIL_BACKEND = "tests.notifications.broken_mail.EmailBackend"
    settings.LINKAGE_DELIVERY_RETRY_SECONDS = 10
    tell(demo)
    email = Notification.objects.get(channel="email")
    assert deliver_now(email.pk).startswith("failed")
    email.refresh_from_db()
    assert email.status == "queued" and email.attempts == 1
    assert timedelta(seconds=9) < email.next_attempt_at - timezone.now() <= timedelta(seconds=10)
    assert deliver_now(email.pk) == "not due"
    Notification.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    deliver_now(email.pk)
    email.refresh_from_db()
    assert email.attempts == 2
    assert timedelta(seconds=29) < email.next_attempt_at - timezone.now() <= timedelta(seconds=30)
    attempt = email.delivery_attempts.last()
    assert not attempt.ok and "SMTP is down" in attempt.error


def test_after_the_last_attempt_it_is_failed_and_stays_in_the_record(demo, settings):
    settings.EMAIL_BACKEND = "tests.notifications.broken_mail.EmailBackend"
    settings.LINKAGE_DELIVERY_MAX_ATTEMPTS = 2
    tell(demo)
    email = Notification.objects.get(channel="email")
    for _attempt in range(2):
        Notification.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
        deliver_now(email.pk)
    email.refresh_from_db()
    assert email.status == "failed" and email.delivery_attempts.count() == 2


def test_nobody_to_send_to_fails_at_once_without_retrying(demo):
    notify(cause="test:2", level=1, recipients=[Recipient(demo.fire_chief, "")], subject="x", body="")
    sms = Notification(cause="test:2", level=1, channel="sms", recipient=demo.fire_chief, subject="x")
    sms.save()
    deliver_now(sms.pk)
    sms.refresh_from_db()
    assert sms.status == "failed" and sms.attempts == 1


def test_the_outbox_sweep_hands_over_rows_nobody_delivered(demo, settings, django_capture_on_commit_callbacks):
    settings.LINKAGE_OUTBOX_STALE_SECONDS = 30
    tell(demo)  # enqueued just now (the broker has them; no worker in this test)
    assert requeue_due() == 0
    Notification.objects.update(enqueued_at=timezone.now() - timedelta(seconds=31))  # lost in a dead worker
    with django_capture_on_commit_callbacks(execute=False):
        assert requeue_due() == 3
    assert requeue_due() == 0  # handed over again just now


@pytest.mark.parametrize("username", ["fire_chief", "commander"])
def test_api_lists_your_own_notifications_with_their_attempts(api, demo, username):
    tell(demo)
    for row in Notification.objects.filter(channel__in=["in_app", "email"]):
        deliver_now(row.pk)
    response = api(username).get("/api/v1/notifications/?channel=in_app")
    assert response.status_code == 200
    results = response.json()["results"]
    if username == "commander":
        assert results == []  # someone else's
        return
    [row] = results
    assert row["status"] == "sent" and row["attempts"][0]["ok"] is True and row["attempts"][0]["channel"] == "in_app"
    read = api(username).post(f"/api/v1/notifications/{row['id']}/read/")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert api(username).get("/api/v1/notifications/?channel=in_app&unread=true").json()["results"] == []


def test_header_counts_unread_and_the_inbox_marks_them_read(client, demo):
    tell(demo)
    client.force_login(demo.fire_chief)
    page = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-count="1"' in page
    row = Notification.objects.get(channel="in_app")
    assert client.post(f"/notifications/{row.pk}/open/").url == "/"
    assert 'data-count="0"' in client.get("/dashboard/").content.decode()
    client.force_login(demo.fire_liaison)
    assert client.post(f"/notifications/{row.pk}/open/").status_code == 404  # not theirs


def test_sending_again_gives_a_failed_row_a_fresh_set_of_attempts(demo, settings, django_capture_on_commit_callbacks):
    from notifications.services import send_again

    settings.LINKAGE_DELIVERY_MAX_ATTEMPTS = 1
    settings.EMAIL_BACKEND = "tests.notifications.broken_mail.EmailBackend"
    tell(demo)
    email = Notification.objects.get(channel="email")
    deliver_now(email.pk)
    email.refresh_from_db()
    assert email.status == "failed"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=False):
        assert send_again(Notification.objects.filter(pk=email.pk)) == 1
    assert deliver_now(email.pk) == "sent"
    assert [attempt.ok for attempt in email.delivery_attempts.all()] == [False, True]
