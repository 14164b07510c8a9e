"""A saved quote (*devis*) as a branded PDF: every line's list price, the promotions applied and what they
did, the final unit price and total, the monthly and one-off totals.

Rendered with ``partnerportal.pdf.render_pdf``, which reads nothing but the shipped fonts and the assets
handed to it (here the tenant's logo): the partner's text reaches the template through Django's autoescaping
and the page fetches nothing. It is rendered in the active language (the reader's, in a request).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.template.loader import render_to_string

from partnerportal.pdf import css_colour, logo_asset, render_pdf

from . import selectors
from .effects import Effect, stored_effect
from .models import Product, Quote, QuoteLine


@dataclass(frozen=True)
class PrintedLine:
    line: QuoteLine
    effects: list[Effect] = field(default_factory=list)

    @property
    def list_total(self) -> Decimal:
        return self.line.list_unit_price * self.line.quantity

    @property
    def discounted(self) -> bool:
        return self.line.unit_price < self.line.list_unit_price


def quote_pdf(quote: Quote) -> bytes:
    """The PDF of ``quote`` (fetched through its partner by the caller), in the active language."""
    lines = [
        PrintedLine(line, [stored_effect(p) for p in line.promotions if isinstance(p, dict)])
        for line in quote.lines.all()
    ]
    names = (
        {flag.code: flag.name for flag in selectors.order_flag_list(tenant=quote.tenant)}
        if quote.flags
        else {}
    )

    def saving(billing: str) -> Decimal:
        return sum((p.list_total - p.line.total for p in lines if p.line.billing == billing), Decimal("0"))

    assets = logo_asset(quote.tenant)
    context = {
        "quote": quote,
        "tenant": quote.tenant,
        "colours": {
            "primary": css_colour(quote.tenant.primary_colour, "#1f3a93"),
            "accent": css_colour(quote.tenant.accent_colour, "#f39c12"),
        },
        "partner": quote.partner,
        "lines": lines,
        "flags": [names.get(code, code) for code in quote.flags],
        "monthly_saving": saving(Product.Billing.MONTHLY),
        "one_off_saving": saving(Product.Billing.ONE_OFF),
        "has_logo": "logo" in assets,
    }
    html = render_to_string("promos/pdf/quote.html", context)
    css = render_to_string("promos/pdf/quote.css", context)
    return render_pdf(html, css=css, assets=assets)
