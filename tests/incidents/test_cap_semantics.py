"""DESIGN.md "CAP semantics", rule by rule, with the CAP files in tests/fixtures/cap/ (real-shaped
messages: the standard's appendix, national warning services, a 119 feed), against PostgreSQL."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.db import connection

from incidents.cap import DUPLICATE, cap_ingest, cap_kind, incident_to_alert, incident_to_cap
from incidents.models import CapMessage, CapOutcome, Incident, IncidentStatus, TimelineKind
from incidents.services import incident_cancel, incident_close, incident_contain, incident_open, incident_update
from interop.cap import read_alert

FIXTURES = Path(__file__).parent.parent / "fixtures" / "cap"
ROOT = Path(__file__).parent.parent.parent
# "Now" for the 119 feed: 28 November 2026, noon in Kunming (its alerts expire at 22:00).
NOON = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def _in(demo, name: str, *, now=NOON, by=None):
    return cap_ingest(by=by or demo.dispatcher, xml=(FIXTURES / name).read_bytes(), now=now)


def _fresh(incident: Incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


# --- Expiry ---------------------------------------------------------------------------------------


def test_an_alert_expired_years_ago_opens_nothing_and_is_recorded(demo):
    result = _in(demo, "expired_alert_2019.xml", now=None)  # the real now
    assert result.outcome == CapOutcome.EXPIRED and result.incident is None
    assert not Incident.objects.exists()
    recorded = CapMessage.objects.get(identifier="KM119-20190612-044")
    assert (recorded.outcome, recorded.incident) == (CapOutcome.EXPIRED, None)
    # The standard's thunderstorm example expired in 2003; read on the day, it would have opened.
    assert _in(demo, "appendix_a2_thunderstorm.xml", now=None).outcome == CapOutcome.EXPIRED


def test_an_expired_update_changes_nothing(demo):
    opened = _in(demo, "km_chemical_alert.xml").incident
    later = datetime(2026, 11, 28, 3, 45, tzinfo=UTC)  # 11:45 in Kunming: the update expired at 11:31
    result = _in(demo, "km_chemical_expired_update.xml", now=later)
    assert result.outcome == CapOutcome.EXPIRED
    assert (_fresh(opened).severity, _fresh(opened).title) == (2, "安宁化工厂储罐起火")


# --- Status ---------------------------------------------------------------------------------------


def test_a_monthly_test_opens_nothing(demo):
    result = _in(demo, "fema_required_monthly_test.xml")
    assert result.outcome == CapOutcome.NOT_ACTUAL and result.incident is None
    assert not Incident.objects.exists()


def test_an_exercise_cancel_never_cancels_a_real_incident(demo):
    real = _in(demo, "km_chemical_alert.xml").incident
    result = _in(demo, "km_chemical_exercise_cancel.xml")
    assert result.outcome == CapOutcome.STATUS_MISMATCH
    assert _fresh(real).status == IncidentStatus.ACTIVE
    assert result.message.incident == real  # recorded against the incident it named


def test_an_actual_update_never_touches_an_exercise(demo):
    drill = _in(demo, "km_exercise_alert.xml")
    assert drill.opened and drill.incident.exercise
    result = _in(demo, "km_actual_update_of_exercise.xml")
    assert result.outcome == CapOutcome.STATUS_MISMATCH
    fresh = _fresh(drill.incident)
    assert (fresh.severity, fresh.title, fresh.exercise) == (2, "【演练】安宁化工厂储罐泄漏", True)
    assert Incident.objects.filter(exercise=False).count() == 0


# --- Sender ---------------------------------------------------------------------------------------


def test_a_cancel_from_another_sender_cancels_nothing(demo):
    real = _in(demo, "km_chemical_alert.xml").incident
    result = _in(demo, "km_chemical_cancel_other_sender.xml")
    assert result.outcome == CapOutcome.OTHER_SENDER
    assert "119@kunming.example" in result.detail
    assert _fresh(real).status == IncidentStatus.ACTIVE


def test_our_own_message_coming_back_does_nothing(demo, settings):
    settings.LINKAGE_CAP_SENDER = "119@kunming.example"
    result = _in(demo, "km_chemical_alert.xml")
    assert result.outcome == CapOutcome.NOT_ACTED and not Incident.objects.exists()


# --- Order ----------------------------------------------------------------------------------------


def test_an_older_update_arriving_late_rolls_nothing_back(demo):
    opened = _in(demo, "km_chemical_alert.xml").incident
    newer = _in(demo, "km_chemical_update_newer.xml")
    assert newer.outcome == CapOutcome.UPDATED
    assert (_fresh(opened).severity, _fresh(opened).title) == (1, "安宁化工厂储罐起火（火势扩大）")
    late = _in(demo, "km_chemical_update_older_late.xml")
    assert late.outcome == CapOutcome.STALE and late.incident == opened
    assert (_fresh(opened).severity, _fresh(opened).title) == (1, "安宁化工厂储罐起火（火势扩大）")


def test_the_newest_live_reference_is_acted_on(demo):
    old = _in(demo, "km_old_alert.xml", now=datetime(2026, 11, 27, 2, 0, tzinfo=UTC)).incident
    assert _in(demo, "km_old_cancel.xml", now=datetime(2026, 11, 27, 2, 0, tzinfo=UTC)).outcome == "cancelled"
    live = _in(demo, "km_chemical_alert.xml").incident
    # The Cancel lists yesterday's cancelled alert first: it cancels today's, no 409.
    result = _in(demo, "km_cancel_multiple_references.xml")
    assert (result.outcome, result.incident) == (CapOutcome.CANCELLED, live)
    assert _fresh(live).status == IncidentStatus.CANCELLED
    assert _fresh(old).status == IncidentStatus.CANCELLED
    assert not _fresh(live).assignments.filter(status="pending").exists()


def test_the_same_message_twice_changes_nothing(demo):
    first = _in(demo, "km_chemical_alert.xml")
    again = _in(demo, "km_chemical_alert.xml")
    assert (again.outcome, again.incident, again.message) == (DUPLICATE, first.incident, first.message)
    assert Incident.objects.count() == 1 and CapMessage.objects.count() == 1


# --- Missing originals ------------------------------------------------------------------------------


def test_an_update_whose_original_never_arrived_opens_the_incident(demo):
    result = _in(demo, "km_update_original_missing.xml")
    assert result.outcome == CapOutcome.OPENED_FROM_UPDATE and result.opened
    incident = result.incident
    assert (incident.kind, incident.title, incident.address) == (
        "building_fire",
        "盘龙区高层住宅起火",
        "盘龙区北京路 1088 号",
    )
    assert (incident.latitude, incident.longitude) == (Decimal("25.070000"), Decimal("102.725000"))
    assert incident.assignments.filter(agency__kind="fire").exists()
    # The standard's earthquake example is such an update too (its .1 never reached us).
    quake = _in(demo, "appendix_a3_earthquake.xml", now=None)
    assert (quake.outcome, quake.incident.kind, quake.incident.severity) == ("opened_from_update", "earthquake", 4)


def test_a_cancel_of_an_unknown_alert_is_recorded_and_does_nothing(demo):
    result = _in(demo, "km_cancel_original_missing.xml")
    assert result.outcome == CapOutcome.UNKNOWN_ORIGINAL and result.incident is None
    assert not Incident.objects.exists()
    assert CapMessage.objects.get(identifier="KM119-20261128-031").outcome == CapOutcome.UNKNOWN_ORIGINAL


# --- Language -------------------------------------------------------------------------------------


def test_the_info_in_the_sites_language_is_used(demo):
    result = _in(demo, "met_rainstorm_red_en_zh.xml", now=datetime(2026, 7, 20, 7, 0, tzinfo=UTC))
    incident = result.incident
    assert (incident.title, incident.kind, incident.severity) == ("昆明市气象台发布暴雨红色预警信号", "flood", 1)
    assert incident.address == "昆明市五华区、盘龙区、官渡区、西山区"
    assert (incident.latitude, incident.longitude) == (Decimal("25.060000"), Decimal("102.710000"))


def test_an_english_site_takes_the_english_info(demo, settings):
    settings.LANGUAGE_CODE = "en"
    result = _in(demo, "met_rainstorm_red_en_zh.xml", now=datetime(2026, 7, 20, 7, 0, tzinfo=UTC))
    assert result.incident.title == "Kunming Meteorological Observatory issues Rainstorm Red Warning"


# --- Kind -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("appendix_a1_homeland_security.xml", "other"),
        ("appendix_a2_thunderstorm.xml", "other"),  # Met: a storm is not a flood
        ("appendix_a3_earthquake.xml", "earthquake"),
        ("appendix_a4_amber.xml", "other"),  # Rescue: a child abduction is not a collapse
        ("nws_excessive_heat_warning.xml", "other"),  # Met: a heat wave is not a flood
        ("nws_flash_flood_warning.xml", "flood"),
        ("met_rainstorm_red_en_zh.xml", "flood"),
        ("tsunami_warning_polygons.xml", "flood"),
        ("police_search_missing_person.xml", "other"),  # Geo + Rescue, Extreme: not an earthquake
        ("km_chemical_alert.xml", "hazmat"),
        ("km_update_original_missing.xml", "building_fire"),
        ("large_coastline_polygon.xml", "flood"),
    ],
)
def test_the_kind_comes_from_the_event_before_the_category(name, kind):
    alert = read_alert((FIXTURES / name).read_bytes())
    assert cap_kind(alert.infos[-1] if "en_zh" in name else alert.infos[0])[0] == kind


def test_an_alert_of_unknown_kind_opens_other_with_nobody_brought_in(demo):
    for name in ("police_search_missing_person.xml", "appendix_a4_amber.xml"):
        result = _in(demo, name, now=None if "amber" in name else NOON)
        incident = result.incident
        assert (incident.kind, incident.assignments.count()) == ("other", 0), name
        entry = incident.timeline.filter(kind=TimelineKind.INCIDENT_UPDATED).get()
        assert "nobody was brought in" in entry.text or "没有调派" in entry.text
    police = Incident.objects.get(title="西山森林公园搜寻走失老人")
    assert police.severity == 1  # the level is kept; only the agencies wait for the dispatcher


def test_category_fire_alone_says_nothing_but_cbrne_says_hazmat():
    alert = read_alert((FIXTURES / "km_chemical_alert.xml").read_bytes())
    info = alert.infos[0]
    info.event, info.categories = "Incident", ["Fire"]
    assert cap_kind(info)[0] == "other"
    info.categories = ["CBRNE"]
    assert cap_kind(info)[0] == "hazmat"
    info.event = "Forest fire danger warning"  # a risk forecast, nothing burning
    assert cap_kind(info)[0] == "hazmat"  # falls to the category, not to a fire


# --- Area -----------------------------------------------------------------------------------------


def test_an_update_moving_the_area_moves_address_and_coordinates(demo):
    opened = _in(demo, "km_chemical_alert.xml").incident
    assert (opened.latitude, opened.longitude) == (Decimal("24.919000"), Decimal("102.478000"))
    result = _in(demo, "km_chemical_update_moves_area.xml")
    assert result.outcome == CapOutcome.UPDATED
    moved = _fresh(opened)
    assert moved.address == "安宁市草铺街道青龙村"
    assert (moved.latitude, moved.longitude) == (Decimal("24.970000"), Decimal("102.420000"))  # the centroid
    change = moved.timeline.filter(kind=TimelineKind.INCIDENT_UPDATED).last()
    assert change.data["latitude"] == {"from": "24.919000", "to": "24.970000"}


# --- Export ---------------------------------------------------------------------------------------


def test_each_version_out_has_its_own_identifier_and_references_the_previous(demo):
    incident = incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="氯气泄漏", address="经开区")
    versions = [incident_to_alert(incident)]
    incident = incident_update(incident=incident, by=demo.dispatcher, severity=2)
    versions.append(incident_to_alert(incident))
    incident_update(incident=incident, by=demo.dispatcher, commander=demo.commander)  # not in the alert
    assert incident_to_alert(incident).identifier == versions[-1].identifier
    incident = incident_contain(incident=incident, by=demo.commander)
    versions.append(incident_to_alert(incident))
    incident = incident_close(incident=incident, by=demo.commander)
    versions.append(incident_to_alert(incident))

    assert len({alert.identifier for alert in versions}) == 4
    assert [alert.msg_type for alert in versions] == ["Alert", "Update", "Update", "Update"]
    assert versions[0].references == []
    for previous, alert in pairwise(versions):
        assert alert.sent >= previous.sent
        referenced = [(ref.sender, ref.identifier, ref.sent) for ref in alert.references]
        assert (previous.sender, previous.identifier, previous.sent) in referenced
        assert (versions[0].sender, versions[0].identifier, versions[0].sent) in referenced
    assert [alert.infos[0].urgency for alert in versions] == ["Immediate", "Immediate", "Immediate", "Past"]
    assert versions[-1].infos[0].severity == "Severe"


def test_a_cancelled_incident_goes_out_as_a_cancel_with_references(demo):
    incident = incident_open(by=demo.dispatcher, kind="other", severity=4, title="误报", exercise=True)
    first = incident_to_alert(incident)
    incident = incident_cancel(incident=incident, by=demo.dispatcher, reason="误报")
    cancel = incident_to_alert(incident)
    assert (cancel.msg_type, cancel.status, cancel.infos[0].urgency) == ("Cancel", "Exercise", "Past")
    assert [(ref.sender, ref.identifier) for ref in cancel.references] == [(first.sender, first.identifier)]


# --- Round trip between two Linkage installations ------------------------------------------------------

# The second installation: its own PostgreSQL database, its own process, its own CAP sender. It
# migrates, seeds the demo, and takes our exported versions in through its API as its dispatcher.
PEER = r"""
import json, sys
import django
django.setup()
from django.core.management import call_command
from django.test.utils import setup_test_environment
call_command("migrate", verbosity=0)
from incidents.demo import seed_all
seed_all(with_people=True)
setup_test_environment()
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
from incidents.models import Incident
client = APIClient()
client.force_authenticate(get_user_model().objects.get(username="dispatcher"))
out = []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        response = client.post("/api/v1/cap/", f.read(), content_type="application/xml")
    body = response.json()
    out.append({"code": response.status_code, "outcome": body.get("outcome"), "incident": body.get("incident")})
