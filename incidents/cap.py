"""CAP 1.2 for incidents: what a message taken in does, and an incident's versions as alerts out.

Reading and writing the XML is `interop.cap`; this module applies DESIGN.md's "CAP semantics":

- an Alert or Update past its `<expires>` (every `<info>`) opens and changes nothing;
- only `Actual` and `Exercise` act, and an Exercise never touches a real incident nor the reverse;
- Update and Cancel act only on an incident opened by an alert of the same `<sender>`; of several
  `<references>`, the newest whose incident is still open is acted on;
- a message `<sent>` before the last one applied to its incident changes nothing;
- an Update whose original never arrived opens the incident as an Alert would; every (sender,
  identifier) a message lists in `<references>` is indexed (`CapReference`), so later messages naming
  the same missed original act on that incident, an original arriving after a message that replaced
  it is stale, and one its sender cancelled before it arrived (a Cancel of an unknown alert, which
  does nothing itself) opens nothing;
- an Update or Cancel naming another sender's alert (our own exports included) changes nothing;
- watches, advisories, statements, outlooks and forecasts (urgency Future, certainty Possible or
  Unlikely) open as `other` with nobody brought in: nothing is under way yet;
- the `<info>` in the site's language is preferred; the kind comes from `<event>`/`<eventCode>`, then
  from an unambiguous `<category>`, else `other` with nobody brought in;
- a polygon's centroid (a circle's centre) is the incident's point; an Update with a new area
  moves the address and the point together (an area with no shape clears the point).

Every message is recorded (`CapMessage`) with its outcome, whether it changed anything or not; the
same (sender, identifier) twice changes nothing.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from interop.cap import (
    MAX_BYTES,
    Alert,
    Area,
    CapError,
    CapTooLarge,
    Circle,
    Info,
    Reference,
    area_point,
    preferred_info,
    read_alert,
    write_alert,
)
from linkage.bilingual import both

from .models import (
    CAP_APPLIED,
    CAP_CATEGORY,
    CAP_SEVERITY,
    TEXT_LIMITS,
    CapMessage,
    CapOutcome,
    CapReference,
    Incident,
    IncidentKind,
    IncidentStatus,
    Severity,
    TimelineEntry,
    TimelineKind,
)
from .services import incident_cancel, incident_open, incident_update
from .timeline import timeline_add

__all__ = [
    "MAX_BYTES",
    "CapResult",
    "CapTooLarge",
    "cap_forecast",
    "cap_ingest",
    "cap_kind",
    "incident_to_alert",
    "incident_to_cap",
]

K = IncidentKind
SEVERITY_FOR_CAP = {cap: int(level) for level, cap in CAP_SEVERITY.items()}
DUPLICATE = "duplicate"  # the outcome reported for a message already taken in (not stored again)

# --- The kind of an incoming alert ------------------------------------------------------------

# Event words that say the danger is a forecast or a risk, not a fire: nothing to put out.
_NOT_AN_INCIDENT = re.compile(r"fire danger|fire weather|red flag|火险|火险等级", re.IGNORECASE)
# Event words of a watch, advisory, statement, outlook or forecast: a danger that may come, or word
# about one, not an incident under way. English words whole; Chinese anywhere in the event.
_FORECAST = re.compile(
    r"\b(?:watch|watches|advisory|advisories|statement|outlook|information|forecast|heads up)\b"
    r"|预报|预测|展望|提示|关注|通报|信息",
    re.IGNORECASE,
)
# SAME event codes of watches and statements (Flood Watch FLA, Flash Flood Statement FFS, …).
_FORECAST_SAME_CODES = {"FFA", "FFS", "FLA", "FLS", "TSA", "SSA", "HUA", "TOA", "SVA", "WSA", "SPS"}
# (kind, words) in the order they are tried: the more specific first (a forest fire before a fire).
# English words match whole words; Chinese ones anywhere in the event.
KIND_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (
        K.FOREST_FIRE,
        ("forest fire", "wildfire", "wildland fire", "bushfire", "grass fire", "森林火灾", "山火", "草原火灾"),
    ),
    (
        K.HAZMAT,
        (
            "hazmat",
            "hazardous material",
            "hazardous materials",
            "chemical",
            "toxic",
            "gas leak",
            "radiological",
            "nuclear",
            "危化品",
            "危险化学品",
            "化学品",
            "泄漏",
            "毒气",
        ),
    ),
    (K.BUILDING_FIRE, ("fire", "structure fire", "building fire", "火灾", "火警", "起火", "着火")),
    (K.EARTHQUAKE, ("earthquake", "quake", "seismic", "地震")),
    (
        K.FLOOD,
        (
            "flood",
            "flash flood",
            "flooding",
            "rainstorm",
            "heavy rain",
            "tsunami",
            "storm surge",
            "暴雨",
            "洪水",
            "洪涝",
            "山洪",
            "内涝",
            "海啸",
            "风暴潮",
        ),
    ),
    (K.TRAFFIC_ACCIDENT, ("traffic accident", "road accident", "vehicle collision", "car crash", "交通事故", "车祸")),
    (K.COLLAPSE, ("collapse", "building collapse", "坍塌", "倒塌", "塌方")),
    (K.POLLUTION, ("pollution", "oil spill", "contamination", "污染")),
    (K.PUBLIC_HEALTH, ("epidemic", "outbreak", "pandemic", "public health", "疫情", "传染病", "公共卫生", "食物中毒")),
    (K.MASS_CASUALTY, ("mass casualty", "群体伤亡", "踩踏")),
]
# US EAS/SAME event codes (what national warning services put in <eventCode>); absent ones say nothing.
SAME_CODES = {
    "FFW": K.FLOOD,
    "FFA": K.FLOOD,
    "FFS": K.FLOOD,
    "FLW": K.FLOOD,
    "FLA": K.FLOOD,
    "FLS": K.FLOOD,
    "TSW": K.FLOOD,
    "TSA": K.FLOOD,
    "SSW": K.FLOOD,
    "SSA": K.FLOOD,
    "EQW": K.EARTHQUAKE,
    "HMW": K.HAZMAT,
    "NUW": K.HAZMAT,
    "RHW": K.HAZMAT,
    "FRW": K.FOREST_FIRE,
}
# Categories that name one kind only; Fire (building or forest?), Geo, Met, Rescue, Safety, Security,
# Transport, Infra and Other do not, and guessing from them paged the wrong agencies.
KIND_FOR_CATEGORY = {"CBRNE": K.HAZMAT, "Env": K.POLLUTION, "Health": K.PUBLIC_HEALTH}


def _word_pattern(word: str) -> re.Pattern:
    if word.isascii():
        return re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
    return re.compile(re.escape(word))


_KIND_PATTERNS = [(kind, [_word_pattern(word) for word in words]) for kind, words in KIND_WORDS]


def cap_forecast(info: Info) -> str:
    """Why an `<info>` announces a danger that may come rather than one under way ("" when it does
    not): a watch, advisory, statement, outlook or information in `<event>` or a SAME code, urgency
    Future, certainty Possible or Unlikely. Such an alert brings in no agencies (like "fire danger")."""
    for name, value in info.event_codes:
        if name.upper() == "SAME" and value.strip().upper() in _FORECAST_SAME_CODES:
            return f"eventCode SAME {value.strip().upper()}"
    match = _FORECAST.search(info.event)
    if match:
        return f"event {info.event[:60]!r}"
    if info.urgency == "Future":
        return "urgency Future"
    if info.certainty in ("Possible", "Unlikely"):
        return f"certainty {info.certainty}"
    return ""


def cap_kind(info: Info) -> tuple[str, str]:
    """(kind, what decided it) for an `<info>`: our own `linkage:kind` parameter, else `other` for a
    watch, advisory or forecast (`cap_forecast`), else a SAME event code, else the words of `<event>`
    and the event codes' values, else a category that means one kind only, else `other` ("" for
    what decided it whenever the kind is `other`)."""
    own = info.parameter("linkage:kind")
    if own in K.values:
        return own, "linkage:kind"
    if cap_forecast(info):
        return K.OTHER, ""
    for name, value in info.event_codes:
        if name.upper() == "SAME" and value.strip().upper() in SAME_CODES:
            return SAME_CODES[value.strip().upper()], f"eventCode SAME {value.strip().upper()}"
    texts = [info.event, *(value for _, value in info.event_codes)]
    if not any(_NOT_AN_INCIDENT.search(text) for text in texts):
        for kind, patterns in _KIND_PATTERNS:
            for text in texts:
                if any(pattern.search(text) for pattern in patterns):
                    return kind, f"event {text[:60]!r}"
    for category in info.categories:
        if category in KIND_FOR_CATEGORY:
            return KIND_FOR_CATEGORY[category], f"category {category}"
    return K.OTHER, ""


# --- Taking a message in ------------------------------------------------------------------------


@dataclass(frozen=True)
class CapResult:
    """What one message did: `outcome` (a CapOutcome value, or "duplicate"), a sentence saying it,
    the incident it opened, changed or concerned (None when none of ours), and its record."""

    outcome: str
    detail: str
    incident: Incident | None
    message: CapMessage

    @property
    def opened(self) -> bool:
        return self.outcome in (CapOutcome.OPENED, CapOutcome.OPENED_FROM_UPDATE)


def _sender() -> str:
    return getattr(settings, "LINKAGE_CAP_SENDER", "linkage@localhost")


def _line(text: str, limit: int) -> str:
    """One line of at most `limit` characters: whitespace runs (newlines too) become one space."""
    return " ".join("".join(ch for ch in text if ch.isprintable() or ch.isspace()).split())[:limit]


def _paragraphs(text: str, limit: int) -> str:
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t").strip()[:limit]


def _live_infos(alert: Alert, now: datetime) -> list[Info]:
    return [info for info in alert.infos if not info.expired(now)] or alert.infos


def _facts(alert: Alert, info: Info) -> dict:
    """The incident fields an `<info>` gives: title, description, severity when it names a level,
    and, when it has an `<area>`, the place: address (the areas' descriptions, "" when none) with
    latitude and longitude together (None when no area has a shape), so the two never disagree."""
    facts = {
        "title": _line(info.headline or info.event, TEXT_LIMITS["title"])
        or _line(_("CAP alert from %(sender)s") % {"sender": info.sender_name or alert.sender}, TEXT_LIMITS["title"]),
        "description": _paragraphs(info.description, TEXT_LIMITS["description"]),
    }
    if info.severity in SEVERITY_FOR_CAP:
        facts["severity"] = SEVERITY_FOR_CAP[info.severity]
    if info.areas:
        described = "; ".join(area.description for area in info.areas if area.description)
        facts["address"] = _line(described, TEXT_LIMITS["address"])
        facts["latitude"], facts["longitude"] = area_point(info.areas) or (None, None)
    return facts


def _open(alert: Alert, *, by, now: datetime, outcome: str) -> tuple[str, str, Incident]:
    info = preferred_info(_live_infos(alert, now), settings.LANGUAGE_CODE)
    if info is None:
        raise ValidationError({"cap": _("An alert needs an <info> to open an incident.")})
    kind, decided_by = cap_kind(info)
    forecast = cap_forecast(info) if info.parameter("linkage:kind") not in K.values else ""
    facts = _facts(alert, info)
    facts.setdefault("severity", int(Severity.IV))
    incident = incident_open(
        by=by, kind=kind, exercise=alert.status == "Exercise", follow_plan=kind != K.OTHER, **facts
    )
    if forecast:
        timeline_add(
            incident=incident,
            kind=TimelineKind.INCIDENT_UPDATED,
            actor=None,
            text=both(
                gettext_noop(
                    "The CAP alert “%(event)s” is a watch, advisory or forecast (%(why)s), not an incident under "
                    "way: nobody was brought in."
                ),
                {"event": _line(info.event, 100), "why": forecast},
            ),
            data={"cap_event": _line(info.event, 100), "cap_forecast": forecast},
        )
    elif kind == K.OTHER:
        timeline_add(
            incident=incident,
            kind=TimelineKind.INCIDENT_UPDATED,
            actor=None,
            text=both(
                gettext_noop(
                    "The CAP event “%(event)s” does not say what kind of incident this is: nobody was brought in."
                ),
                {"event": _line(info.event, 100)},
            ),
            data={"cap_event": _line(info.event, 100), "categories": info.categories},
        )
    if outcome == CapOutcome.OPENED_FROM_UPDATE:
        detail = _("Opened: an update whose original alert never arrived here.")
    else:
        detail = _("Opened.")
    if forecast:
        detail += " " + _("A watch, advisory or forecast (%(why)s): nobody was brought in.") % {"why": forecast}
    elif decided_by:
        detail += " " + _("Kind %(kind)s from %(source)s.") % {"kind": kind, "source": decided_by}
    else:
        detail += " " + _("Kind unknown: nobody was brought in; the dispatcher chooses the agencies.")
    return outcome, detail, incident


# Identifiers and senders longer than this cannot be stored, so cannot be told apart: refused.
_KEY_LENGTH = CapMessage._meta.get_field("identifier").max_length
# Our own exports' identifiers (incident_to_alert): linkage-<incident reference>-<timeline entry id>.
_OWN_IDENTIFIER = re.compile(r"^linkage-(?P<reference>.+)-(?P<entry>\d+)$")


def _keys(alert: Alert) -> set[tuple[str, str]]:
    """The (sender, identifier) pairs `<references>` names that could be a stored message."""
    return {
        (reference.sender, reference.identifier)
        for reference in alert.references
        if len(reference.sender) <= _KEY_LENGTH and len(reference.identifier) <= _KEY_LENGTH
    }


@dataclass(frozen=True)
class _Known:
    """An identifier we know to belong to `incident`, through a message of `sender` sent at `sent`."""

    sender: str
    sent: datetime | None
    incident: Incident


def _known(keys: set[tuple[str, str]]) -> list[_Known]:
    """Every incident the (sender, identifier) `keys` are known to belong to: a message taken in
    with that identifier, an applied message that listed it in its `<references>` (how an original
    that never arrived is known), or one of our own exports. A few queries however many keys (a
    1 MiB message can list tens of thousands)."""
    identifiers = {identifier for _sender, identifier in keys}
    found = [
        _Known(message.sender, message.sent, message.incident)
        for message in CapMessage.objects.filter(identifier__in=identifiers, incident__isnull=False).select_related(
            "incident"
        )
        if (message.sender, message.identifier) in keys
    ]
    listed = CapReference.objects.filter(
        identifier__in=identifiers, message__outcome__in=CAP_APPLIED, message__incident__isnull=False
    ).select_related("message__incident")
    found += [
        _Known(reference.message.sender, reference.message.sent, reference.message.incident)
        for reference in listed
        if (reference.sender, reference.identifier) in keys
    ]
    ours = _sender()
    exports = {
        match["reference"]
        for sender, identifier in keys
        if sender == ours and (match := _OWN_IDENTIFIER.match(identifier))
    }
    found += [_Known(ours, None, incident) for incident in Incident.objects.filter(reference__in=exports)]
    return found


def _referenced(alert: Alert) -> Incident | None:
    """Of the incidents `<references>` leads to, the one to act on; None when it leads to none.

    The one to act on is known through this alert's sender; of those, the newest whose incident is
    still open, else the newest.
    """
    found = _known(_keys(alert))
    if not found:
        return None
    now = timezone.now()
    newest_first = sorted(found, key=lambda known: known.sent or now, reverse=True)
    own = [known for known in newest_first if known.sender == alert.sender] or newest_first
    live = [known for known in own if known.incident.is_open]
    return (live or own)[0].incident


def _superseded_by(alert: Alert, incident: Incident | None = None) -> CapMessage | None:
    """The applied message of the same sender (about `incident`, when given) that lists this one in
    its `<references>`: this one is older, even when both were sent within the same second (CAP
    times have no fractions) and even when it arrives first of all (it then opens nothing)."""
    listed = CapReference.objects.filter(
        sender=alert.sender,
        identifier=alert.identifier,
        message__sender=alert.sender,
        message__outcome__in=CAP_APPLIED,
        message__incident__isnull=False,
    )
    if incident is not None:
        listed = listed.filter(message__incident=incident)
    reference = listed.select_related("message__incident").order_by("-message__sent").first()
    return reference.message if reference is not None else None


def _cancelled_before(alert: Alert) -> CapMessage | None:
    """The Cancel of an alert never received (outcome unknown_original), from this alert's sender and
    of its status, that names this message or one it references; None when there is none."""
    keys = {(alert.sender, alert.identifier)} | {key for key in _keys(alert) if key[0] == alert.sender}
    listed = CapReference.objects.filter(
        identifier__in={identifier for _sender, identifier in keys},
        message__sender=alert.sender,
        message__status=alert.status,
        message__outcome=CapOutcome.UNKNOWN_ORIGINAL,
    ).select_related("message")
    return next((reference.message for reference in listed if (reference.sender, reference.identifier) in keys), None)


def _opening_sender(incident: Incident) -> str | None:
    opener = (
        CapMessage.objects.filter(incident=incident, outcome__in=[CapOutcome.OPENED, CapOutcome.OPENED_FROM_UPDATE])
        .order_by("id")
        .first()
    )
    return opener.sender if opener else None


def _cancelled_text(cancel: CapMessage) -> str:
    return _("Its sender cancelled it before it arrived (%(identifier)s): nothing opened.") % {
        "identifier": cancel.identifier
    }


def _act(alert: Alert, *, by, now: datetime) -> tuple[str, str, Incident | None]:
    """(outcome, detail, incident) of one new message; opens, updates or cancels as the rules say."""
    if alert.sender == _sender():
        return CapOutcome.NOT_ACTED, _("Our own message: nothing to do."), None
    if alert.msg_type in ("Ack", "Error"):
        return CapOutcome.NOT_ACTED, _("An %(type)s changes no incident.") % {"type": alert.msg_type}, None
    if alert.status not in ("Actual", "Exercise"):
        return (
            CapOutcome.NOT_ACTUAL,
            _("A %(status)s message opens and changes nothing.") % {"status": alert.status},
            None,
        )
    expired = alert.msg_type != "Cancel" and alert.expired(now)
    superseding = _superseded_by(alert)
    if superseding is not None:
        return (
            CapOutcome.STALE,
            _("%(identifier)s, applied already, replaced this message: nothing changed.")
            % {"identifier": superseding.identifier},
            superseding.incident,
        )
    if alert.msg_type == "Alert":
        cancel = _cancelled_before(alert)
        if cancel is not None:
            return CapOutcome.ALREADY_CANCELLED, _cancelled_text(cancel), None
        if expired:
            return CapOutcome.EXPIRED, _("Expired before it arrived: nothing opened."), None
        return _open(alert, by=by, now=now, outcome=CapOutcome.OPENED)

    target = _referenced(alert)
    if target is None:
        if any(sender == _sender() for sender, _identifier in _keys(alert)):
            return (
                CapOutcome.OTHER_SENDER,
                _("It names an alert this installation sent, not one of %(sender)s: nothing changed.")
                % {"sender": alert.sender},
                None,
            )
        if alert.msg_type == "Cancel":
            return CapOutcome.UNKNOWN_ORIGINAL, _("Cancels an alert never received here: nothing to cancel."), None
        cancel = _cancelled_before(alert)
        if cancel is not None:
            return CapOutcome.ALREADY_CANCELLED, _cancelled_text(cancel), None
        if expired:
            return CapOutcome.EXPIRED, _("Expired before it arrived: nothing opened."), None
        return _open(alert, by=by, now=now, outcome=CapOutcome.OPENED_FROM_UPDATE)

    # Incident first, as every service locks: a concurrent update of the same incident waits here.
    incident = Incident.objects.select_for_update().get(pk=target.pk)
    owner = _opening_sender(incident)
    if owner != alert.sender:
        return (
            CapOutcome.OTHER_SENDER,
            _("The incident came from %(owner)s, not %(sender)s: nothing changed.")
            % {"owner": owner or _("this installation"), "sender": alert.sender},
            incident,
        )
    if incident.exercise != (alert.status == "Exercise"):
        if incident.exercise:
            text = _("A real message never changes an exercise: nothing changed.")
        else:
            text = _("An exercise message never changes a real incident: nothing changed.")
        return CapOutcome.STATUS_MISMATCH, text, incident
    if expired:
        return CapOutcome.EXPIRED, _("Expired before it arrived: nothing changed."), incident
    last = CapMessage.objects.filter(incident=incident, outcome__in=CAP_APPLIED).aggregate(last=Max("sent"))["last"]
    if (last is not None and alert.sent < last) or _superseded_by(alert, incident) is not None:
        return (
            CapOutcome.STALE,
            _("Sent %(sent)s, before the last message applied: nothing changed.") % {"sent": alert.sent.isoformat()},
            incident,
        )
    if not incident.is_open:
        return (
            CapOutcome.NOT_OPEN,
            _("The incident is %(status)s: nothing changed.") % {"status": str(incident.get_status_display()).lower()},
            incident,
        )
    if alert.msg_type == "Cancel":
        reason = both(
            gettext_noop("Cancelled by CAP message %(identifier)s from %(sender)s."),
            {"identifier": alert.identifier, "sender": alert.sender},
        )
        incident = incident_cancel(incident=incident, by=by, reason=reason[:1000])
        return CapOutcome.CANCELLED, _("Cancelled."), incident

    info = preferred_info(_live_infos(alert, now), settings.LANGUAGE_CODE)
    if info is not None:
        # An empty title or description says nothing; an empty address or point goes with a new area.
        facts = {
            key: value
            for key, value in _facts(alert, info).items()
            if value not in ("", None) or key in ("address", "latitude", "longitude")
        }
        incident = incident_update(incident=incident, by=by, **facts)
        if info.urgency == "Past":
            timeline_add(
                incident=incident,
                kind=TimelineKind.INCIDENT_UPDATED,
                actor=None,
                text=both(gettext_noop("The sender says this is over (CAP urgency Past); a commander closes it here.")),
                data={"cap_urgency": "Past"},
            )
            return CapOutcome.UPDATED, _("Updated; the sender says it is over."), incident
    return CapOutcome.UPDATED, _("Updated."), incident


def cap_ingest(*, by: AbstractBaseUser | None, xml: bytes, now: datetime | None = None) -> CapResult:
    """Take in one CAP 1.2 message (XML bytes) and do what DESIGN.md's "CAP semantics" says.

    Returns a CapResult; every new message is recorded with its outcome, including those that change
    nothing, and the (sender, identifier) pairs of its `<references>` are indexed (CapReference).
    Raises CapTooLarge (over MAX_BYTES), ValidationError {"cap": ...} for a message that is not a
    usable CAP 1.2 alert (an identifier or sender over 200 characters included: never cut, so never
    a false duplicate), and what the incident services raise (PermissionDenied, ValidationError).
    `now` (default: the current time) is what `<expires>` is compared with.
    """
    try:
        alert = read_alert(xml)
    except CapTooLarge:
        raise
    except CapError as exc:
        raise ValidationError({"cap": str(exc)}) from exc
    for name, value in (("identifier", alert.identifier), ("sender", alert.sender)):
        if len(value) > _KEY_LENGTH:
            raise ValidationError(
                {
                    "cap": _("<%(element)s> is longer than %(limit)d characters.")
                    % {"element": name, "limit": _KEY_LENGTH}
                }
            )
    seen = CapMessage.objects.filter(sender=alert.sender, identifier=alert.identifier).first()
    if seen is not None:
        return _duplicate(seen)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            _one_at_a_time(alert.sender)
            outcome, detail, incident = _act(alert, by=by, now=now)
            message = CapMessage.objects.create(
                sender=alert.sender,
                identifier=alert.identifier,
                sent=alert.sent,
                status=alert.status,
                msg_type=alert.msg_type,
                references=" ".join(str(reference) for reference in alert.references),
                outcome=outcome,
                detail=detail[:500],
                incident=incident,
            )
            CapReference.objects.bulk_create(
                [
                    CapReference(message=message, sender=sender, identifier=identifier)
                    for sender, identifier in _keys(alert)
                ],
                batch_size=5000,
            )
    except IntegrityError:
        # The same message arrived twice at once: the other request took it in (and rolled ours back).
        seen = CapMessage.objects.filter(sender=alert.sender, identifier=alert.identifier).first()
        if seen is None:
            raise
        return _duplicate(seen)
    return CapResult(outcome, detail, incident, message)


def _one_at_a_time(sender: str) -> None:
    """Take one sender's messages in one after the other (a transaction-scoped PostgreSQL advisory
    lock on the sender): two Updates naming the same missed original, or an Update and its original,
    arriving at once would otherwise each find nothing the other is writing and both open an incident.
    Taken before any row lock, so it cannot join a lock cycle. Other databases run one writer anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"linkage-cap:{sender}"])


