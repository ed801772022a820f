"""A double click or a retried request opens one incident, not two.

API: the `Idempotency-Key` header (same key + same body → the first incident, 200; another body → 422;
per user; 24 h). Page: the intake form's one-time token (a second POST with it, even at the same
moment, goes to the first incident). Both hold under real concurrency on PostgreSQL.
"""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from incidents import idempotency, services
from incidents.idempotency import form_token_issue
from incidents.models import IdempotencyKey, IdempotencyScope, Incident
from tests.factories import FIRE_BODY

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
BODY = FIRE_BODY


def post(client, body=None, *, key=None):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post("/api/v1/incidents/", body or BODY, format="json", **headers, **EN)  # messages in English


# --- API: Idempotency-Key ---------------------------------------------------------------------


def test_the_same_key_and_body_three_times_open_one_incident(demo, api):
    client = api(demo.dispatcher)
    first, second, third = (post(client, key="call-0815-a") for _ in range(3))
    assert first.status_code == 201
    assert second.status_code == third.status_code == 200
    assert Incident.objects.count() == 1
    assert first.data["id"] == second.data["id"] == third.data["id"]
    assert set(second.data) == set(first.data)  # the same shape as the 201: the incident, its assignments
    assert second.data["assignments"] == first.data["assignments"]
    assert second["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert second["Location"] == first["Location"]


def test_without_a_key_each_request_opens_its_own_incident(demo, api):
    client = api(demo.dispatcher)
    assert [post(client).status_code for _ in range(2)] == [201, 201]
    assert Incident.objects.count() == 2


def test_the_body_is_compared_as_json_not_as_bytes(demo, api):
    client = api(demo.dispatcher)
    first = post(client, key="k1")
    reordered = dict(reversed(list(BODY.items())))
    again = client.post(
        "/api/v1/incidents/",
        data=json.dumps(reordered, indent=2),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert again.status_code == 200 and again.data["id"] == first.data["id"]


def test_the_same_key_with_another_body_is_refused_and_opens_nothing(demo, api):
    client = api(demo.dispatcher)
    first = post(client, key="call-0815-b")
    other = post(client, {**BODY, "severity": 1}, key="call-0815-b")
    assert other.status_code == 422
    assert "different body" in other.data["detail"] and other.data["incident"] == first.data["id"]
    assert Incident.objects.count() == 1
    assert Incident.objects.get().severity == 3


def test_keys_belong_to_their_user(demo, api):
    dispatcher, commander = api(demo.dispatcher), api(demo.commander)
    mine, theirs = post(dispatcher, key="shared-key"), post(commander, key="shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert mine.data["id"] != theirs.data["id"]
    # And the other user's different body under that key is no mismatch for me.
    assert post(dispatcher, key="shared-key").data["id"] == mine.data["id"]


@pytest.mark.parametrize(
    ("key", "message"),
    [("", "empty"), ("   ", "empty"), ("k" * 201, "longer than 200"), ("schlüssel", "printable ASCII")],
)
def test_a_bad_key_is_a_400_and_opens_nothing(demo, key, message, api):
    response = post(api(demo.dispatcher), key=key)
    assert response.status_code == 400
    assert message in response.data["detail"]
    assert not Incident.objects.exists() and not IdempotencyKey.objects.exists()


def test_a_key_of_200_characters_is_fine(demo, api):
    assert post(api(demo.dispatcher), key="k" * 200).status_code == 201


def test_a_refused_body_does_not_use_up_the_key(demo, api):
    client = api(demo.dispatcher)
    bad = post(client, {**BODY, "kind": "volcano"}, key="retry-me")
    assert bad.status_code == 400 and not IdempotencyKey.objects.exists()
    assert post(client, key="retry-me").status_code == 201


def test_a_liaison_with_a_key_is_still_refused(demo, api):
    assert post(api(demo.fire_liaison), key="x").status_code == 403
    assert not Incident.objects.exists() and not IdempotencyKey.objects.exists()


def test_keys_are_kept_24_hours_then_swept(demo, api):
    client = api(demo.dispatcher)
    first = post(client, key="old-key")
    row = IdempotencyKey.objects.get(key="old-key")
    assert timedelta(hours=23, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=24)
    IdempotencyKey.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # Past its time the key is free again: a new incident, and the row now points at it.
    again = post(client, key="old-key")
    assert again.status_code == 201 and again.data["id"] != first.data["id"]
    renewed = IdempotencyKey.objects.get(key="old-key")
    assert renewed.incident_id == again.data["id"] and renewed.expires_at > timezone.now() + timedelta(hours=23)
    # Other expired rows go on the next write.
    IdempotencyKey.objects.filter(key="old-key").update(expires_at=timezone.now() - timedelta(seconds=1))
    post(client, key="new-key")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new-key"]


def _slow_open(monkeypatch):
    """Widen the window: the first request holds its key row (uncommitted) for 0.3 s."""
    real = services.incident_open

    def slow(**kwargs):
        incident = real(**kwargs)
        time.sleep(0.3)
        return incident

    monkeypatch.setattr(services, "incident_open", slow)


def _all_at_once(count, work):
    start = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            start.wait(timeout=10)
            results[index] = work(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_three_simultaneous_requests_with_one_key_open_one_incident(demo, monkeypatch, attempt, api):
    _slow_open(monkeypatch)
    clients = [api(demo.dispatcher) for _ in range(3)]
    responses = _all_at_once(3, lambda index: post(clients[index], key=f"burst-{attempt}"))
    assert sorted(response.status_code for response in responses) == [200, 200, 201]
    assert len({response.data["id"] for response in responses}) == 1
    assert Incident.objects.count() == 1
    assignments = Incident.objects.get().assignments.count()
    assert assignments > 0 and all(len(response.data["assignments"]) == assignments for response in responses)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_with_one_key_and_different_bodies(demo, monkeypatch, api):
    _slow_open(monkeypatch)
    clients = [api(demo.dispatcher) for _ in range(2)]
    bodies = [BODY, {**BODY, "severity": 1}]
    responses = _all_at_once(2, lambda index: post(clients[index], bodies[index], key="racing"))
    assert sorted(response.status_code for response in responses) == [201, 422]
    assert Incident.objects.count() == 1


# --- The intake page: a one-time form token -----------------------------------------------------


def form(user, **overrides):
    data = {
        "form_token": form_token_issue(user),
        "kind": "building_fire",
        "severity": "4",
        "address": "五华区青年路 88 号",
        "description": "厨房起火",
        "plan_for": "building_fire:4",
        "agencies": ["km-fire", "km-medical"],
    }
    data.update(overrides)
    return data


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_intake_page_carries_a_fresh_token(demo):
    client = signed_in(demo.dispatcher)
    first = client.get("/incidents/new/").content.decode()
    second = client.get("/incidents/new/").content.decode()
    token = first.split('name="form_token" value="')[1].split('"')[0]
    assert token and token not in second


def test_a_double_click_opens_one_incident_and_both_land_on_it(demo):
    client = signed_in(demo.dispatcher)
    data = form(demo.dispatcher)
    first = client.post("/incidents/new/", data, **EN)
    second = client.post("/incidents/new/", data, **EN)
    incident = Incident.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == f"/incidents/{incident.pk}/"
    page = client.get(second.url, **EN).content.decode()
    assert f"This form was already sent and opened {incident.reference}" in page
    assert incident.assignments.count() == 2  # dispatched once


def test_a_second_post_with_the_token_goes_to_the_first_incident_whatever_it_says(demo):
    client = signed_in(demo.dispatcher)
    data = form(demo.dispatcher)
    first = client.post("/incidents/new/", data)
    changed = client.post("/incidents/new/", {**data, "kind": "flood", "plan_for": "flood:4"})
    assert changed.url == first.url and Incident.objects.count() == 1


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("not-a-token", "This form could not be checked"),
        ("", "This form could not be checked"),
        (None, "This form could not be checked"),
        ("commander", "This form could not be checked"),  # a token issued to someone else
        ("expired", "This form was open for too long"),
    ],
)
def test_an_unknown_or_expired_token_keeps_the_form_and_opens_nothing(demo, monkeypatch, token, message):
    client = signed_in(demo.dispatcher)
    data = form(demo.dispatcher)
    if token == "commander":
        data["form_token"] = form_token_issue(demo.commander)
    elif token == "expired":
        monkeypatch.setattr(idempotency, "IDEMPOTENCY_TTL", timedelta(seconds=-1))
    elif token is None:
        del data["form_token"]
    else:
        data["form_token"] = token
    response = client.post("/incidents/new/", data, **EN)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html and 'role="alert"' in html
    assert "厨房起火" in html and "五华区青年路 88 号" in html  # nothing typed is lost
    assert not Incident.objects.exists()
    # A fresh token comes with the form: pressing Dispatch again opens the incident.
    monkeypatch.setattr(idempotency, "IDEMPOTENCY_TTL", timedelta(hours=24))
    fresh = html.split('name="form_token" value="')[1].split('"')[0]
    assert fresh and fresh != data.get("form_token")
    assert client.post("/incidents/new/", {**data, "form_token": fresh}).status_code == 302
    assert Incident.objects.count() == 1


def test_a_form_sent_back_for_a_fix_keeps_its_token(demo):
    client = signed_in(demo.dispatcher)
    data = form(demo.dispatcher)
    refused = client.post("/incidents/new/", {**data, "agencies": []})
    assert refused.status_code == 400 and f'value="{data["form_token"]}"' in refused.content.decode()
    assert client.post("/incidents/new/", data).status_code == 302
    assert client.post("/incidents/new/", data).status_code == 302
    assert Incident.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_simultaneous_posts_of_one_form_open_one_incident(demo, monkeypatch, attempt):
    _slow_open(monkeypatch)
    dispatcher = get_user_model().objects.get(username="dispatcher")
    data = form(dispatcher)
    clients = [signed_in(dispatcher) for _ in range(3)]
    responses = _all_at_once(3, lambda index: clients[index].post("/incidents/new/", data))
    incident = Incident.objects.get()
    assert [response.status_code for response in responses] == [302, 302, 302]
    assert {response.url for response in responses} == {f"/incidents/{incident.pk}/"}
    assert IdempotencyKey.objects.filter(scope=IdempotencyScope.FORM).count() == 1
