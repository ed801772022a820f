"""CAP 1.2 (OASIS Common Alerting Protocol): an incident out as an alert, alerts in as incidents.

Alert opens an incident, Update amends the one it references, Cancel cancels it; the same message
(sender, identifier) twice changes nothing. XML is parsed with defusedxml: no entities, no DTDs.
"""

import re
from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from linkage.numbers import NumberError, coordinate

from .models import CAP_CATEGORY, CAP_SEVERITY, CapMessage, Incident, IncidentKind, IncidentStatus, Severity
from .services import incident_cancel, incident_open, incident_update

NS = "urn:oasis:names:tc:emergency:cap:1.2"
MAX_BYTES = 256 * 1024

# A category in, the kind it most likely is (our own alerts carry the exact kind as a parameter).
KIND_FOR_CATEGORY = {
    "Fire": IncidentKind.BUILDING_FIRE,
    "Transport": IncidentKind.TRAFFIC_ACCIDENT,
    "CBRNE": IncidentKind.HAZMAT,
    "Met": IncidentKind.FLOOD,
    "Geo": IncidentKind.EARTHQUAKE,
    "Rescue": IncidentKind.COLLAPSE,
    "Health": IncidentKind.MASS_CASUALTY,
    "Env": IncidentKind.POLLUTION,
}
SEVERITY_FOR_CAP = {cap: int(level) for level, cap in CAP_SEVERITY.items()}
# Characters XML 1.0 cannot carry: dropped from what we send.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class CapTooLarge(ValueError):
    """The alert is over MAX_BYTES (the API answers 413)."""


def _sender() -> str:
    return getattr(settings, "LINKAGE_CAP_SENDER", "linkage@localhost")


def incident_to_cap(incident: Incident) -> bytes:
    alert = Element("alert", xmlns=NS)
    SubElement(alert, "identifier").text = f"linkage-{incident.reference}"
    SubElement(alert, "sender").text = _sender()
    SubElement(alert, "sent").text = timezone.localtime(incident.updated_at).isoformat(timespec="seconds")
    SubElement(alert, "status").text = "Exercise" if incident.exercise else "Actual"
    SubElement(alert, "msgType").text = "Cancel" if incident.status == IncidentStatus.CANCELLED else "Alert"
    SubElement(alert, "scope").text = "Restricted"
    SubElement(alert, "restriction").text = "Emergency agencies working this incident"
    info = SubElement(alert, "info")
    SubElement(info, "language").text = "zh-CN"
    SubElement(info, "category").text = CAP_CATEGORY[IncidentKind(incident.kind)]
    SubElement(info, "event").text = str(IncidentKind(incident.kind).label)
    SubElement(info, "urgency").text = "Immediate" if incident.is_open else "Past"
    SubElement(info, "severity").text = CAP_SEVERITY[Severity(incident.severity)]
    SubElement(info, "certainty").text = "Observed"
    SubElement(info, "headline").text = incident.title
    if incident.description:
        SubElement(info, "description").text = incident.description
    for name, value in (
        ("linkage:kind", incident.kind),
        ("linkage:reference", incident.reference),
        ("linkage:status", incident.status),
    ):
        parameter = SubElement(info, "parameter")
        SubElement(parameter, "valueName").text = name
        SubElement(parameter, "value").text = value
    area = SubElement(info, "area")
    SubElement(area, "areaDesc").text = incident.address or incident.title
    if incident.latitude is not None and incident.longitude is not None:
        SubElement(area, "circle").text = f"{incident.latitude},{incident.longitude} 0"
    for node in alert.iter():
        if node.text:
            node.text = _XML_ILLEGAL.sub("", node.text)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(alert, encoding="utf-8", xml_declaration=False)


def _text(parent, name: str) -> str:
    node = parent.find(f"{{{NS}}}{name}")
    return (node.text or "").strip() if node is not None else ""


def _required(parent, name: str) -> str:
    value = _text(parent, name)
    if not value:
        raise ValidationError({"cap": f"<{name}> is required."})
    return value


def _parameters(info) -> dict[str, str]:
    found = {}
    for parameter in info.findall(f"{{{NS}}}parameter"):
        found[_text(parameter, "valueName")] = _text(parameter, "value")
    return found