def _duplicate(seen: CapMessage) -> CapResult:
    detail = _("Already taken in (%(outcome)s): nothing changed.") % {"outcome": seen.get_outcome_display()}
    return CapResult(DUPLICATE, detail, seen.incident, seen)


# --- An incident out ------------------------------------------------------------------------------

# Timeline entries that change what an alert says: each is a version with its own <identifier>.
_CAP_FIELDS = {"title", "description", "severity", "address", "latitude", "longitude", "kind"}
REFERENCES_KEPT = 100
_CAP_LANGUAGE = {"zh-hans": "zh-CN", "zh-hant": "zh-TW", "en": "en-US"}


def incident_versions(incident: Incident) -> list[TimelineEntry]:
    """The timeline entries that made a new version of the incident's alert, oldest first: its
    opening, every status move, and every change of a fact the alert carries."""
    entries = (
        TimelineEntry.objects.filter(
            incident=incident,
            kind__in=[TimelineKind.INCIDENT_OPENED, TimelineKind.INCIDENT_STATUS, TimelineKind.INCIDENT_UPDATED],
        )
        .only("id", "kind", "data", "created_at")
        .order_by("id")
    )
    return [
        entry for entry in entries if entry.kind != TimelineKind.INCIDENT_UPDATED or _CAP_FIELDS & set(entry.data or {})
    ]