out.append({"incidents": Incident.objects.count()})
print(json.dumps(out))
"""


@pytest.fixture
def peer_database():
    """A second, empty PostgreSQL database next to the test database; dropped afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("the second installation runs on PostgreSQL")
    name = f"{connection.settings_dict['NAME']}_peer"
    url = urlparse(os.environ["DATABASE_URL"])
    # CREATE DATABASE cannot run inside the test's transaction: use a connection of its own.
    import psycopg2

    admin = psycopg2.connect(
        dbname="postgres",
        user=connection.settings_dict["USER"],
        password=connection.settings_dict["PASSWORD"],
        host=connection.settings_dict["HOST"],
        port=connection.settings_dict["PORT"],
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield url._replace(path=f"/{name}").geturl()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _peer_takes_in(database_url: str, files: list[Path]) -> list[dict]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "LINKAGE_MODE", "PYTEST_XDIST_WORKER")
    }
    env.update(
        DATABASE_URL=database_url,
        LINKAGE_MODE="embedded",
        LINKAGE_SWEEP_IN_PROCESS="false",
        LINKAGE_CAP_SENDER="linkage@peer.example",
        DJANGO_SETTINGS_MODULE="linkage.settings",
    )
    done = subprocess.run(
        [sys.executable, "-c", PEER, *map(str, files)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.postgres
def test_round_trip_to_a_second_installation(demo, peer_database, tmp_path, settings):
    """Our incident's versions (opened, level raised, moved, closed) and a drill's (opened, cancelled)
    go to another Linkage: taken in order its incidents follow ours; the move arriving after the
    close (which references it) changes nothing there."""
    settings.LINKAGE_CAP_SENDER = "linkage@ours.example"
    versions = []

    def export(incident):
        path = tmp_path / f"{len(versions):02d}.xml"
        path.write_bytes(incident_to_cap(_fresh(incident)))
        versions.append(path)

    fire = incident_open(
        by=demo.dispatcher, kind="building_fire", severity=4, title="居民楼起火", latitude="25.04", longitude="102.71"
    )
    export(fire)
    fire = incident_update(incident=fire, by=demo.dispatcher, severity=2)
    export(fire)
    fire = incident_update(
        incident=fire, by=demo.dispatcher, address="五华区青年路 90 号", latitude="25.05", longitude="102.72"
    )
    export(fire)
    fire = incident_contain(incident=fire, by=demo.commander)
    fire = incident_close(incident=fire, by=demo.commander)
    export(fire)
    drill = incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="危化品演练", exercise=True)
    export(drill)
    drill = incident_cancel(incident=drill, by=demo.dispatcher, reason="演练取消")
    export(drill)
    assert len({read_alert(path.read_bytes()).identifier for path in versions}) == 6

    opened, raised, closed, moved_late, drill_opened, drill_cancelled, totals = _peer_takes_in(
        peer_database, [versions[0], versions[1], versions[3], versions[2], versions[4], versions[5]]
    )

    assert (opened["code"], opened["outcome"]) == (201, "opened")
    assert (opened["incident"]["kind"], opened["incident"]["severity"]) == ("building_fire", 4)
    peer_fire = opened["incident"]["id"]
    assert opened["incident"]["assignments"]  # the peer's own plan brought its agencies in
    assert (raised["code"], raised["outcome"], raised["incident"]["id"]) == (200, "updated", peer_fire)
    assert raised["incident"]["severity"] == 2
    # Closed here: an Update with urgency Past carrying the latest facts; the peer's commander closes it.
    assert (closed["outcome"], closed["incident"]["id"], closed["incident"]["status"]) == (
        "updated",
        peer_fire,
        "active",
    )
    assert closed["incident"]["address"] == "五华区青年路 90 号"
    assert (closed["incident"]["latitude"], closed["incident"]["longitude"]) == ("25.050000", "102.720000")
    assert (moved_late["code"], moved_late["outcome"], moved_late["incident"]["id"]) == (200, "stale", peer_fire)
    assert (drill_opened["code"], drill_opened["incident"]["exercise"]) == (201, True)
    assert (drill_cancelled["outcome"], drill_cancelled["incident"]["status"]) == ("cancelled", "cancelled")
    assert drill_cancelled["incident"]["id"] == drill_opened["incident"]["id"]
    assert totals == {"incidents": 2}


def test_an_update_of_a_cancelled_incident_is_recorded_not_a_409(demo):
    opened = _in(demo, "km_chemical_alert.xml").incident
    incident_cancel(incident=opened, by=demo.dispatcher, reason="误报")
    result = _in(demo, "km_chemical_update_newer.xml")
    assert (result.outcome, result.incident) == (CapOutcome.NOT_OPEN, opened)
    assert _fresh(opened).severity == 2


def test_an_ack_changes_nothing(demo):
    ack = (FIXTURES / "km_chemical_alert.xml").read_bytes().replace(b"<msgType>Alert", b"<msgType>Ack")
    result = cap_ingest(by=demo.dispatcher, xml=ack, now=NOON)
    assert (result.outcome, result.incident) == (CapOutcome.NOT_ACTED, None)
    assert not Incident.objects.exists()


def test_a_non_dispatcher_cannot_take_cap_in(demo):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _in(demo, "km_chemical_alert.xml", by=demo.fire_liaison)
    assert not Incident.objects.exists() and not CapMessage.objects.exists()


def test_the_incident_page_says_why_nobody_was_brought_in(demo, client):
    incident = _in(demo, "police_search_missing_person.xml").incident
    client.force_login(demo.dispatcher)
    page = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "CAP 消息" in page
    assert "CAP 事件“警方搜寻失踪人员”无法判断事件类型：没有调派任何单位。" in page


def test_an_incident_without_a_timeline_still_goes_out(demo):
    incident = incident_open(by=demo.dispatcher, kind="flood", severity=3, title="积水")
    incident.timeline.all().delete()
    alert = incident_to_alert(incident)
    assert (alert.msg_type, alert.identifier, alert.references) == ("Alert", f"linkage-{incident.reference}-0", [])


def _at_once(demo, names: list[str]) -> list[str]:
    """Take the files in at the same moment, one thread (and connection) each; their outcomes."""
    import threading

    start = threading.Barrier(len(names))
    outcomes: list[str] = []

    def take(name):
        try:
            start.wait(timeout=10)
            outcomes.append(str(_in(demo, name).outcome))
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_alert_twice_at_once_opens_one_incident(demo):
    outcomes = _at_once(demo, ["km_chemical_alert.xml"] * 3)
    assert sorted(outcomes) == ["duplicate", "duplicate", "opened"]
    assert Incident.objects.count() == 1 and CapMessage.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_an_older_and_a_newer_update_at_once_leave_the_newer(demo, attempt):
    opened = _in(demo, "km_chemical_alert.xml").incident
    outcomes = _at_once(demo, ["km_chemical_update_older_late.xml", "km_chemical_update_newer.xml"])
    # Whichever locked the incident first, the newer one's facts stand.
    assert sorted(outcomes) in (["stale", "updated"], ["updated", "updated"])
    assert (_fresh(opened).severity, _fresh(opened).title) == (1, "安宁化工厂储罐起火（火势扩大）")


def test_the_admin_lists_every_message_with_its_outcome_in_chinese(demo, client):
    _in(demo, "fema_required_monthly_test.xml")
    _in(demo, "km_chemical_alert.xml")
    client.force_login(demo.admin)
    page = client.get("/admin/incidents/capmessage/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert "IPAWS-RMT-2026-11-04-1000" in html and "KM119-20261128-001" in html
    assert "未处理：测试、草稿或系统消息" in html and "处理结果" in html and "发送方" in html
    assert client.get("/admin/incidents/capmessage/add/").status_code == 403


# --- Real feeds, continued: references, order, senders, forecasts, places ---------------------------

S = "119@kunming.example"


def _msg(
    identifier: str,
    msg_type: str = "Alert",
    *,
    references: str = "",
    sent: str = "2026-11-28T10:00:00+08:00",
    sender: str = S,
    status: str = "Actual",
    severity: str = "Severe",
    headline: str = "安宁化工厂储罐起火",
    area: str = "<area><areaDesc>安宁市工业园区</areaDesc><circle>24.919,102.478 2</circle></area>",
) -> bytes:
    """A 119 feed message like km_chemical_alert.xml, with what a test varies."""
    refs = f"<references>{references}</references>" if references else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>{sender}</sender><sent>{sent}</sent>
  <status>{status}</status><msgType>{msg_type}</msgType><scope>Restricted</scope>{refs}
  <info><language>zh-CN</language><category>CBRNE</category><event>危化品泄漏</event>
  <urgency>Immediate</urgency><severity>{severity}</severity><certainty>Observed</certainty>
  <expires>2026-11-28T22:00:00+08:00</expires><headline>{headline}</headline>
  <description>厂区储罐起火并伴有泄漏。</description>{area}</info>
</alert>""".encode()


def _take(demo, xml: bytes, *, by=None):
    return cap_ingest(by=by or demo.dispatcher, xml=xml, now=NOON)


MISSED = f"{S},KM119-MISSED-000,2026-11-28T09:00:00+08:00"


def test_updates_naming_only_a_missed_original_act_on_the_one_incident_they_opened(demo):
    first = _take(demo, _msg("U-1", "Update", references=MISSED, sent="2026-11-28T10:00:00+08:00"))
    assert first.outcome == CapOutcome.OPENED_FROM_UPDATE
    incident = first.incident
    paged = incident.assignments.count()
    assert paged == 5
    second = _take(demo, _msg("U-2", "Update", references=MISSED, sent="2026-11-28T10:10:00+08:00", severity="Extreme"))
    third = _take(
        demo,
        _msg(
            "U-3",
            "Update",
            references=MISSED,
            sent="2026-11-28T10:20:00+08:00",
            severity="Extreme",
            headline="储罐起火（扩大）",
        ),
    )
    assert (second.outcome, second.incident) == (CapOutcome.UPDATED, incident)
    assert (third.outcome, third.incident) == (CapOutcome.UPDATED, incident)
    assert Incident.objects.count() == 1
    assert (_fresh(incident).severity, _fresh(incident).title) == (1, "储罐起火（扩大）")
    assert _fresh(incident).assignments.count() == paged  # nobody paged twice
    cancel = _take(demo, _msg("C-1", "Cancel", references=MISSED, sent="2026-11-28T10:30:00+08:00"))
    assert (cancel.outcome, cancel.incident) == (CapOutcome.CANCELLED, incident)
    assert _fresh(incident).status == IncidentStatus.CANCELLED


def test_any_identifier_an_applied_message_listed_leads_to_its_incident(demo):
    # The first update lists two messages we never got; a later one names only the second of them.
    other_missed = f"{S},KM119-MISSED-001,2026-11-28T09:30:00+08:00"
    opened = _take(demo, _msg("U-1", "Update", references=f"{MISSED} {other_missed}")).incident
    later = _take(demo, _msg("U-2", "Update", references=other_missed, sent="2026-11-28T10:05:00+08:00"))
    assert (later.outcome, later.incident) == (CapOutcome.UPDATED, opened)
    assert Incident.objects.count() == 1


def test_an_original_arriving_after_an_update_that_replaced_it_opens_nothing(demo):
    update = _take(
        demo,
        _msg("U-1", "Update", references=f"{S},A-1,2026-11-28T09:50:00+08:00", severity="Extreme", headline="扩大"),
    )
    assert update.outcome == CapOutcome.OPENED_FROM_UPDATE
    late = _take(demo, _msg("A-1", sent="2026-11-28T09:50:00+08:00", headline="较早的情况"))
    assert (late.outcome, late.incident) == (CapOutcome.STALE, update.incident)
    assert "U-1" in late.detail
    assert Incident.objects.count() == 1
    assert (_fresh(update.incident).severity, _fresh(update.incident).title) == (1, "扩大")
    assert CapMessage.objects.get(identifier="A-1").incident == update.incident


def test_an_original_its_sender_already_cancelled_opens_nothing(demo):
    cancel = _take(demo, _msg("C-1", "Cancel", references=f"{S},A-1,2026-11-28T09:50:00+08:00"))
    assert cancel.outcome == CapOutcome.UNKNOWN_ORIGINAL
    late = _take(demo, _msg("A-1", sent="2026-11-28T09:50:00+08:00"))
    assert (late.outcome, late.incident) == (CapOutcome.ALREADY_CANCELLED, None)
    assert "C-1" in late.detail
    # An update of that alert arriving later still opens nothing; nor does the original from another
    # sender, nor an exercise of the same name: only its own sender's cancel counts.
    update = _take(demo, _msg("U-1", "Update", references=f"{S},A-1,2026-11-28T09:50:00+08:00"))
    assert update.outcome == CapOutcome.ALREADY_CANCELLED
    assert not Incident.objects.exists()
    assert _take(demo, _msg("A-1", sender="110@kunming.example")).outcome == CapOutcome.OPENED
    assert CapMessage.objects.get(sender=S, identifier="A-1").outcome == CapOutcome.ALREADY_CANCELLED


def test_another_senders_update_or_cancel_of_our_own_alert_changes_nothing(demo, settings):
    ours = incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="氯气泄漏", address="经开区")
    exported = incident_to_alert(ours)
    reference = f"{exported.sender},{exported.identifier},2026-11-28T09:00:00+08:00"
    update = _take(demo, _msg("U-1", "Update", references=reference, severity="Extreme", headline="别人的标题"))
    assert (update.outcome, update.incident) == (CapOutcome.OTHER_SENDER, ours)
    cancel = _take(demo, _msg("C-1", "Cancel", references=reference))
    assert (cancel.outcome, cancel.incident) == (CapOutcome.OTHER_SENDER, ours)
    fresh = _fresh(ours)
    assert (fresh.status, fresh.severity, fresh.title) == (IncidentStatus.ACTIVE, 3, "氯气泄漏")
    assert Incident.objects.count() == 1
    # One of ours we cannot place (another installation's numbering) opens nothing either.
    unknown = _take(demo, _msg("U-2", "Update", references=f"{exported.sender},linkage-XX-1999-000001-7"))
    assert (unknown.outcome, unknown.incident) == (CapOutcome.OTHER_SENDER, None)
    assert Incident.objects.count() == 1


def test_another_senders_update_of_an_original_known_only_by_reference_changes_nothing(demo):
    opened = _take(demo, _msg("U-1", "Update", references=MISSED)).incident
    result = _take(demo, _msg("U-9", "Update", references=MISSED, sender="110@kunming.example", severity="Extreme"))
    assert (result.outcome, result.incident) == (CapOutcome.OTHER_SENDER, opened)
    assert _fresh(opened).severity == 2 and Incident.objects.count() == 1


def _flood_watch(event: str, code: str) -> bytes:
    data = (FIXTURES / "nws_flood_watch.xml").read_text(encoding="utf-8")
    return data.replace("Flood Watch", event).replace("<value>FLA</value>", f"<value>{code}</value>").encode()


@pytest.mark.parametrize(
    ("xml", "event"),
    [
        (lambda: _flood_watch("Flood Watch", "FLA"), "Flood Watch"),
        (lambda: _flood_watch("Flash Flood Watch", "FFA"), "Flash Flood Watch"),
        (lambda: _flood_watch("Storm Surge Watch", "SSA"), "Storm Surge Watch"),
        (lambda: (FIXTURES / "tsunami_information_statement.xml").read_bytes(), "Tsunami Information Statement"),
        (lambda: (FIXTURES / "wildfire_smoke_advisory.xml").read_bytes(), "Wildfire Smoke Advisory"),
    ],
)
def test_watches_advisories_and_statements_bring_in_nobody(demo, xml, event):
    result = _take(demo, xml())
    assert result.opened
    incident = result.incident
    assert (incident.kind, incident.assignments.count()) == ("other", 0)
    entry = incident.timeline.filter(kind=TimelineKind.INCIDENT_UPDATED).get()
    assert event in entry.text and ("nobody was brought in" in entry.text or "没有调派" in entry.text)
    assert entry.data["cap_forecast"]


def test_what_makes_a_forecast():
    from incidents.cap import cap_forecast

    info = read_alert((FIXTURES / "km_chemical_alert.xml").read_bytes()).infos[0]
    assert cap_forecast(info) == "" and cap_kind(info)[0] == "hazmat"
    for event in ("森林火灾风险提示", "山洪灾害气象预报", "地质灾害关注", "Heat Outlook", "Earthquake Information"):
        info.event = event
        assert cap_forecast(info), event
        assert cap_kind(info)[0] == "other", event
    info.event = "危化品泄漏"
    info.urgency = "Future"
    assert cap_forecast(info) == "urgency Future" and cap_kind(info)[0] == "other"
    info.urgency, info.certainty = "Immediate", "Possible"
    assert cap_forecast(info) == "certainty Possible"
    info.certainty = "Likely"
    assert cap_kind(info)[0] == "hazmat"
    # A warning is still a warning; a flood warning's SAME code still says flood.
    warning = read_alert((FIXTURES / "nws_flash_flood_warning.xml").read_bytes()).infos[0]
    assert cap_forecast(warning) == "" and cap_kind(warning)[0] == "flood"


def test_an_update_whose_new_area_has_no_shape_clears_the_point_with_the_address(demo):
    opened = _take(demo, _msg("A-1")).incident
    assert opened.latitude is not None
    moved = _take(
        demo,
        _msg(
            "U-1",
            "Update",
            references=f"{S},A-1,2026-11-28T10:00:00+08:00",
            area="<area><areaDesc>安宁市连然街道</areaDesc></area>",
        ),
    )
    assert moved.outcome == CapOutcome.UPDATED
    fresh = _fresh(opened)
    assert (fresh.address, fresh.latitude, fresh.longitude) == ("安宁市连然街道", None, None)
    change = fresh.timeline.filter(kind=TimelineKind.INCIDENT_UPDATED).last()
    assert change.data["latitude"] == {"from": "24.919000", "to": None}
    # An update with no <area> at all leaves the place as it is.
    _take(demo, _msg("U-2", "Update", references=f"{S},U-1,2026-11-28T10:00:00+08:00", area="", severity="Extreme"))
    fresh = _fresh(opened)
    assert (fresh.address, fresh.latitude, fresh.severity) == ("安宁市连然街道", None, 1)


@pytest.mark.parametrize(
    "polygon",
    [
        "0,0 1,1 1,0 0,1.00001 0,0",  # a bow tie whose halves cancel: area about nothing
        "0,0 1,1 1,0 0,1.01 0,0",  # a bow tie whose centroid falls far outside it
        "10,10 10,10 10,10",  # one point three times
        "10,10 11,11 12,12 10,10",  # a line
    ],
)
def test_a_degenerate_polygon_still_opens_at_a_point_inside_its_box(demo, polygon):
    result = _take(demo, _msg("A-1", area=f"<area><areaDesc>某地</areaDesc><polygon>{polygon}</polygon></area>"))
    assert result.opened
    lats = [Decimal(pair.split(",")[0]) for pair in polygon.split()]
    lons = [Decimal(pair.split(",")[1]) for pair in polygon.split()]
    incident = _fresh(result.incident)
    assert min(lats) <= incident.latitude <= max(lats) and min(lons) <= incident.longitude <= max(lons)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_updates_of_one_missed_original_arriving_at_once_open_one_incident(demo, attempt):
    import threading

    bodies = [_msg(f"U-{n}", "Update", references=MISSED, sent=f"2026-11-28T10:0{n}:00+08:00") for n in range(3)] + [
        _msg("KM119-MISSED-000", sent="2026-11-28T09:00:00+08:00")
    ]
    start = threading.Barrier(len(bodies))
    outcomes: list[str] = []

    def take(xml):
        try:
            start.wait(timeout=10)
            outcomes.append(str(_take(demo, xml).outcome))
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(xml,)) for xml in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 4
    assert Incident.objects.count() == 1
    assert sum(outcome in ("opened", "opened_from_update") for outcome in outcomes) == 1


def test_the_incident_page_says_in_chinese_why_a_watch_brought_in_nobody(demo, client):
    incident = _in(demo, "nws_flood_watch.xml").incident
    client.force_login(demo.dispatcher)
    page = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert (
        "CAP 警报“Flood Watch”是关注、提示或预报（eventCode SAME FLA），不是正在发生的事件：没有调派任何单位。" in page
    )
