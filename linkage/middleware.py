"""Parameters no view can use are refused (400) before any view runs:

- U+0000 in a query string or form field. NUL is never text in Linkage, and PostgreSQL cannot hold
  it: a NUL in any parameter that reaches a query (an admin list filter, a form token, a search)
  raised ValueError deep inside the ORM, a 500. JSON bodies are checked by
  linkage.parsers.LimitedJSONParser.
- A date part (`<field>__year`, `__month`, `__day`: the admin's date hierarchy) that is not a number
  of at most four digits: Django's admin catches a year out of range but not one too large for C
  (OverflowError, a 500), in our admins and in the ones other packages register.
"""

from django.http import HttpRequest, HttpResponseBadRequest
from django.utils.translation import gettext as _

NUL = "\x00"
DATE_PARTS = ("__year", "__month", "__day")


def _holds_nul(params) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in params.lists())


def _bad_date_part(params) -> bool:
    return any(
        key.endswith(DATE_PARTS) and not (value.isascii() and value.isdigit() and len(value) <= 4)
        for key, values in params.lists()
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
            return HttpResponseBadRequest(_("A year, month or day must be a number of at most four digits."))
        return self.get_response(request)
