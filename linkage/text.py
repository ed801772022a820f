"""Free text from people (titles, notes, reasons, addresses, task texts): one cleaning for all.

`str.strip()` removes spaces but not zero-width spaces, bidi controls or other format characters,
so a decline "reason" of three U+200B was accepted and showed as nothing. `clean_text` normalises to
NFC, removes control and format characters (and other invisible fillers) at both ends, refuses
control characters inside (newline and tab are kept in multi-line text), and refuses text in which
nothing visible is left.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Characters that draw nothing although their category says letter or symbol: the blank fillers
# used to fake "empty" names. (Variation selectors and other marks are not visible on their own by
# category; they are kept at the end of a text, where they belong to the character before.)
INVISIBLE = frozenset(
    "\u115f\u1160"  # Hangul choseong / jungseong fillers
    "\u17b4\u17b5"  # Khmer inherent vowels
    "\u2800"  # braille pattern blank
    "\u3164"  # Hangul filler
    "\uffa0"  # halfwidth Hangul filler
)
# Categories that are never visible on their own: controls, format, surrogates, unassigned, private
# use, separators (spaces, line and paragraph separators).
_BLANK_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Co", "Zs", "Zl", "Zp"})
_MULTILINE_CONTROLS = frozenset("\n\t")


def _blank(char: str) -> bool:
    """Draws nothing at the edge of a text: whitespace, control, format, unassigned or a filler."""
    return char in INVISIBLE or unicodedata.category(char) in _BLANK_CATEGORIES or char.isspace()


def _visible(char: str) -> bool:
    return not _blank(char) and unicodedata.category(char)[0] in "LNPS"


def clean_text(value, *, field: str, required: bool, limit: int, multiline: bool = False) -> str:
    """The text people will read, or ValidationError({field: message}).

    `value` None is "". Not a str → "Must be text." Lone surrogates or control characters other than
    newline and tab (those only when `multiline`; in one-line text they become spaces) → refused.
    Returned text is NFC, with no blank, control or format characters at either end, and at most
    `limit` characters (counted after cleaning). Text with nothing visible left is "" — refused
    when `required`.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Must be text.")})
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError({field: _("Contains characters that are not text.")}) from exc
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    if not multiline:
        value = value.replace("\n", " ").replace("\t", " ")
    if any(unicodedata.category(char) == "Cc" and char not in _MULTILINE_CONTROLS for char in value):
        raise ValidationError({field: _("Contains control characters.")})
    start, end = 0, len(value)
    while start < end and _blank(value[start]):
        start += 1
    while end > start and _blank(value[end - 1]):
        end -= 1
    value = value[start:end]
    if not any(_visible(char) for char in value):
        value = ""
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError({field: _("At most %(limit)d characters.") % {"limit": limit}})
    return value
