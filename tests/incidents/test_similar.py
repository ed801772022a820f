"""Duplicate calls about one fire: before dispatch, the dispatcher sees the open incident of the same
kind opened nearby lately ("opened N minutes ago, M m away"), on the intake page and in the API."""

import math
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import Incident
from incidents.selectors import EARTH_RADIUS_M, great_circle_m, similar_incidents
from incidents.services import incident_cancel, incident_open

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# 青年路, Kunming
LAT, LON = 25.043, 102.71


def metres_north(metres: float) -> float:
    return math.degrees(metres / EARTH_RADIUS_M)


def metres_east(metres: float, *, at_latitude: float) -> float:
    """The longitude offset of the point on the same latitude `metres` away (haversine solved for Δλ)."""
    angle = metres / EARTH_RADIUS_M
    return math.degrees(2 * math.asin(math.sin(angle / 2) / math.cos(math.radians(at_latitude))))


def opened(demo, *, kind="building_fire", lat=LAT, lon=LON, minutes_ago=0, title="居民楼起火", **extra):
    incident = incident_open(
        by=demo.dispatcher,
        kind=kind,
        severity=4,
        title=title,
        latitude=None if lat is None else f"{lat:.6f}",
        longitude=None if lon is None else f"{lon:.6f}",
        **extra,
    )
    if minutes_ago:
        Incident.objects.filter(pk=incident.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return Incident.objects.get(pk=incident.pk)


# --- The distance --------------------------------------------------------------------------------


def test_great_circle_distance_in_metres():
    # One degree of latitude on the mean sphere: 2πR/360.
    assert great_circle_m(0, 0, 1, 0) == pytest.approx(2 * math.pi * EARTH_RADIUS_M / 360, rel=1e-9)
    assert great_circle_m(LAT, LON, LAT, LON) == 0
    # Paris to London, the textbook haversine example: 343.56 km on a 6371 km sphere.
    assert great_circle_m(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(343_560, rel=1e-4)
    # Across the antimeridian the short way round.
    assert great_circle_m(0, 179.999, 0, -179.999) == pytest.approx(222.4, abs=0.2)


# --- The selector --------------------------------------------------------------------------------


def test_an_open_incident_of_the_kind_nearby_and_recent_is_similar(demo):
    near = opened(demo, lat=LAT + metres_north(300), minutes_ago=7)
    [found] = similar_incidents(demo.dispatcher, kind="building_fire", latitude=LAT, longitude=LON)
    assert found.pk == near.pk
    assert found.distance_m == 300
    assert found.minutes_ago == 7


def test_only_the_same_kind_open_within_500_m_and_30_minutes(demo):
    opened(demo, lat=LAT + metres_north(510), title="too far")
    opened(demo, minutes_ago=31, title="too old")
    opened(demo, kind="traffic_accident", title="another kind")
    opened(demo, lat=None, lon=None, title="no position")
    incident_cancel(incident=opened(demo, title="cancelled"), by=demo.dispatcher, reason="误报")
    kept = [opened(demo, lat=LAT + metres_north(490), minutes_ago=29, title="edge"), opened(demo, title="here")]
    found = similar_incidents(demo.dispatcher, kind="building_fire", latitude=LAT, longitude=LON)
    assert [incident.title for incident in found] == ["here", "edge"]  # nearest first
    assert [incident.pk for incident in found] == [kept[1].pk, kept[0].pk]


@pytest.mark.parametrize("latitude", [25.043, 60.0, 79.5])
def test_the_bounding_box_never_cuts_the_circle_short(demo, latitude):
    # East of the point a box that forgot to widen longitudes by 1/cos φ would miss "in" at 60° and
    # 79.5°; 495 m is in, 505 m is out.
    inside = opened(demo, lat=latitude, lon=LON + metres_east(495, at_latitude=latitude), title="in")
    opened(demo, lat=latitude, lon=LON + metres_east(505, at_latitude=latitude), title="out")
    found = similar_incidents(demo.dispatcher, kind="building_fire", latitude=latitude, longitude=LON)
    assert [incident.pk for incident in found] == [inside.pk]
    assert found[0].distance_m == 495


def test_across_the_antimeridian_and_near_a_pole(demo):
    east = opened(demo, lat=0, lon=179.999)
    assert [i.pk for i in similar_incidents(demo.dispatcher, kind="building_fire", latitude=0, longitude=-179.999)] == [
        east.pk
    ]
    polar = opened(demo, lat=89.999, lon=10)
    found = similar_incidents(demo.dispatcher, kind="building_fire", latitude=89.999, longitude=-170)
    assert [incident.pk for incident in found] == [polar.pk]  # 222 m across the pole


def test_an_agency_sees_only_the_incidents_it_is_on(demo):
    opened(demo)  # a building fire: fire and medical are on it
    assert similar_incidents(demo.fire_liaison, kind="building_fire", latitude=LAT, longitude=LON)
    assert not similar_incidents(demo.environment_liaison, kind="building_fire", latitude=LAT, longitude=LON)


# --- The intake page -------------------------------------------------------------------------------


def preview(client, language="en", **params):
    query = {"kind": "building_fire", "severity": "4", "latitude": f"{LAT:.6f}", "longitude": f"{LON:.6f}", **params}
    return client.get("/incidents/new/plan/", query, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_plan_preview_warns_of_a_similar_incident_with_a_link(demo):
    first = opened(demo, lat=LAT + metres_north(120), minutes_ago=4)
    client = Client()
    client.force_login(demo.dispatcher)
    html = preview(client)
    assert 'class="similar"' in html
    assert "A similar incident is open nearby" in html
    assert f'href="/incidents/{first.pk}/"' in html and first.reference in html
    assert "opened 4 minutes ago, 120 m away" in html
    chinese = preview(client, language="zh-hans")
    assert "4 分钟前创建，相距 120 米" in chinese and "重复报警" in chinese


def test_an_incident_opened_this_minute_reads_just_now(demo):
    opened(demo)
    client = Client()
    client.force_login(demo.dispatcher)
    assert "opened just now, 0 m away" in preview(client)
    assert "刚刚创建，相距 0 米" in preview(client, language="zh-hans")


def test_no_warning_without_a_position_or_for_another_kind(demo):
    opened(demo)
    client = Client()
    client.force_login(demo.dispatcher)
    assert 'class="similar"' not in client.get("/incidents/new/plan/", {"kind": "building_fire"}, **EN).content.decode()
    assert 'class="similar"' not in preview(client, kind="flood")


def test_the_intake_form_sent_back_still_shows_the_warning(demo):
    opened(demo, minutes_ago=2)
    client = Client()
    client.force_login(demo.dispatcher)
    html = client.post(
        "/incidents/new/",
        {"kind": "building_fire", "severity": "4", "latitude": f"{LAT:.6f}", "longitude": f"{LON:.6f}"},
        **EN,
    ).content.decode()
    assert "opened 2 minutes ago, 0 m away" in html


# --- The API --------------------------------------------------------------------------------------


def test_api_lists_similar_incidents_with_distance_and_age(demo, api):
    first = opened(demo, lat=LAT + metres_north(250), minutes_ago=12)
    opened(demo, lat=LAT + metres_north(900), title="far")
    response = api(demo.dispatcher).get(
        "/api/v1/incidents/similar/", {"kind": "building_fire", "latitude": LAT, "longitude": LON}
    )
    assert response.status_code == 200
    [row] = response.data
    assert row["id"] == first.pk and row["reference"] == first.reference
    assert row["distance_m"] == 250 and row["minutes_ago"] == 12
    wider = api(demo.dispatcher).get(
        "/api/v1/incidents/similar/",
        {"kind": "building_fire", "latitude": LAT, "longitude": LON, "within": 1000, "since": 5},
    )
    assert [row["title"] for row in wider.data] == ["far"]  # the first was opened 12 minutes ago


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"kind": "building_fire", "latitude": "25.0"},
        {"kind": "volcano", "latitude": "25", "longitude": "102"},
        {"kind": "building_fire", "latitude": "95", "longitude": "102"},
        {"kind": "building_fire", "latitude": "NaN", "longitude": "102"},
        {"kind": "building_fire", "latitude": "25", "longitude": "102", "within": "0"},
        {"kind": "building_fire", "latitude": "25", "longitude": "102", "within": "50000"},
        {"kind": "building_fire", "latitude": "25", "longitude": "102", "since": "2000"},
    ],
)
def test_api_similar_refuses_bad_queries_with_400(demo, params, api):
    assert api(demo.dispatcher).get("/api/v1/incidents/similar/", params).status_code == 400


