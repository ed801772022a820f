"""CAP 1.2 (OASIS Common Alerting Protocol) read into dataclasses and written back as XML.

Plain code that knows nothing of incidents: what a message *means* for Linkage is decided in
`incidents/cap.py`. Reading is safe (defusedxml: no DTD, no entities, no external references) and
bounded (`MAX_BYTES`); anything that is not a usable CAP 1.2 alert raises `CapError` with a message
a sender can act on. Element names follow the standard; Python names are their snake_case.

Shapes: times are timezone-aware `datetime`s; coordinates are `Decimal` degrees (WGS 84, latitude
first, as CAP writes them); circle radii are kilometres; value pairs (`eventCode`, `parameter`,
`geocode`) are `(valueName, value)` tuples in document order.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

NS = "urn:oasis:names:tc:emergency:cap:1.2"
MAX_BYTES = 1024 * 1024  # docs/api.md promises 1 MiB; real national alerts run to 900 KB

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
# The <info> enumerations of CAP 1.2 (section 3.2.2); a value outside them is refused, never guessed.
CATEGORIES = (
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
)
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
# Encodings expat reads itself; a message declaring any other (GB2312, GBK, GB18030, Big5, Shift_JIS…)
# is decoded with Python's codec and read as UTF-8.
_EXPAT_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"}
# GB2312 and GBK senders often send characters only their superset has: read all three as GB18030.
_SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030"}
_DECLARATION = re.compile(rb"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*)(["'])([A-Za-z][A-Za-z0-9._-]*)\2""")

# Characters XML 1.0 cannot carry: dropped from what we write.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# identifier and sender "MUST NOT include spaces, commas or restricted characters (< and &)".
_NO_SPACES = re.compile(r"^[^\s,<&]+$")
_Q = Decimal("0.000001")


class CapError(ValueError):
    """The bytes are not a CAP 1.2 alert we can read; the message says what is wrong."""


class CapTooLarge(CapError):
    """The message is over MAX_BYTES."""


@dataclass(frozen=True)
class Reference:
    """One entry of `<references>`: `sender,identifier,sent` (sent None when unreadable)."""

    sender: str
    identifier: str
    sent: datetime | None = None

    def __str__(self) -> str:
        return f"{self.sender},{self.identifier},{format_time(self.sent) if self.sent else ''}".rstrip(",")


@dataclass(frozen=True)
class Circle:
    latitude: Decimal
    longitude: Decimal
    radius_km: Decimal


@dataclass
class Area:
    description: str
    polygons: list[list[tuple[Decimal, Decimal]]] = field(default_factory=list)  # (lat, lon) rings
    circles: list[Circle] = field(default_factory=list)
    geocodes: list[tuple[str, str]] = field(default_factory=list)
    altitude: str = ""
    ceiling: str = ""


@dataclass
class Info:
    categories: list[str]
    event: str
    urgency: str
    severity: str
    certainty: str
    language: str = "en-US"  # the standard's default when <language> is absent
    response_types: list[str] = field(default_factory=list)
    audience: str = ""
    event_codes: list[tuple[str, str]] = field(default_factory=list)
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    web: str = ""
    contact: str = ""
    parameters: list[tuple[str, str]] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and self.expires <= now

    def parameter(self, name: str) -> str:
        """The first value of the parameter `name`, or ""."""
        return next((value for key, value in self.parameters if key == name), "")


@dataclass
class Alert:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str = ""
    source: str = ""
    restriction: str = ""
    addresses: str = ""
    codes: list[str] = field(default_factory=list)
    note: str = ""
    references: list[Reference] = field(default_factory=list)
    incidents: str = ""
    infos: list[Info] = field(default_factory=list)

    def expired(self, now: datetime) -> bool:
        """Every <info> has an <expires> in the past (an alert with no info never expires)."""
        return bool(self.infos) and all(info.expired(now) for info in self.infos)


# --- Reading ----------------------------------------------------------------------------------


