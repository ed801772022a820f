"""CAP 1.2 in and out over the API: POST /api/v1/cap/ and GET /api/v1/incidents/{id}/cap/.

The rules themselves are tested one by one in tests/incidents/test_cap_semantics.py; here, what a
client sees: status codes, the outcome body, limits, and never a 500.
"""

from pathlib import Path

from defusedxml.ElementTree import fromstring

from incidents.models import CapMessage, Incident

NS = "{urn:oasis:names:tc:emergency:cap:1.2}"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "cap"


def _alert(
    identifier,
    msg_type="Alert",
    *,
    references="",
    severity="Severe",
    headline="化工厂爆炸",
    status="Actual",
    extra_info="",
):
    refs = f"<references>{references}</references>" if references else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>119@kunming</sender><sent>2026-11-28T10:00:00+08:00</sent>
  <status>{status}</status><msgType>{msg_type}</msgType><scope>Restricted</scope>{refs}
  <info><language>zh-CN</language><category>CBRNE</category><event>危化品</event><urgency>Immediate</urgency>
  <severity>{severity}</severity><certainty>Observed</certainty><headline>{headline}</headline>
  <description>厂区储罐起火并伴有泄漏</description>{extra_info}
  <area><areaDesc>安宁市工业园区</areaDesc><circle>24.919,102.478 2</circle></area></info>
</alert>""".encode()


def _post(client, body):
    return client.post("/api/v1/cap/", body, content_type="application/xml")


def test_alert_opens_update_amends_cancel_cancels_and_repeats_change_nothing(api, demo):
    dispatcher = api("dispatcher")
    response = _post(dispatcher, _alert("A-1"))
    assert response.status_code == 201
    assert response.json()["outcome"] == "opened"
    assert response.json()["message"]["identifier"] == "A-1"
    opened = response.json()["incident"]
    assert (opened["kind"], opened["severity"], opened["title"]) == ("hazmat", 2, "化工厂爆炸")
    assert (opened["latitude"], opened["longitude"], opened["address"]) == ("24.919000", "102.478000", "安宁市工业园区")
    assert len(opened["assignments"]) == 5

    again = _post(dispatcher, _alert("A-1"))
    assert again.status_code == 200
    assert (again.json()["outcome"], again.json()["incident"]["id"]) == ("duplicate", opened["id"])
    assert Incident.objects.count() == 1

    update = _post(
        dispatcher,
        _alert(
            "A-2",
            "Update",
            references="119@kunming,A-1,2026-11-28T10:00:00+08:00",
            severity="Extreme",
            headline="化工厂爆炸（扩大）",
        ),
    )
    assert update.status_code == 200
    assert update.json()["outcome"] == "updated"
    assert (update.json()["incident"]["severity"], update.json()["incident"]["title"]) == (1, "化工厂爆炸（扩大）")

    cancel = _post(dispatcher, _alert("A-3", "Cancel", references="119@kunming,A-1,2026-11-28T10:00:00+08:00"))
    assert cancel.status_code == 200
    assert (cancel.json()["outcome"], cancel.json()["incident"]["status"]) == ("cancelled", "cancelled")
    assert _post(dispatcher, _alert("A-3", "Cancel", references="119@kunming,A-1,x")).json()["outcome"] == "duplicate"


def test_messages_that_change_nothing_are_200_with_their_outcome(api, demo):
    dispatcher = api("dispatcher")
    for name, outcome in (
        ("expired_alert_2019.xml", "expired"),
        ("fema_required_monthly_test.xml", "not_actual"),
        ("km_cancel_original_missing.xml", "unknown_original"),
    ):
        response = _post(dispatcher, (FIXTURES / name).read_bytes())
        assert response.status_code == 200, name
        body = response.json()
        assert (body["outcome"], body["incident"]) == (outcome, None), name
        assert body["detail"]
    assert not Incident.objects.exists()
    assert CapMessage.objects.count() == 3


def test_an_update_whose_original_never_arrived_opens_201(api, demo):
    body = (FIXTURES / "km_update_original_missing.xml").read_bytes()
    body = body.replace(b"<expires>2026-11-28T22:00:00+08:00</expires>", b"")  # read on the day
    response = _post(api("dispatcher"), body)
    assert response.status_code == 201
    assert response.json()["outcome"] == "opened_from_update"
    assert response.json()["incident"]["kind"] == "building_fire"


def test_real_sized_alerts_up_to_1_mib_are_taken_and_larger_ones_are_413(api, demo):
    dispatcher = api("dispatcher")
    big = (FIXTURES / "large_coastline_polygon.xml").read_bytes()
    assert len(big) > 459 * 1024
    response = _post(dispatcher, big)
    assert response.status_code == 201, response.content[:300]
    assert response.json()["incident"]["kind"] == "flood"
    # 881 KB of description, as the largest real alert we were sent.
    body = _alert("BIG-881").replace(b"<description>", b"<description>" + b"x" * (881 * 1024))
    assert 881 * 1024 < len(body) < 1024 * 1024
    assert _post(dispatcher, body).status_code == 201
    over = _alert("BIG-2").replace(b"<description>", b"<description>" + b"x" * (1024 * 1024))
    assert _post(dispatcher, over).status_code == 413
    assert not CapMessage.objects.filter(identifier="BIG-2").exists()


def test_our_own_cap_goes_out_with_a_version_identifier(api, demo, fire_incident):
    xml = api("fire_liaison").get(f"/api/v1/incidents/{fire_incident.pk}/cap/")
    assert xml.status_code == 200
    assert xml["Content-Type"].startswith("application/xml")
    root = fromstring(xml.content)
    assert root.find(f"{NS}msgType").text == "Alert"
    assert root.find(f"{NS}identifier").text.startswith(f"linkage-{fire_incident.reference}-")
    assert root.find(f"{NS}info/{NS}category").text == "Fire"
    assert root.find(f"{NS}info/{NS}severity").text == "Minor"
    assert root.find(f"{NS}info/{NS}headline").text == "居民楼厨房起火"
    assert root.find(f"{NS}info/{NS}area/{NS}circle").text == "25.043000,102.710000 0"
    # Taken in elsewhere (here, as another sender), the kind survives through its parameter.
    copy = xml.content.replace(b"<sender>linkage@localhost</sender>", b"<sender>other@city</sender>")
    response = _post(api("dispatcher"), copy)
    assert response.status_code == 201
    assert response.json()["incident"]["kind"] == "building_fire"

    api("commander").post(f"/api/v1/incidents/{fire_incident.pk}/cancel/", {"reason": "误报"}, format="json")
    cancel = fromstring(api("fire_liaison").get(f"/api/v1/incidents/{fire_incident.pk}/cap/").content)
    assert cancel.find(f"{NS}msgType").text == "Cancel"
    assert cancel.find(f"{NS}identifier").text != root.find(f"{NS}identifier").text
    assert root.find(f"{NS}identifier").text in cancel.find(f"{NS}references").text


def test_bad_cap_is_400_and_writes_nothing(api, demo):
    dispatcher = api("dispatcher")
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>"""
    for body in (
        b"<not-xml",
        bomb,
        b"<alert/>",
        _alert("S-1", status="Real"),
        _alert("S-2").replace(b"2026-11-28T10:00:00+08:00", b"yesterday"),
        _alert("S-3").replace(b"24.919,102.478 2", b"1e999999999,102.478 2"),
        _alert("S-4", "Update", references="no-comma-here"),
        _alert("", "Alert"),
        _alert("S-5").replace(b"<info>", b"<nfo>").replace(b"</info>", b"</nfo>"),  # an Alert with no info
        "<alert>\udcff</alert>".encode("utf-8", "surrogatepass"),
    ):
        response = _post(dispatcher, body)
        assert response.status_code == 400, body[:80]
        assert "cap" in response.json()
    assert Incident.objects.count() == 0
    assert CapMessage.objects.count() == 0
    assert _post(dispatcher, b"").status_code == 400
    assert dispatcher.post("/api/v1/cap/", {"a": 1}, format="json").status_code == 415


