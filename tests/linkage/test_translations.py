"""The Chinese catalog is complete, and what the pages say comes from it."""

from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation

from incidents.models import AssignmentStatus, IncidentKind, Severity

CATALOG = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_current_chinese_translation():
    catalog = polib.pofile(str(CATALOG))
    assert len(catalog) > 200
    assert [entry.msgid for entry in catalog.untranslated_entries()] == []
    assert [entry.msgid for entry in catalog.fuzzy_entries()] == []


def test_placeholders_survive_translation():
    for entry in polib.pofile(str(CATALOG)).translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            for placeholder in ("%(", "%s", "%d"):
                assert entry.msgid.count(placeholder) == text.count(placeholder), entry.msgid


def test_compiled_catalog_is_in_use():
    with translation.override("zh-hans"):
        assert str(AssignmentStatus.ON_SCENE.label) != "On scene"
        assert str(IncidentKind.HAZMAT.label) != "Hazardous materials"
        assert "特别重大" in str(Severity.I.label)