def _identifier(incident: Incident, entry: TimelineEntry) -> str:
    return f"linkage-{incident.reference}-{entry.pk}"


def incident_to_alert(incident: Incident) -> Alert:
    """The incident's current version as a CAP alert.

    Each version is its own `<identifier>` (`linkage-<reference>-<timeline seq>`), sent when it was
    made. The first is an Alert; later ones are Updates, a cancelled incident a Cancel, and both carry
    `<references>` to the earlier versions (the original and up to REFERENCES_KEPT latest, so the
    previous one always). A closed or cancelled incident has
    urgency Past.
    """
    sender = _sender()
    # An incident made outside the services has no timeline: its one version is its opening.
    versions = incident_versions(incident) or [
        TimelineEntry(id=0, incident=incident, kind=TimelineKind.INCIDENT_OPENED, created_at=incident.created_at)
    ]
    current = versions[-1]
    if len(versions) == 1:
        msg_type, references = "Alert", []
    else:
        msg_type = "Cancel" if incident.status == IncidentStatus.CANCELLED else "Update"
        # Every earlier version (the original and at most REFERENCES_KEPT latest): a receiver that got
        # a later one first can tell an earlier one arriving late, even within the same second.
        earlier = [versions[0], *versions[1:-1][-REFERENCES_KEPT:]]
        references = [Reference(sender, _identifier(incident, entry), entry.created_at) for entry in earlier]
    area = Area(description=incident.address or incident.title)
    if incident.latitude is not None and incident.longitude is not None:
        area.circles.append(Circle(incident.latitude, incident.longitude, radius_km=0))
    with translation.override(settings.LANGUAGE_CODE):
        event = str(IncidentKind(incident.kind).label)
    info = Info(
        language=_CAP_LANGUAGE.get(settings.LANGUAGE_CODE, settings.LANGUAGE_CODE),
        categories=[CAP_CATEGORY[IncidentKind(incident.kind)]],
        event=event,
        urgency="Immediate" if incident.is_open else "Past",
        severity=CAP_SEVERITY[Severity(incident.severity)],
        certainty="Observed",
        headline=incident.title,
        description=incident.description,
        parameters=[
            ("linkage:kind", incident.kind),
            ("linkage:reference", incident.reference),
            ("linkage:status", incident.status),
        ],
        areas=[area],
    )
    return Alert(
        identifier=_identifier(incident, current),
        sender=sender,
        sent=timezone.localtime(current.created_at),
        status="Exercise" if incident.exercise else "Actual",
        msg_type=msg_type,
        scope="Restricted",
        restriction="Emergency agencies working this incident",
        references=references,
        infos=[info],
    )


def incident_to_cap(incident: Incident) -> bytes:
    """The incident's current version as CAP 1.2 XML (UTF-8)."""
    return write_alert(incident_to_alert(incident))