def test_api_similar_needs_a_sign_in(demo):
    assert APIClient().get(
        "/api/v1/incidents/similar/", {"kind": "flood", "latitude": 1, "longitude": 1}
    ).status_code in (
        401,
        403,
    )


# --- Drills and real calls ------------------------------------------------------------------------


def test_a_drill_is_never_the_duplicate_of_a_real_call_nor_the_reverse(demo):
    real = opened(demo, title="real fire")
    drill = opened(demo, title="drill fire", exercise=True)
    assert [i.pk for i in similar_incidents(demo.dispatcher, kind="building_fire", latitude=LAT, longitude=LON)] == [
        real.pk
    ]
    found = similar_incidents(demo.dispatcher, kind="building_fire", latitude=LAT, longitude=LON, exercise=True)
    assert [i.pk for i in found] == [drill.pk]


def test_the_intake_warning_follows_the_exercise_box(demo):
    real = opened(demo, title="real fire")
    drill = opened(demo, title="drill fire", exercise=True)
    client = Client()
    client.force_login(demo.dispatcher)
    html = preview(client)
    assert real.reference in html and drill.reference not in html
    html = preview(client, exercise="on")
    assert drill.reference in html and real.reference not in html
    assert "drill-tag" in html  # the drill in a drill's list is marked as one
    sent_back = client.post(
        "/incidents/new/",
        {
            "kind": "building_fire",
            "severity": "4",
            "exercise": "on",
            "latitude": f"{LAT:.6f}",
            "longitude": f"{LON:.6f}",
        },
        **EN,
    ).content.decode()
    assert drill.reference in sent_back and real.reference not in sent_back


def test_api_similar_matches_exercise_and_says_it(demo, api):
    real = opened(demo, title="real fire")
    drill = opened(demo, title="drill fire", exercise=True)
    query = {"kind": "building_fire", "latitude": LAT, "longitude": LON}
    rows = api(demo.dispatcher).get("/api/v1/incidents/similar/", query).data
    assert [(row["id"], row["exercise"]) for row in rows] == [(real.pk, False)]
    rows = api(demo.dispatcher).get("/api/v1/incidents/similar/", {**query, "exercise": "true"}).data
    assert [(row["id"], row["exercise"]) for row in rows] == [(drill.pk, True)]
    assert api(demo.dispatcher).get("/api/v1/incidents/similar/", {**query, "exercise": "maybe"}).status_code == 400
