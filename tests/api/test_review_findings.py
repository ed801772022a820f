"""Holes a review found, each closed: no 500s, no lingering access, no throttle bypass."""

import pytest

from agencies.models import Membership
from incidents.selectors import can_view_incident

from .test_cap import _alert, _post


def test_moving_a_member_to_another_agency_ends_the_old_agencys_access(api, demo, fire_incident):
    membership = Membership.objects.get(user__username="fire_liaison")
    membership.agency = demo.agency("km-police")
    membership.save()
    user = membership.user.__class__.objects.get(pk=membership.user_id)
    assert list(user.groups.values_list("name", flat=True)) == ["agency:km-police"]
    assert not can_view_incident(user, fire_incident)
    assert api("fire_liaison").get(f"/api/v1/incidents/{fire_incident.pk}/").status_code == 404


def test_forwarded_for_does_not_reset_the_login_throttle(api, demo, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min", "writes": "9/min"},
    }
    client = api(None)
    codes = [
        client.post(
            "/api/v1/auth/token/", {"username": "admin", "password": "x"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        ).status_code
        for n in range(5)
    ]
    assert codes[-1] == 429


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


def test_cap_with_unknown_encoding_is_400(api, demo):
    assert _post(api("dispatcher"), b'<?xml version="1.0" encoding="bogus"?><a/>').status_code == 400


def test_cap_too_large_is_413(api, demo):
    body = _alert("BIG-1").replace(b"<description>", b"<description>" + b"x" * (1024 * 1024))
    assert _post(api("dispatcher"), body).status_code == 413


def test_cap_update_without_severity_keeps_the_level(api, demo):
    dispatcher = api("dispatcher")
    opened = _post(dispatcher, _alert("S-1", severity="Extreme")).json()["incident"]
    assert opened["severity"] == 1
    update = _alert("S-2", "Update", references="119@kunming,S-1,x", headline="新标题").replace(
        b"<severity>Severe</severity>", b""
    )
    response = _post(dispatcher, update)
    assert response.status_code == 200
    assert (response.json()["incident"]["severity"], response.json()["incident"]["title"]) == (1, "新标题")


def test_exported_cap_drops_characters_xml_cannot_carry(api, demo, fire_incident):
    from defusedxml.ElementTree import fromstring

    api("commander").patch(f"/api/v1/incidents/{fire_incident.pk}/", {"title": "a\x01b"}, format="json")
    xml = api("commander").get(f"/api/v1/incidents/{fire_incident.pk}/cap/").content
    assert fromstring(xml) is not None


def test_admin_cannot_delete_incidents(client, demo, fire_incident):
    client.force_login(demo.admin)
    assert client.post(f"/admin/incidents/incident/{fire_incident.pk}/delete/", {"post": "yes"}).status_code == 403
    assert fire_incident.__class__.objects.filter(pk=fire_incident.pk).exists()
