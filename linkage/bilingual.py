"""Texts stored in both languages as `中文 · English` (the linkage plans' tasks, which assignments
copy, and the texts Linkage writes itself: `both`): each page shows the half in its reader's language;
the API returns the text as stored."""

import re

from django.conf import settings
from django.utils.translation import get_language, gettext, override

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


def both(message: str, params: dict | None = None) -> str:
    """A text Linkage writes itself and stores (a default task, a timeline line), in both languages:
    `message` is the English msgid (mark it with gettext_noop so it reaches the catalog), translated
    under zh-hans and under en, `params` %-formatted into each (a lazy value, such as a choice label,
    renders in that half's language; a callable is called under that language), joined
    `中文 · English` for `in_language` / `local_text` to show the reader's half. Where both halves
    come out the same (no translation), the text once.
    Returns a str; raises KeyError or TypeError like `%` when params do not fit the message."""
    texts = []
    for language in ("zh-hans", "en"):
        with override(language):
            text = gettext(message)
            if params is not None:
                text %= {key: str(value() if callable(value) else value) for key, value in params.items()}
            texts.append(text)
    chinese, english = texts
    return english if chinese == english else f"{chinese}{SEPARATOR}{english}"
