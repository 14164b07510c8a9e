"""Dates and money written the way each language writes them.

- Dates: French writes the first day of a month as an ordinal, "1er janvier 2026", which no Django format
  string can express; `date_format` adds it. The template filter `date` is replaced by one calling it
  (partnerportal/templatetags/portal_l10n.py, a template builtin), so every `|date:"…"` gets it.
- Money: "1 234,56 €" in French and "€1,234.56" in English. The position of the symbol is a translation
  (pgettext "money"), so a new language sets it in its catalogue; the digits follow Django's formats.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import dateformat, formats, translation
from django.utils.translation import pgettext

CURRENCY_SYMBOLS = {"EUR": "€"}
_CENT = Decimal("0.01")


def _with_french_ordinal(fmt: str, value) -> str:
    """`fmt` with its day of month ("j") written "1er" when `value` is the first of a month, in French."""
    if getattr(value, "day", None) != 1 or not (translation.get_language() or "").startswith("fr"):
        return fmt
    out, escaped = [], False
    for char in fmt:
        if escaped:
            out.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "j":
            out.append(r"1\e\r")
        else:
            out.append(char)
    return "".join(out)


def date_format(value, fmt: str | None = None) -> str:
    """Like django.utils.formats.date_format (a format name or a format string), with "1er" in French."""
    if value in (None, ""):
        return ""
    fmt = formats.get_format(fmt or "DATE_FORMAT")
    fmt = _with_french_ordinal(fmt, value)
    if isinstance(value, dt.datetime | dt.date):
        return dateformat.format(value, fmt)
    return dateformat.time_format(value, fmt)


def money(amount, currency: str = "EUR", *, decimals: int = 2) -> str:
    """An amount with its currency in the active language: "1 234,56 €" / "€1,234.56"; "" for None."""
    if amount in (None, ""):
        return ""
    try:
        value = Decimal(str(amount)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return ""
    digits = formats.number_format(abs(value), decimals, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    # Translators: how an amount is written with its currency symbol; French "%(amount)s %(symbol)s".
    text = pgettext("money", "%(symbol)s%(amount)s") % {"amount": digits, "symbol": symbol}
    text = text.replace(" ", "\xa0")  # never split the amount from its symbol
    return ("-" + text) if value < 0 else text
