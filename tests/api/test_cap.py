"""CAP 1.2 in and out."""

from defusedxml.ElementTree import fromstring

from incidents.models import Incident

NS = "{urn:oasis:names:tc:emergency:cap:1.2}"


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
    opened = response.json()
    assert (opened["kind"], opened["severity"], opened["title"]) == ("hazmat", 2, "化工厂爆炸")
    assert (opened["latitude"], opened["longitude"], opened["address"]) == ("24.919000", "102.478000", "安宁市工业园区")
    assert len(opened["assignments"]) == 5

    again = _post(dispatcher, _alert("A-1"))
    assert again.status_code == 200
    assert again.json()["id"] == opened["id"]
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
    assert (update.json()["severity"], update.json()["title"]) == (1, "化工厂爆炸（扩大）")

    cancel = _post(dispatcher, _alert("A-3", "Cancel", references="119@kunming,A-1,2026-11-28T10:00:00+08:00"))
    assert cancel.status_code == 200
    assert cancel.json()["status"] == "cancelled"
    assert _post(dispatcher, _alert("A-3", "Cancel", references="119@kunming,A-1,x")).status_code == 200


def test_our_own_cap_round_trips(api, demo, fire_incident):
    xml = api("fire_liaison").get(f"/api/v1/incidents/{fire_incident.pk}/cap/")
    assert xml.status_code == 200
    assert xml["Content-Type"].startswith("application/xml")
    root = fromstring(xml.content)
    assert root.find(f"{NS}info/{NS}category").text == "Fire"
    assert root.find(f"{NS}info/{NS}severity").text == "Minor"
    assert root.find(f"{NS}info/{NS}headline").text == "居民楼厨房起火"
    assert root.find(f"{NS}info/{NS}area/{NS}circle").text == "25.043000,102.710000 0"
    # Taken in elsewhere (here, as another sender), the kind survives through its parameter.
    copy = xml.content.replace(b"<sender>linkage@localhost</sender>", b"<sender>other@city</sender>")
    response = _post(api("dispatcher"), copy)
    assert response.status_code == 201
    assert response.json()["kind"] == "building_fire"


def test_bad_cap_is_400_and_writes_nothing(api, demo):
    dispatcher = api("dispatcher")
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>"""
    for body in (
        b"<not-xml",
        bomb,
        b"<alert/>",
        _alert("T-1", status="Test"),
        _alert("U-1", "Update", references="nobody,nothing,x"),
        _alert("", "Alert"),
    ):
        response = _post(dispatcher, body)
        assert response.status_code == 400, body[:80]
        assert "cap" in response.json()
    assert Incident.objects.count() == 0
    assert dispatcher.post("/api/v1/cap/", {"a": 1}, format="json").status_code == 415