GARBAGE = [
    "",
    " ",
    "NaN",
    "1e999999999",
    "-1e-999999999",
    "9" * 300,
    "Extreme Extreme",
    "2026-13-45T99:99:99+08:00",
    "0,0",
    "90,180 90,-180 -90,-180 90,180",
    "a,b,c d,e,f",
    ",,,",
    "&amp;&lt;",
    "\u3164",
    "\u200b\u202e",
    "x" * 5000,
]


def test_mutated_real_messages_never_give_a_500(api, demo, settings):
    """Every fixture with one text replaced by garbage, or cut short: a 200/201 or a 400, never a 500."""
    import random
    import re

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "writes": "100000/min"},
    }
    rng = random.Random(20261128)  # noqa: S311  (a fixed, repeatable choice of mutations)
    dispatcher = api("dispatcher")
    texts = re.compile(rb">([^<]+)<")
    for path in sorted(FIXTURES.glob("*.xml")):
        if path.stat().st_size > 100_000:
            continue
        original = path.read_bytes()
        spans = [match.span(1) for match in texts.finditer(original)]
        for attempt in range(8):
            start, end = rng.choice(spans)
            garbage = rng.choice(GARBAGE).encode()
            body = original[:start] + garbage + original[end:]
            if attempt == 7:
                body = original[: rng.randrange(len(original))]
            response = _post(dispatcher, body)
            assert response.status_code in (200, 201, 400), (path.name, body[start - 40 : start + 60])


def test_cap_with_unknown_encoding_is_400(api, demo):
    assert _post(api("dispatcher"), b'<?xml version="1.0" encoding="bogus"?><a/>').status_code == 400


def test_cap_too_large_is_413(api, demo):
    body = _alert("BIG-1").replace(b"<description>", b"<description>" + b"x" * (1024 * 1024))
    assert _post(api("dispatcher"), body).status_code == 413


