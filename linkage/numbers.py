"""Numbers from outside (API bodies, query strings, form posts, CAP files): one conversion for all.

`Decimal("1e999999999")` is a valid, finite Decimal, but the first arithmetic on it (`abs`, `quantize`)
overflows the context and raises; `float()` of it is `inf`. Every place that takes a coordinate calls
`coordinate()`, which refuses non-finite, out-of-range and absurdly written values before any
arithmetic, so such input is a 400, never a 500.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, DecimalException
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# A coordinate written in more than this many characters is not a coordinate someone typed.
MAX_NUMBER_TEXT = 40
COORDINATE_LIMITS = {"latitude": 90, "longitude": 180}
SIX_PLACES = Decimal("0.000001")
# What a number written as text may look like: ASCII digits, one optional point, an optional exponent.
# Decimal() itself also reads full-width and Arabic-Indic digits ("１２", "١٢") and underscores ("1_02"),
# which nobody types as a coordinate and other readers of the same text would not take as a number.
NUMBER_SYNTAX = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class NumberError(ValidationError):
    """Not a usable number; the message says why, in the reader's language."""


def finite_decimal(value, *, minimum: int, maximum: int) -> Decimal:
    """`value` (str, int, float or Decimal; never bool) as a finite Decimal within [minimum, maximum].

    Raises NumberError for anything else: NaN, ±Infinity, huge exponents, text that is not a number
    in ASCII decimal syntax (NUMBER_SYNTAX: no full-width or Arabic-Indic digits, no underscores, no
    "NaN"/"Infinity" words), text longer than MAX_NUMBER_TEXT, out-of-range values. No arithmetic
    happens before the range check, so no decimal signal (Overflow, InvalidOperation) can escape.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise NumberError(_("Enter a number."), code="invalid")
    if isinstance(value, str):
        value = value.strip()
        if not value or len(value) > MAX_NUMBER_TEXT or not NUMBER_SYNTAX.fullmatch(value):
            raise NumberError(_("Enter a number."), code="invalid")
    try:
        number = Decimal(value) if not isinstance(value, float) else Decimal(repr(value))
    except (DecimalException, ValueError, TypeError) as exc:
        raise NumberError(_("Enter a number."), code="invalid") from exc
    if not number.is_finite():
        raise NumberError(_("Enter a finite number."), code="invalid")
    # Comparisons are exact and never overflow (arithmetic such as abs() would).
    if number < minimum or number > maximum:
        raise NumberError(
            _("Enter a number from %(minimum)s to %(maximum)s.") % {"minimum": minimum, "maximum": maximum},
            code="range",
        )
    return number


def coordinate(value, *, axis: Literal["latitude", "longitude"]) -> Decimal:
    """A WGS 84 latitude (−90…90) or longitude (−180…180) in degrees, rounded to six places
    (about 0.1 m). Raises NumberError as `finite_decimal` does."""
    limit = COORDINATE_LIMITS[axis]
    number = finite_decimal(value, minimum=-limit, maximum=limit)
    try:
        return number.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)
    except DecimalException as exc:  # not reachable within the range; kept so no signal escapes
        raise NumberError(_("Enter a number."), code="invalid") from exc


def coordinate_or_none(value, *, axis: Literal["latitude", "longitude"]) -> Decimal | None:
    """As `coordinate`, but None for anything unusable: for hints (a plan preview), never for saving."""
    if value is None or value == "":
        return None
    try:
        return coordinate(value, axis=axis)
    except NumberError:
        return None


def both_or_neither(latitude, longitude) -> None:
    """A position is both coordinates or neither (values already parsed, None for absent). Raises
    ValidationError naming `latitude` when only one is given: the one rule for the intake form, the
    API and the services."""
    if (latitude is None) != (longitude is None):
        raise ValidationError({"latitude": _("Give both latitude and longitude, or neither.")})