def parse_time(text: str, *, element: str) -> datetime:
    """A CAP dateTime (`2026-11-28T10:00:00+08:00`; `Z` tolerated) → aware datetime; CapError if not."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise CapError(f"<{element}> is not a date and time: {text[:40]!r}.") from exc
    if value.tzinfo is None:
        raise CapError(f"<{element}> needs a time zone offset: {text[:40]!r}.")
    return value


def _children(parent: Element, name: str) -> list[Element]:
    return parent.findall(f"{{{NS}}}{name}")


def _text(parent: Element, name: str) -> str:
    node = parent.find(f"{{{NS}}}{name}")
    return (node.text or "").strip() if node is not None else ""


def _texts(parent: Element, name: str) -> list[str]:
    return [(node.text or "").strip() for node in _children(parent, name) if (node.text or "").strip()]


def _required(parent: Element, name: str) -> str:
    value = _text(parent, name)
    if not value:
        raise CapError(f"<{name}> is required.")
    return value


def _one_of(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise CapError(f"<{name}> must be one of {', '.join(allowed)}, not {value[:40]!r}.")
    return value


def _enumerated(parent: Element, name: str, allowed: tuple[str, ...]) -> str:
    """The required element `name`, one of `allowed`; CapError naming it otherwise."""
    return _one_of(_required(parent, name), allowed, name)


def _time_or_none(parent: Element, name: str) -> datetime | None:
    text = _text(parent, name)
    return parse_time(text, element=name) if text else None


def _pairs(parent: Element, name: str) -> list[tuple[str, str]]:
    return [(_text(node, "valueName"), _text(node, "value")) for node in _children(parent, name)]


# ASCII decimal syntax only, as linkage/numbers.py's NUMBER_SYNTAX (a layer this package may not
# import): Decimal() also reads full-width and Arabic-Indic digits and underscores ("1_02"). The words
# NaN and Infinity are left to the finiteness check below, which names them "outside the globe".
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:nan|inf|infinity)", re.I)


def _coordinate(pair: str, element: str) -> tuple[Decimal, Decimal]:
    try:
        lat_text, lon_text = pair.split(",")
        if not (_NUMBER.fullmatch(lat_text) and _NUMBER.fullmatch(lon_text)):
            raise ValueError
        lat, lon = Decimal(lat_text), Decimal(lon_text)
    except (ValueError, InvalidOperation) as exc:
        raise CapError(f"<{element}> holds {pair[:40]!r}, not 'latitude,longitude'.") from exc
    if not (lat.is_finite() and lon.is_finite() and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise CapError(f"<{element}> holds {pair[:40]!r}, outside the globe.")
    return lat, lon


def _polygon(text: str) -> list[tuple[Decimal, Decimal]]:
    points = [_coordinate(pair, "polygon") for pair in text.split()]
    if len(points) < 3:
        raise CapError("<polygon> needs at least three points.")
    return points


def _circle(text: str) -> Circle:
    parts = text.split()
    if len(parts) != 2:
        raise CapError(f"<circle> must read 'latitude,longitude radius', not {text[:40]!r}.")
    lat, lon = _coordinate(parts[0], "circle")
    try:
        if not _NUMBER.fullmatch(parts[1]):
            raise InvalidOperation
        radius = Decimal(parts[1])
    except InvalidOperation as exc:
        raise CapError(f"<circle> radius {parts[1][:20]!r} is not a number.") from exc
    if not radius.is_finite() or radius < 0:
        raise CapError("<circle> radius must be a number of kilometres, not negative.")
    return Circle(lat, lon, radius)


def _references(text: str) -> list[Reference]:
    references = []
    for entry in text.split():
        parts = entry.split(",")
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise CapError(f"<references> entry {entry[:60]!r} is not 'sender,identifier,sent'.")
        try:
            sent = parse_time(parts[2], element="references") if len(parts) > 2 else None
        except CapError:
            sent = None  # the pair still names the message; only the time is unusable
        references.append(Reference(parts[0], parts[1], sent))
    return references


def _area(node: Element) -> Area:
    return Area(
        description=_text(node, "areaDesc"),
        polygons=[_polygon(text) for text in _texts(node, "polygon")],
        circles=[_circle(text) for text in _texts(node, "circle")],
        geocodes=_pairs(node, "geocode"),
        altitude=_text(node, "altitude"),
        ceiling=_text(node, "ceiling"),
    )


def _categories(node: Element) -> list[str]:
    values = [(child.text or "").strip() for child in _children(node, "category")]
    if not values:
        raise CapError("<category> is required.")
    return [_one_of(value, CATEGORIES, "category") for value in values]


def _info(node: Element) -> Info:
    return Info(
        language=_text(node, "language") or "en-US",
        categories=_categories(node),
        event=_required(node, "event"),
        response_types=_texts(node, "responseType"),
        urgency=_enumerated(node, "urgency", URGENCIES),
        severity=_enumerated(node, "severity", SEVERITIES),
        certainty=_enumerated(node, "certainty", CERTAINTIES),
        audience=_text(node, "audience"),
        event_codes=_pairs(node, "eventCode"),
        effective=_time_or_none(node, "effective"),
        onset=_time_or_none(node, "onset"),
        expires=_time_or_none(node, "expires"),
        sender_name=_text(node, "senderName"),
        headline=_text(node, "headline"),
        description=_text(node, "description"),
        instruction=_text(node, "instruction"),
        web=_text(node, "web"),
        contact=_text(node, "contact"),
        parameters=_pairs(node, "parameter"),
        areas=[_area(area) for area in _children(node, "area")],
    )


def _as_utf8(data: bytes) -> bytes:
    """`data` as expat can read it: a declared encoding expat lacks is decoded and written as UTF-8."""
    match = _DECLARATION.match(data[:200])
    if match is None:
        return data
    declared = match.group(3).decode("ascii")
    if declared.lower() in _EXPAT_ENCODINGS:
        return data
    try:
        text = data.decode(_SUPERSET.get(declared.lower(), declared))
    except LookupError as exc:
        raise CapError(f"Unknown encoding {declared!r}: send UTF-8 (or GB18030, GBK, Big5…).") from exc
    except UnicodeDecodeError as exc:
        raise CapError(f"The message is not valid {declared} (byte {exc.start}).") from exc
    return (text[: match.start(3)] + "UTF-8" + text[match.end(3) :]).encode("utf-8")


def read_alert(data: bytes) -> Alert:
    """Read one CAP 1.2 `<alert>` from XML bytes.

    UTF-8, UTF-16, ISO-8859-1 and ASCII are read as they are; any other encoding the XML declaration
    names and Python knows (GB2312, GBK, GB18030, Big5…) is decoded first. Raises CapTooLarge over
    MAX_BYTES, CapError for anything else unusable: an unknown encoding or bytes not in the declared
    one, not well-formed, a DTD or entity, not a CAP 1.2 alert, a required element missing, a value
    outside the standard's enumerations (status, msgType, scope, category, urgency, severity,
    certainty), an unreadable time or coordinate. `<resource>` blocks are skipped.
    """
    if len(data) > MAX_BYTES:
        raise CapTooLarge(f"The message is {len(data)} bytes; at most {MAX_BYTES} are taken.")
    data = _as_utf8(data)
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise CapError(f"DTDs and entities are refused ({exc.__class__.__name__}).") from exc
    except (ParseError, ValueError, LookupError) as exc:
        raise CapError(f"Not well-formed XML ({exc.__class__.__name__}).") from exc
    if root.tag != f"{{{NS}}}alert":
        raise CapError(f"Expected a CAP 1.2 <alert> in {NS}.")
    identifier, sender = _required(root, "identifier"), _required(root, "sender")
    for name, value in (("identifier", identifier), ("sender", sender)):
        if not _NO_SPACES.match(value):
            raise CapError(f"<{name}> must not contain spaces or commas.")
    scope = _text(root, "scope")
    return Alert(
        identifier=identifier,
        sender=sender,
        sent=parse_time(_required(root, "sent"), element="sent"),
        status=_one_of(_required(root, "status"), STATUSES, "status"),
        msg_type=_one_of(_required(root, "msgType"), MSG_TYPES, "msgType"),
        scope=_one_of(scope, SCOPES, "scope") if scope else "",
        source=_text(root, "source"),
        restriction=_text(root, "restriction"),
        addresses=_text(root, "addresses"),
        codes=_texts(root, "code"),
        note=_text(root, "note"),
        references=_references(_text(root, "references")),
        incidents=_text(root, "incidents"),
        infos=[_info(node) for node in _children(root, "info")],
    )


# --- Choosing and locating ----------------------------------------------------------------------

# Language tags that name the same written language (RFC 3066 style, lower case).
_SAME_LANGUAGE = [
    {"zh", "zh-cn", "zh-hans", "zh-hans-cn", "zh-sg", "zh-hans-sg"},
    {"zh-tw", "zh-hant", "zh-hant-tw", "zh-hk", "zh-hant-hk", "zh-mo"},
]


def _written_language(tag: str) -> str:
    tag = tag.strip().lower().replace("_", "-")
    return next((sorted(group)[0] for group in _SAME_LANGUAGE if tag in group), tag)


def language_match(cap_language: str, wanted: str) -> int:
    """2: the same written language (zh-CN for zh-hans); 1: the same primary language; 0: neither."""
    a, b = _written_language(cap_language), _written_language(wanted)
    if a == b:
        return 2
    return 1 if a.split("-")[0] == b.split("-")[0] else 0


def preferred_info(infos: list[Info], language: str) -> Info | None:
    """The first `<info>` in `language` (e.g. zh-hans takes zh-CN), else in its primary language, else the first."""
    if not infos:
        return None
    best = max(language_match(info.language, language) for info in infos)
    return next(info for info in infos if language_match(info.language, language) == best)


def _degrees(lat: float, lon: float, box: tuple[float, float, float, float]) -> tuple[Decimal, Decimal]:
    """(lat, lon) held inside `box` (min lon, min lat, max lon, max lat), as Decimals of 6 places."""
    min_x, min_y, max_x, max_y = box
    lat, lon = min(max(lat, min_y), max_y), min(max(lon, min_x), max_x)
    return Decimal(lat).quantize(_Q), Decimal(lon).quantize(_Q)


def polygon_centroid(points: list[tuple[Decimal, Decimal]]) -> tuple[Decimal, Decimal, float]:
    """(latitude, longitude, area in square degrees) of a ring, the point always inside the ring's
    bounding box and rounded to 6 decimal places (the incident's precision).

    Planar in degrees, which is close enough for a warning area's point on a map. A ring whose
    signed area is about nothing (a line, a self-crossing bow tie whose halves cancel) or whose
    centroid falls outside its bounding box (another self-crossing ring) gives the mean of its
    vertices and area 0.
    """
    ring = [(float(lon), float(lat)) for lat, lon in points]
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    vertices = ring[:-1]
    box = (
        min(x for x, _ in vertices),
        min(y for _, y in vertices),
        max(x for x, _ in vertices),
        max(y for _, y in vertices),
    )
    twice_area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in pairwise(ring):
        cross = x0 * y1 - x1 * y0
        twice_area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    box_area = (box[2] - box[0]) * (box[3] - box[1])
    if abs(twice_area) / 2 > max(box_area * 1e-6, 1e-12):
        lon, lat = cx / (3 * twice_area), cy / (3 * twice_area)
        if box[0] <= lon <= box[2] and box[1] <= lat <= box[3]:
            return (*_degrees(lat, lon, box), abs(twice_area) / 2)
    lon = sum(x for x, _ in vertices) / len(vertices)
    lat = sum(y for _, y in vertices) / len(vertices)
    return (*_degrees(lat, lon, box), 0.0)


def area_point(areas: list[Area]) -> tuple[Decimal, Decimal] | None:
    """One point for a list of areas: the first circle's centre, else the area-weighted centroid of
    the first area's polygons that has any; None when no area has a shape."""
    for area in areas:
        if area.circles:
            circle = area.circles[0]
            return circle.latitude.quantize(_Q), circle.longitude.quantize(_Q)
        if area.polygons:
            centroids = [polygon_centroid(polygon) for polygon in area.polygons]
            total = sum(weight for _, _, weight in centroids)
            if total == 0:
                return centroids[0][0], centroids[0][1]
            lat = sum(float(lat) * weight for lat, _, weight in centroids) / total
            lon = sum(float(lon) * weight for _, lon, weight in centroids) / total
            return Decimal(lat).quantize(_Q), Decimal(lon).quantize(_Q)
    return None


# --- Writing ------------------------------------------------------------------------------------


def format_time(value: datetime) -> str:
    """CAP's dateTime: seconds, a numeric offset, UTC written -00:00 as the standard asks."""
    text = value.replace(microsecond=0).isoformat()
    if value.utcoffset() == timedelta(0):
        text = text[: -len("+00:00")] + "-00:00"
    return text


def _add(parent: Element, name: str, value) -> None:
    if value in (None, ""):
        return
    if isinstance(value, datetime):
        value = format_time(value)
    SubElement(parent, name).text = _XML_ILLEGAL.sub("", str(value))


def _add_pairs(parent: Element, name: str, pairs: list[tuple[str, str]]) -> None:
    for key, value in pairs:
        node = SubElement(parent, name)
        _add(node, "valueName", key)
        SubElement(node, "value").text = _XML_ILLEGAL.sub("", value)


def _point(lat: Decimal, lon: Decimal) -> str:
    return f"{lat},{lon}"


def write_alert(alert: Alert) -> bytes:
    """The alert as CAP 1.2 XML (UTF-8, elements in the schema's order)."""
    root = Element("alert", xmlns=NS)
    for name, value in (
        ("identifier", alert.identifier),
        ("sender", alert.sender),
        ("sent", alert.sent),
        ("status", alert.status),
        ("msgType", alert.msg_type),
        ("source", alert.source),
        ("scope", alert.scope),
        ("restriction", alert.restriction),
        ("addresses", alert.addresses),
    ):
        _add(root, name, value)
    for code in alert.codes:
        _add(root, "code", code)
    _add(root, "note", alert.note)
    _add(root, "references", " ".join(str(reference) for reference in alert.references))
    _add(root, "incidents", alert.incidents)
    for info in alert.infos:
        node = SubElement(root, "info")
        _add(node, "language", info.language)
        for category in info.categories:
            _add(node, "category", category)
        _add(node, "event", info.event)
        for response_type in info.response_types:
            _add(node, "responseType", response_type)
        for name in ("urgency", "severity", "certainty", "audience"):
            _add(node, name, getattr(info, name))
        _add_pairs(node, "eventCode", info.event_codes)
        for name, attribute in (
            ("effective", "effective"),
            ("onset", "onset"),
            ("expires", "expires"),
            ("senderName", "sender_name"),
            ("headline", "headline"),
            ("description", "description"),
            ("instruction", "instruction"),
            ("web", "web"),
            ("contact", "contact"),
        ):
            _add(node, name, getattr(info, attribute))
        _add_pairs(node, "parameter", info.parameters)
        for area in info.areas:
            area_node = SubElement(node, "area")
            SubElement(area_node, "areaDesc").text = _XML_ILLEGAL.sub("", area.description)
            for polygon in area.polygons:
                _add(area_node, "polygon", " ".join(_point(lat, lon) for lat, lon in polygon))
            for circle in area.circles:
                _add(area_node, "circle", f"{_point(circle.latitude, circle.longitude)} {circle.radius_km}")
            _add_pairs(area_node, "geocode", area.geocodes)
            _add(area_node, "altitude", area.altitude)
            _add(area_node, "ceiling", area.ceiling)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8", xml_declaration=False)