def test_cap_update_without_severity_keeps_the_level(api, demo):
    dispatcher = api("dispatcher")
    opened = _post(dispatcher, _alert("S-1", severity="Extreme")).json()["incident"]
    assert opened["severity"] == 1
    # <severity> is required (CAP 1.2): an update that does not know the level says Unknown.
    update = _alert("S-2", "Update", references="119@kunming,S-1,x", headline="新标题", severity="Unknown")
    response = _post(dispatcher, update)
    assert response.status_code == 200
    assert (response.json()["incident"]["severity"], response.json()["incident"]["title"]) == (1, "新标题")
    missing = _alert("S-3", "Update", references="119@kunming,S-1,x").replace(b"<severity>Severe</severity>", b"")
    assert _post(dispatcher, missing).status_code == 400


def test_exported_cap_drops_characters_xml_cannot_carry(api, demo, fire_incident):
    api("commander").patch(f"/api/v1/incidents/{fire_incident.pk}/", {"title": "a\x01b"}, format="json")
    xml = api("commander").get(f"/api/v1/incidents/{fire_incident.pk}/cap/").content
    assert fromstring(xml) is not None


def test_values_outside_the_standards_enumerations_are_400_naming_the_element(api, demo):
    dispatcher = api("dispatcher")
    for body, element in (
        (_alert("E-1", severity="Catastrophic"), "<severity>"),
        (_alert("E-2", severity=""), "<severity>"),
        (_alert("E-3").replace(b"<urgency>Immediate</urgency>", b"<urgency>ASAP</urgency>"), "<urgency>"),
        (_alert("E-4").replace(b"<category>CBRNE</category>", b"<category>Zombies</category>"), "<category>"),
        (_alert("E-5").replace(b"<certainty>Observed</certainty>", b"<certainty>Sure</certainty>"), "<certainty>"),
        (_alert("E-6").replace(b"<scope>Restricted</scope>", b"<scope>All</scope>"), "<scope>"),
        (_alert("E-7", "Notice"), "<msgType>"),
        (_alert("E-8", status="Real"), "<status>"),
    ):
        response = _post(dispatcher, body)
        assert response.status_code == 400, element
        assert element in response.json()["cap"][0]
    assert not Incident.objects.exists() and not CapMessage.objects.exists()


def test_an_identifier_longer_than_stored_is_400_never_a_false_duplicate(api, demo):
    dispatcher = api("dispatcher")
    first = _post(dispatcher, _alert("x" * 300))
    second = _post(dispatcher, _alert("x" * 200 + "y" * 100))
    assert (first.status_code, second.status_code) == (400, 400)
    assert "<identifier>" in first.json()["cap"][0] and "200" in first.json()["cap"][0]
    assert not CapMessage.objects.exists()
    longest = _post(dispatcher, _alert("x" * 200))
    assert longest.status_code == 201
    assert _post(dispatcher, _alert("x" * 199 + "y")).status_code == 201
    assert Incident.objects.count() == 2


def test_a_gb2312_alert_is_taken_in(api, demo):
    body = (FIXTURES / "km_rainstorm_orange_gb2312.xml").read_bytes()
    body = body.replace(b"<expires>2026-11-28T21:40:00+08:00</expires>", b"")  # read on the day
    response = _post(api("dispatcher"), body)
    assert response.status_code == 201, response.content[:300]
    incident = response.json()["incident"]
    assert (incident["title"], incident["kind"], incident["address"]) == (
        "昆明市气象台发布暴雨橙色预警信号",
        "flood",
        "官渡区",
    )
    unknown = body.replace(b'encoding="GB2312"', b'encoding="x-klingon"')
    response = _post(api("dispatcher"), unknown)
    assert response.status_code == 400
    assert "encoding" in response.json()["cap"][0] and "UTF-8" in response.json()["cap"][0]


def test_a_liaison_is_told_in_chinese_that_only_dispatchers_take_in_alerts(api, demo):
    response = api("fire_liaison").post(
        "/api/v1/cap/", _alert("L-1"), content_type="application/xml", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 403
    assert "只有调度员和指挥员" in response.json()["detail"]
    assert not CapMessage.objects.exists()


def test_a_feed_joined_mid_stream_opens_one_incident_and_its_cancel_cancels_it(api, demo):
    dispatcher = api("dispatcher")
    missed = "119@kunming,KM-MISSED,2026-11-28T09:00:00+08:00"
    outcomes = [_post(dispatcher, _alert(f"U-{n}", "Update", references=missed)) for n in range(3)]
    assert [response.status_code for response in outcomes] == [201, 200, 200]
    assert [response.json()["outcome"] for response in outcomes] == ["opened_from_update", "updated", "updated"]
    assert Incident.objects.count() == 1
    cancel = _post(dispatcher, _alert("C-1", "Cancel", references=missed))
    assert (cancel.json()["outcome"], cancel.json()["incident"]["status"]) == ("cancelled", "cancelled")
