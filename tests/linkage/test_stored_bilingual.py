"""Texts Linkage writes itself and stores (a default task, timeline lines, a CAP cancel reason) are
stored `中文 · English` from both catalogs, whoever's language made them, so every page shows the
reader's half and never the other language (linkage.bilingual.both)."""

from django.test import Client
from django.utils.translation import get_language, gettext_lazy, gettext_noop, override

from agencies.models import Agency
from incidents.models import IncidentStatus, TimelineEntry
from incidents.services import incident_cancel, incident_open
from linkage.bilingual import both, in_language

DEFAULT_TASK = "按调度要求响应处置。 · Respond as requested by dispatch."


def test_both_joins_the_two_catalogs_whatever_the_active_language():
    for language in ("en", "zh-hans"):
        with override(language):
            assert both(gettext_noop("Respond as requested by dispatch.")) == DEFAULT_TASK
            text = both(gettext_noop("The incident was %(status)s."), {"status": IncidentStatus.CANCELLED.label})
            assert in_language(text, "en") == "The incident was Cancelled."
            lower = both(gettext_noop("The incident was %(status)s."), {"status": lambda: "x" + get_language()})
            assert lower == "事件xzh-hans。 · The incident was xen."
            assert in_language(text, "zh-hans").startswith("事件") and "cancelled" not in in_language(text, "zh-hans")
    # A text with no translation is stored once, not "X · X".
    assert both("No such message in the catalog.") == "No such message in the catalog."
    assert str(gettext_lazy("Police"))  # lazy params render per half (used for agency kinds)


def test_a_default_task_added_in_chinese_shows_in_english_in_the_english_ui(demo, fire_incident, api):
    client = api(demo.dispatcher)
    response = client.post(
        f"/api/v1/incidents/{fire_incident.pk}/assignments/",
        {"agency": "km-environment"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 201, response.content
    task = fire_incident.assignments.get(agency__code="km-environment")
    assert task.task == DEFAULT_TASK
    page = Client()
    page.force_login(demo.dispatcher)
    english = page.get(f"/incidents/{fire_incident.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Respond as requested by dispatch." in english and "按调度要求" not in english
    chinese = page.get(f"/incidents/{fire_incident.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "按调度要求响应处置。" in chinese and "Respond as requested" not in chinese


def test_system_timeline_lines_show_in_the_readers_language(demo):
    Agency.objects.filter(kind="environment").update(is_active=False)  # a plan step with nobody to bring in
    with override("zh-hans"):  # a Chinese dispatcher's request opened and cancelled it
        incident = incident_open(
            by=demo.dispatcher, kind="hazmat", severity=1, title="化工厂泄漏", latitude="25.05", longitude="102.7"
        )
        incident_cancel(incident=incident, by=demo.dispatcher, reason="误报")
    missing = TimelineEntry.objects.get(incident=incident, data__has_key="missing_agency_kind").text
    assert in_language(missing, "en") == "No Ecology and environment agency to bring in for this plan step."
    texts = [missing]
    cascade = [
        t for t in TimelineEntry.objects.filter(incident=incident).values_list("text", flat=True) if "cancelled" in t
    ]
    assert cascade and all(in_language(text, "en") == "The incident was cancelled." for text in cascade)
    for text in texts + cascade:
        english, chinese = in_language(text, "en"), in_language(text, "zh-hans")
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in english), text
        assert "agency" not in chinese and "incident" not in chinese, text
    page = Client()
    page.force_login(demo.dispatcher)
    english = page.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The incident was cancelled." in english and "事件已取消" not in english
