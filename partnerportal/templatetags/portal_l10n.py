"""Template builtins (settings.TEMPLATES "builtins"): `date` with the French "1er", and `money`.

Loaded after Django's own filters, this library's `date` replaces the stock one in every template, so
`{{ day|date:"DATE_FORMAT" }}` reads "1er janvier 2026" in French without any template knowing it.
"""

from django import template
from django.utils import dateformat

from partnerportal import formatting

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    if value in (None, ""):
        return ""
    try:
        return formatting.date_format(value, arg)
    except AttributeError:
        try:
            return dateformat.format(value, arg)
        except AttributeError:
            return ""


@register.filter(is_safe=False)
def money(value, arg=None):
    """`{{ amount|money }}` → "1 234,56 €" / "€1,234.56"; `|money:0` without cents."""
    decimals = 2 if arg in (None, "") else int(arg)
    return formatting.money(value, decimals=decimals)
