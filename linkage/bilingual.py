"""Texts stored in both languages as `中文 · English` (the linkage plans' tasks, which assignments
copy): each page shows the half in its reader's language; the API returns the text as stored."""

import re

from django.conf import settings
from django.utils.translation import get_language

SEPARATOR = " · "
_CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def halves(text: str | None) -> tuple[str, str] | None:
    """("中文", "English") for a text written `中文 · English` (exactly one separator, Chinese before
    it and no Chinese after it), else None: a text in one language, or free text that only looks mixed."""
    if not text or text.count(SEPARATOR) != 1:
        return None
    chinese, english = (part.strip() for part in text.split(SEPARATOR))
    if _CHINESE.search(chinese) and _LATIN.search(english) and not _CHINESE.search(english):
        return chinese, english
    return None


def in_language(text: str | None, language: str | None = None) -> str:
    """The half of a bilingual text for `language` (default: the active one); any other text unchanged."""
    pair = halves(text)
    if pair is None:
        return text or ""
    language = language or get_language() or settings.LANGUAGE_CODE
    return pair[1] if language.startswith("en") else pair[0]
