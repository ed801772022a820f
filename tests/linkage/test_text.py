"""Invisible text is not text: a title, note or decline reason made only of zero-width, bidi-control
or filler characters is refused everywhere free text comes in (services, API, pages), and visible
text keeps its meaning (NFC, inner joiners, newlines in notes)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from incidents import services
from incidents.models import AssignmentStatus, TimelineEntry, TimelineKind
from linkage.text import clean_text

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d",  # zero-width space, non-joiner, joiner
    "\ufeff",  # byte order mark
    "\u202e\u202d\u202c",  # bidi overrides and pop
    "\u2066\u2067\u2068\u2069",  # bidi isolates
    "\u200e\u200f\u061c",  # LRM, RLM, Arabic letter mark
    "\u00ad",  # soft hyphen
    "\u2060\u2061\u2062\u2063\u2064",  # word joiner, invisible operators
    "\u3164",  # Hangul filler
    "\u115f\u1160\uffa0",  # more Hangul fillers
    "\u2800",  # braille blank
    "\u180e",  # Mongolian vowel separator
    " \u3000\u00a0\u2007\u202f ",  # spaces of every width
    "\u2028\u2029",  # line and paragraph separators
    "\u0301\u0302",  # combining marks with nothing to sit on
    "\U000e0001\U000e0020\U000e007f",  # tag characters
    "\ufe0f",  # a variation selector alone
    "\t\n\r\n",  # whitespace controls
    "\u200b \u202e \u3164 \u2800 \ufeff",  # all of it together
]


@pytest.mark.parametrize("value", INVISIBLE, ids=[repr(v) for v in INVISIBLE])
@pytest.mark.parametrize("multiline", [False, True])
def test_invisible_text_is_refused_where_text_is_required(value, multiline):
    with pytest.raises(ValidationError) as refused:
        clean_text(value, field="reason", required=True, limit=1000, multiline=multiline)
    assert "reason" in refused.value.message_dict
    assert clean_text(value, field="reason", required=False, limit=1000, multiline=multiline) == ""


@pytest.mark.parametrize(
    ("value", "clean"),
    [
        ("\u200b 车辆故障 \u202e", "车辆故障"),  # invisible edges go
        ("e\u0301", "\u00e9"),  # NFC
        ("👩\u200d🚒", "👩\u200d🚒"),  # a joiner inside an emoji stays
        ("👍\ufe0f", "👍\ufe0f"),  # a variation selector after its character stays
        ("\u0627\u0644\u200f\u0639", "\u0627\u0644\u200f\u0639"),  # marks inside right-to-left text stay
        ("·", "·"),  # punctuation alone is visible
    ],
)
def test_visible_text_keeps_its_meaning(value, clean):
    assert clean_text(value, field="title", required=True, limit=200) == clean


def test_one_line_and_multi_line_text():
    assert (
        clean_text("第一行\r\n第二行\t完", field="note", required=True, limit=100, multiline=True)
        == "第一行\n第二行\t完"
    )
    assert clean_text("第一行\r\n第二行\t完", field="title", required=True, limit=100) == "第一行 第二行 完"


@pytest.mark.parametrize("value", ["a\x00b", "a\x07b", "a\x1bb", "a\x7fb", "a\x85b", "a\ud800b"])
def test_control_characters_and_lone_surrogates_inside_are_refused(value):
    with pytest.raises(ValidationError):
        clean_text(value, field="note", required=True, limit=100, multiline=True)


def test_the_limit_counts_the_cleaned_text():
    assert clean_text("\u200b" * 10 + "火" * 5, field="title", required=True, limit=5) == "火" * 5
    with pytest.raises(ValidationError):
        clean_text("火" * 6, field="title", required=True, limit=5)


def test_not_text_is_refused():
    with pytest.raises(ValidationError):
        clean_text(42, field="title", required=True, limit=5)


# --- Every way in ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["\u200b\u200b\u200b", "\u202e\u2066\u2069", "\u3164", "\ufeff \u2800"])
def test_services_refuse_invisible_titles_notes_and_decline_reasons(demo, fire_incident, value):
    task = fire_incident.assignments.get(agency__code="km-fire")
    with pytest.raises(ValidationError):
        services.incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title=value)
    with pytest.raises(ValidationError):
        services.note_add(incident=fire_incident, by=demo.dispatcher, text=value)
    with pytest.raises(ValidationError):
        services.assignment_decline(assignment=task, by=demo.fire_liaison, reason=value)
    with pytest.raises(ValidationError):
        services.incident_update(incident=fire_incident, by=demo.dispatcher, title=value)
    task.refresh_from_db()
    assert task.status == AssignmentStatus.PENDING
    assert not TimelineEntry.objects.filter(incident=fire_incident, kind=TimelineKind.NOTE).exists()


@pytest.mark.django_db
def test_the_api_answers_invisible_text_with_a_400_naming_the_field(demo, fire_incident, api):
    task = fire_incident.assignments.get(agency__code="km-fire")
    zero_width = "\u200b\u200d\u202e"
    created = api("dispatcher").post(
        "/api/v1/incidents/", {"kind": "building_fire", "severity": 4, "title": zero_width}, format="json"
    )
    note = api("dispatcher").post(f"/api/v1/incidents/{fire_incident.pk}/notes/", {"text": zero_width}, format="json")
    decline = api("fire_liaison").post(f"/api/v1/assignments/{task.pk}/decline/", {"reason": zero_width}, format="json")
    assert (created.status_code, note.status_code, decline.status_code) == (400, 400, 400)
    assert "title" in created.json() and "text" in note.json() and "reason" in decline.json()
    task.refresh_from_db()
    assert task.status == AssignmentStatus.PENDING


@pytest.mark.django_db
def test_the_pages_refuse_invisible_text_and_change_nothing(demo, fire_incident):
    task = fire_incident.assignments.get(agency__code="km-fire")
    liaison, dispatcher = Client(), Client()
    liaison.force_login(demo.fire_liaison)
    dispatcher.force_login(demo.dispatcher)

    liaison.post(f"/assignments/{task.pk}/decline/", {"reason": "\u200b\u200b"})
    dispatcher.post(f"/incidents/{fire_incident.pk}/notes/", {"text": "\u202e\u2066"})
    form_token = dispatcher.get("/incidents/new/").context["form_token"]
    intake = dispatcher.post(
        "/incidents/new/",
        {
            "form_token": form_token,
            "kind": "building_fire",
            "severity": "4",
            "title": "\u3164",
            "agencies": ["km-fire"],
            "plan_for": "building_fire:4",
        },
    )

    task.refresh_from_db()
    assert task.status == AssignmentStatus.PENDING
    assert not TimelineEntry.objects.filter(incident=fire_incident, kind=TimelineKind.NOTE).exists()
    assert intake.status_code == 400 and "title" in intake.context["form"].errors
