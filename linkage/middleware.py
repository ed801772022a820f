"""Parameters no view can use are refused (400) before any view runs:

- U+0000 in a query string or form field. NUL is never text in Linkage, and PostgreSQL cannot hold
  it: a NUL in any parameter that reaches a query (an admin list filter, a form token, a search)
  raised ValueError deep inside the ORM, a 500. JSON bodies are checked by
  linkage.parsers.LimitedJSONParser.
- A date part (`<field>__year`, `__month`, `__day`: the admin's date hierarchy) that is not a number
  within the calendar (year 1–9998, month 1–12, day 1–31): Django's admin catches some of these but
  not all (a year too large for C was an OverflowError, a year 0 a ValueError: 500s), in our admins and
  in the ones other packages register.
"""

from django.http import HttpRequest, HttpResponseBadRequest
from django.utils.translation import gettext as _

NUL = "\x00"
DATE_PARTS = ("__year", "__month", "__day")


def _holds_nul(params) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in params.lists())


# The calendar's range for each part: a year 0 (or 0000), a month 13, a day 32 cannot be a date, and
# Django's date hierarchy turned some of them into a ValueError (a 500) rather than its own refusal.
# The year stops at 9998: the hierarchy filters up to the start of the next year (or month, or day),
# which for 9999 is past what Python's dates hold (another 500).
DATE_PART_RANGES = {"__year": (1, 9998), "__month": (1, 12), "__day": (1, 31)}


def _good_date_part(suffix: str, value: str) -> bool:
    low, high = DATE_PART_RANGES[suffix]
    return value.isascii() and value.isdigit() and len(value) <= 4 and low <= int(value) <= high


def _bad_date_part(params) -> bool:
    """Whether any `<field>__year/__month/__day` is not a plain ASCII number within the calendar's range
    (year 1–9998, month 1–12, day 1–31; a February 31 is left to the admin, which refuses it itself)."""
    return any(
        key.endswith(suffix) and not _good_date_part(suffix, value)
        for key, values in params.lists()
        for suffix in DATE_PARTS
        for value in values
    )


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        # request.POST reads only form bodies (urlencoded, multipart); a JSON body is left to its parser.
        if _holds_nul(request.GET) or (request.method == "POST" and _holds_nul(request.POST)):
            return HttpResponseBadRequest(_("The request holds a NUL character, which is not text."))
        if _bad_date_part(request.GET):
            return HttpResponseBadRequest(_("A year must be 1 to 9998, a month 1 to 12 and a day 1 to 31."))
        return self.get_response(request)
