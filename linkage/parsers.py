"""The API's JSON parser: DRF's, with limits on what a body may hold.

Python's json module recurses once per nesting level, so a 2 KB body of a thousand `[` raises
RecursionError (a 500) before any serializer sees it; and strings holding U+0000 or a lone surrogate
(`"\\ud800"`) parse fine but cannot be stored in PostgreSQL or even encoded as UTF-8, so they fail
later, deep in a query. Both are refused here, for every JSON endpoint at once (it is the default
parser in REST_FRAMEWORK), with a 400 that says why.
"""

import json

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No Linkage request body nests deeper than three levels; thirty-two leaves room and stays far
# below the interpreter's recursion limit.
MAX_JSON_DEPTH = 32


def check_json_value(value, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Walk a parsed JSON value (iteratively: no recursion of our own) and raise ValueError if it nests
    deeper than `max_depth` containers, or any string or key holds U+0000 or a lone surrogate."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > max_depth:
                raise ValueError(_("The JSON nests deeper than %(depth)d levels.") % {"depth": max_depth})
            for key, child in item.items():
                _check_string(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > max_depth:
                raise ValueError(_("The JSON nests deeper than %(depth)d levels.") % {"depth": max_depth})
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _check_string(item)


def _check_string(text: str) -> None:
    if "\x00" in text:
        raise ValueError(_("A JSON string holds U+0000, which is not text."))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(_("A JSON string holds a lone surrogate, which is not text.")) from exc


class LimitedJSONParser(JSONParser):
    """JSONParser that answers too-deep nesting, NUL and lone surrogates with a 400 (ParseError)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("The JSON nests deeper than %(depth)d levels.") % {"depth": MAX_JSON_DEPTH}) from exc
        try:
            check_json_value(data)
        except ValueError as exc:
            raise ParseError(str(exc)) from exc
        return data


def loads_limited(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH):
    """json.loads for any body Linkage parses outside DRF (a socket frame): raises ValueError for
    malformed JSON, NaN/Infinity literals, too-deep nesting, NUL and lone surrogates."""

    def refuse_constant(name: str):
        raise ValueError(f"{name} is not JSON")

    try:
        data = json.loads(text, parse_constant=refuse_constant)
    except RecursionError as exc:
        raise ValueError(_("The JSON nests deeper than %(depth)d levels.") % {"depth": max_depth}) from exc
    check_json_value(data, max_depth=max_depth)
    return data
