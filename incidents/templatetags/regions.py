"""`{% region "<id>" %}`: the attributes that make an element a live page region (incidents/regions.py)."""

from django import template
from django.utils.html import format_html

from incidents.regions import ALL

register = template.Library()


@register.simple_tag(takes_context=True)
def region(context, name: str, pk: int | None = None) -> str:
    """`id`, `hx-get` (this page, its query kept, with `region=<name>`), `hx-trigger` and `hx-swap` for
    region `name`; `pk` for a region with a key (one per object: `{% region "board-incident" incident.pk %}`).
    Raises `KeyError` for a region the table does not have (a template mistake)."""
    spec = ALL[name]
    request = context["request"]
    query = request.GET.copy()
    query["region"] = name
    if spec.key:
        query[spec.key] = str(int(pk))
    return format_html(
        'id="{}" data-region hx-get="{}?{}" hx-trigger="{}" hx-swap="outerHTML"',
        spec.element_id(pk),
        request.path,
        query.urlencode(),
        spec.trigger(pk),
    )
