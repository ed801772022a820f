"""interop.cap: CAP 1.2 read into dataclasses and written back, with no Django and no database."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from interop.cap import (
    MAX_BYTES,
    Alert,
    CapError,
    CapTooLarge,
    Reference,
    area_point,
    format_time,
    polygon_centroid,
    preferred_info,
    read_alert,
    write_alert,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "cap"
ALL = sorted(FIXTURES.glob("*.xml"))


def _read(name: str) -> Alert:
    return read_alert((FIXTURES / name).read_bytes())


def test_every_fixture_reads_and_round_trips_through_the_writer():
    assert len(ALL) >= 25
    for path in ALL:
        alert = read_alert(path.read_bytes())
        again = read_alert(write_alert(alert))
        # Resources are skipped on reading, so they are the only thing a round trip may lose.
        assert again == alert, path.name


def test_the_thunderstorm_example_reads_field_by_field():
    alert = _read("appendix_a2_thunderstorm.xml")
    assert (alert.identifier, alert.sender, alert.status, alert.msg_type, alert.scope) == (
        "KSTO1055887203",
        "KSTO@NWS.NOAA.GOV",
        "Actual",
        "Alert",
        "Public",
    )
    assert alert.sent == datetime(2003, 6, 17, 14, 57, tzinfo=timezone(timedelta(hours=-7)))
    (info,) = alert.infos
    assert info.language == "en-US"  # the standard's default when absent
    assert (info.categories, info.event, info.urgency, info.severity, info.certainty) == (
        ["Met"],
        "SEVERE THUNDERSTORM",
        "Immediate",
        "Severe",
        "Observed",
    )
    assert info.event_codes == [("SAME", "SVR")]
    assert info.expires == datetime(2003, 6, 17, 16, 0, tzinfo=timezone(timedelta(hours=-7)))
    assert info.instruction.startswith("TAKE COVER")
    (area,) = info.areas
    assert area.polygons[0][0] == (Decimal("38.47"), Decimal("-120.14"))
    assert [value for _, value in area.geocodes] == ["006109", "006009", "006003"]
    assert alert.expired(datetime(2026, 1, 1, tzinfo=UTC))
    assert not alert.expired(datetime(2003, 6, 17, 15, 0, tzinfo=timezone(timedelta(hours=-7))))


def test_references_are_parsed_into_triples():
    alert = _read("km_cancel_multiple_references.xml")
    assert [(r.sender, r.identifier) for r in alert.references] == [
        ("119@kunming.example", "KM119-20261127-007"),
        ("119@kunming.example", "KM119-20261127-008"),
        ("119@kunming.example", "KM119-20261128-001"),
    ]
    assert alert.references[2].sent == datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    earthquake = _read("appendix_a3_earthquake.xml")
    assert earthquake.references == [
        Reference("trinet@caltech.edu", "TRI13970876.1", datetime(2003, 6, 12, 3, 30, tzinfo=UTC))
    ]
    assert earthquake.infos[0].parameter("Magnitude") == "3.4 Ml"


def test_the_site_language_is_preferred_else_the_first():
    alert = _read("met_rainstorm_red_en_zh.xml")
    assert [info.language for info in alert.infos] == ["en-US", "zh-CN"]
    assert preferred_info(alert.infos, "zh-hans").event == "暴雨"
    assert preferred_info(alert.infos, "zh").event == "暴雨"
    assert preferred_info(alert.infos, "en").event == "Rainstorm"
    assert preferred_info(alert.infos, "fr").event == "Rainstorm"  # none in French: the first
    assert preferred_info([], "zh-hans") is None


def test_a_polygon_gives_its_centroid_and_a_circle_its_centre():
    square = [(Decimal(0), Decimal(0)), (Decimal(0), Decimal(2)), (Decimal(2), Decimal(2)), (Decimal(2), Decimal(0))]
    assert polygon_centroid(square)[:2] == (Decimal("1.000000"), Decimal("1.000000"))
    rain = _read("met_rainstorm_red_en_zh.xml").infos[1]
    assert area_point(rain.areas) == (Decimal("25.060000"), Decimal("102.710000"))
    quake = _read("appendix_a3_earthquake.xml").infos[0]
    assert area_point(quake.areas) == (Decimal("32.952500"), Decimal("-115.552700"))
    # Several polygons in one area: weighted by size, so the big zone pulls hardest.
    tsunami = _read("tsunami_warning_polygons.xml").infos[0]
    lat, lon = area_point(tsunami.areas)
    assert Decimal(54) < lat < Decimal(59) and Decimal(-164) < lon < Decimal(-151)
    assert area_point(_read("appendix_a4_amber.xml").infos[0].areas) is None  # geocodes only


def test_a_large_real_sized_alert_reads_and_one_over_the_limit_does_not():
    data = (FIXTURES / "large_coastline_polygon.xml").read_bytes()
    assert 459 * 1024 < len(data) < MAX_BYTES == 1024 * 1024
    alert = read_alert(data)
    assert len(alert.infos[0].areas[0].polygons[0]) > 40_000
    lat, lon = area_point(alert.infos[0].areas)
    assert abs(lat - Decimal("24.88")) < Decimal("0.01") and abs(lon - Decimal("102.83")) < Decimal("0.01")
    with pytest.raises(CapTooLarge):
        read_alert(data.replace(b"</description>", b"x" * MAX_BYTES + b"</description>"))


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"<not-xml", "well-formed"),
        (b'<?xml version="1.0" encoding="bogus"?><a/>', "Unknown encoding 'bogus'"),
        (b'<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>', "DTD"),
        (b'<!DOCTYPE alert SYSTEM "http://example.com/x.dtd"><alert/>', "DTD"),
        (b"<alert/>", "CAP 1.2"),
        (b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1"/>', "CAP 1.2"),
        (b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><sender>a</sender></alert>', "<identifier>"),
    ],
)
def test_unusable_input_raises_caperror_saying_why(body, says):
    with pytest.raises(CapError, match=says):
        read_alert(body)


def _km(**replace) -> bytes:
    data = (FIXTURES / "km_chemical_alert.xml").read_text(encoding="utf-8")
    for old, new in replace.items():
        data = data.replace(old, new)
    return data.encode()


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("<status>Actual</status>", "<status>Real</status>", "<status>"),
        ("<msgType>Alert</msgType>", "<msgType>Notice</msgType>", "<msgType>"),
        ("<sent>2026-11-28T10:00:00+08:00</sent>", "<sent>yesterday</sent>", "<sent>"),
        ("<sent>2026-11-28T10:00:00+08:00</sent>", "<sent>2026-11-28T10:00:00</sent>", "time zone"),
        ("<circle>24.919,102.478 2</circle>", "<circle>94.9,102.4 2</circle>", "outside the globe"),
        ("<circle>24.919,102.478 2</circle>", "<circle>1e999999999,1 2</circle>", "outside the globe"),
        ("<circle>24.919,102.478 2</circle>", "<circle>NaN,1 2</circle>", "outside the globe"),
        ("<circle>24.919,102.478 2</circle>", "<polygon>1,1 2,2</polygon>", "three points"),
        ("<identifier>KM119-20261128-001</identifier>", "<identifier>a b</identifier>", "spaces"),
        ("<severity>Severe</severity>", "<severity>Catastrophic</severity>", "<severity> must be one of"),
        ("<severity>Severe</severity>", "<severity></severity>", "<severity> is required"),
        ("<severity>Severe</severity>", "", "<severity> is required"),
        ("<urgency>Immediate</urgency>", "<urgency>ASAP</urgency>", "<urgency> must be one of"),
        ("<certainty>Observed</certainty>", "<certainty>Sure</certainty>", "<certainty> must be one of"),
        ("<category>CBRNE</category>", "<category>Zombies</category>", "<category> must be one of"),
        ("<category>CBRNE</category>", "<category>CBRNE</category><category>cbrne</category>", "<category>"),
        ("<category>CBRNE</category>", "", "<category> is required"),
        ("<event>危化品泄漏</event>", "", "<event> is required"),
        ("<scope>Restricted</scope>", "<scope>Everyone</scope>", "<scope> must be one of"),
    ],
)
def test_bad_values_raise_caperror(old, new, says):
    with pytest.raises(CapError, match=says):
        read_alert(_km(**{old: new}))


def test_written_times_follow_the_standard():
    assert format_time(datetime(2026, 11, 28, 2, 0, 0, 123, tzinfo=UTC)) == "2026-11-28T02:00:00-00:00"
    east8 = timezone(timedelta(hours=8))
    assert format_time(datetime(2026, 11, 28, 10, 0, tzinfo=east8)) == "2026-11-28T10:00:00+08:00"
    written = write_alert(_read("km_chemical_alert.xml"))
    assert b"<sent>2026-11-28T10:00:00+08:00</sent>" in written
    assert written.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_the_module_knows_nothing_of_django():
    source = (Path(__file__).parent.parent.parent / "interop" / "cap.py").read_text()
    for layer in ("django", "incidents", "agencies", "notifications", "linkage"):
        assert f"import {layer}" not in source and f"from {layer}" not in source


@pytest.mark.parametrize(
    "polygon",
    [
        "0,0 1,1 1,0 0,1.00001 0,0",  # self-crossing; its halves cancel, its centroid runs off to 1e5
        "0,0 1,1 1,0 0,1.01 0,0",  # self-crossing; the formula's centroid is at latitude -33
        "5,5 5,5 5,5",
        "0,0 2,2 4,4 0,0",
        "-89.9,179.9 -89.9,-179.9 -89.99,0 -89.9,179.9",
    ],
)
def test_a_degenerate_polygon_gives_a_point_inside_its_box_at_six_places(polygon):
    ring = [(Decimal(a), Decimal(b)) for a, b in (pair.split(",") for pair in polygon.split())]
    lat, lon, _area = polygon_centroid(ring)
    assert min(a for a, _ in ring) <= lat <= max(a for a, _ in ring)
    assert min(b for _, b in ring) <= lon <= max(b for _, b in ring)
    assert lat == lat.quantize(Decimal("0.000001")) and lon == lon.quantize(Decimal("0.000001"))
    assert len(lat.as_tuple().digits) <= 9 and len(lon.as_tuple().digits) <= 9


def test_a_proper_polygon_still_gives_its_centroid():
    square = [(Decimal(0), Decimal(0)), (Decimal(0), Decimal(2)), (Decimal(2), Decimal(2)), (Decimal(2), Decimal(0))]
    assert polygon_centroid(square) == (Decimal("1.000000"), Decimal("1.000000"), 4.0)


def test_gb2312_gbk_and_gb18030_are_read_as_chinese():
    alert = read_alert((FIXTURES / "km_rainstorm_orange_gb2312.xml").read_bytes())
    assert alert.infos[0].headline == "昆明市气象台发布暴雨橙色预警信号"
    source = (FIXTURES / "km_rainstorm_orange_gb2312.xml").read_bytes().decode("gb2312")
    # GBK and GB18030 carry characters GB2312 lacks (镕); a "GB2312" sender often uses them anyway.
    for declared, codec in (("GBK", "gbk"), ("gb18030", "gb18030"), ("GB2312", "gb18030")):
        text = source.replace('encoding="GB2312"', f"encoding='{declared}'").replace(
            "官渡区</areaDesc>", "镕</areaDesc>"
        )
        assert read_alert(text.encode(codec)).infos[0].areas[0].description == "镕"


def test_bytes_not_in_the_declared_encoding_are_refused_saying_so():
    utf8 = (FIXTURES / "km_chemical_alert.xml").read_bytes().replace(b'encoding="UTF-8"', b'encoding="GB2312"')
    with pytest.raises(CapError, match="not valid GB2312"):
        read_alert(utf8 + b"\xff")
