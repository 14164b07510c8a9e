"""What one promotion did to a line, as the pages word it and as a saved quote keeps it.

The calculator reads it from the engine (``pricing.Applied``); a saved quote keeps it as JSON in
``QuoteLine.promotions`` (``effect_record``) and reads it back (``stored_effect``), so that both say it the
same way, in the reader's language (``promos/_effect.html``). ``effect`` stays in the record: it is the
language-neutral form ``manage.py quote`` prints.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.template.loader import render_to_string

from .pricing import Applied, cents


@dataclass(frozen=True)
class Effect:
    """``kind`` is "price" (``after`` instead of ``before``), "percent" (``percent`` off, ``before`` ->
    ``after``), or "" for a record this code cannot read, shown as it was saved (``text``)."""

    title: str
    kind: str
    before: Decimal | None = None
    after: Decimal | None = None
    percent: Decimal | None = None
    text: str = ""

    def render(self) -> str:
        return render_to_string("promos/_effect.html", {"effect": self})


def applied_effect(applied: Applied) -> Effect:
    return Effect(
        title=applied.promotion.title,
        kind=applied.kind,
        before=cents(applied.before),
        after=cents(applied.after),
        percent=applied.percent,
    )


def effect_record(applied: Applied) -> dict:
    """The JSON a saved quote line keeps for one promotion applied (amounts as strings)."""
    return {
        "title": applied.promotion.title,
        "kind": applied.kind,
        "before": str(cents(applied.before)),
        "after": str(cents(applied.after)),
        "percent": None if applied.percent is None else str(applied.percent),
        "saving": str(cents(applied.saving)),
        "effect": applied.effect,
    }


def _decimal(value) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None


def stored_effect(record: dict) -> Effect:
    title, kind = str(record.get("title", "")), record.get("kind")
    before, after, percent = (_decimal(record.get(k)) for k in ("before", "after", "percent"))
    if kind == "price" and before is not None and after is not None:
        return Effect(title, "price", before, after)
    if kind == "percent" and None not in (before, after, percent):
        return Effect(title, "percent", before, after, percent)
    return Effect(title, "", text=str(record.get("effect", "")))