def _point(info) -> tuple[Decimal | None, Decimal | None]:
    circle = info.find(f"{{{NS}}}area/{{{NS}}}circle")
    if circle is None or not (circle.text or "").strip():
        return None, None
    try:
        lat, lon = circle.text.strip().split(" ")[0].split(",")
        return coordinate(lat, axis="latitude"), coordinate(lon, axis="longitude")
    except (ValueError, NumberError) as exc:
        raise ValidationError({"cap": "<circle> must read 'latitude,longitude radius'."}) from exc


def _incident_fields(info) -> dict:
    parameters = _parameters(info)
    kind = parameters.get("linkage:kind") or KIND_FOR_CATEGORY.get(_text(info, "category"), IncidentKind.OTHER)
    latitude, longitude = _point(info)
    return {
        "kind": kind,
        # None when missing or Unknown: an Alert opens at level IV, an Update leaves the level alone.
        "severity": SEVERITY_FOR_CAP.get(_text(info, "severity")),
        "title": (_text(info, "headline") or _text(info, "event"))[:200],
        "description": _text(info, "description")[:5000],
        "address": _text(info, f"area/{{{NS}}}areaDesc")[:300],
        "latitude": latitude,
        "longitude": longitude,
    }


def _referenced_incident(alert) -> Incident:
    references = _required(alert, "references")
    for reference in references.split():
        parts = reference.split(",")
        if len(parts) >= 2:
            message = CapMessage.objects.filter(sender=parts[0], identifier=parts[1]).select_related("incident").first()
            if message is not None:
                return message.incident
    raise ValidationError({"cap": "<references> names no alert taken in here."})


def cap_ingest(*, by: AbstractBaseUser | None, xml: bytes) -> tuple[Incident, bool]:
    """Take in one CAP 1.2 message. Returns the incident and whether this message opened it."""
    if len(xml) > MAX_BYTES:
        raise CapTooLarge("The alert is too large.")
    try:
        alert = fromstring(xml)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        raise ValidationError({"cap": f"Not well-formed, safe XML: {exc.__class__.__name__}."}) from exc
    if alert.tag != f"{{{NS}}}alert":
        raise ValidationError({"cap": f"Expected a CAP 1.2 <alert> in {NS}."})
    identifier, sender = _required(alert, "identifier")[:200], _required(alert, "sender")[:200]
    status, msg_type = _required(alert, "status"), _required(alert, "msgType")
    if status not in ("Actual", "Exercise"):
        raise ValidationError({"cap": f"Only Actual and Exercise alerts are taken in, not {status}."})
    if msg_type not in ("Alert", "Update", "Cancel"):
        raise ValidationError({"cap": f"Only Alert, Update and Cancel are taken in, not {msg_type}."})

    seen = CapMessage.objects.filter(sender=sender, identifier=identifier).select_related("incident").first()
    if seen is not None:
        return seen.incident, False

    info = alert.find(f"{{{NS}}}info")
    try:
        with transaction.atomic():
            if msg_type == "Alert":
                if info is None:
                    raise ValidationError({"cap": "<info> is required for an Alert."})
                fields = _incident_fields(info)
                fields["severity"] = fields["severity"] or int(Severity.IV)
                incident = incident_open(by=by, exercise=status == "Exercise", **fields)
            else:
                incident = _referenced_incident(alert)
                if msg_type == "Update" and info is not None:
                    fields = _incident_fields(info)
                    changes = {
                        key: fields[key]
                        for key in ("title", "description", "severity", "address")
                        if fields[key] not in ("", None)
                    }
                    incident = incident_update(incident=incident, by=by, **changes)
                elif msg_type == "Cancel":
                    incident = incident_cancel(incident=incident, by=by, reason=f"CAP Cancel from {sender}")
            CapMessage.objects.create(
                sender=sender,
                identifier=identifier,
                msg_type=msg_type,
                sent=_text(alert, "sent")[:40],
                incident=incident,
            )
    except IntegrityError:
        # The same message arrived twice at once: the other request took it in.
        seen = CapMessage.objects.select_related("incident").get(sender=sender, identifier=identifier)
        return seen.incident, False
    return incident, msg_type == "Alert"
