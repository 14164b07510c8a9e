"""A saved quote (*devis*) as a branded PDF: every line's list price, the promotions applied and what they
did, the final unit price and total, the monthly and one-off totals.

Rendered with ``partnerportal.pdf.render_pdf``, which reads nothing but the shipped fonts and the assets
handed to it (here the tenant's logo): the partner's text reaches the template through Django's autoescaping
and the page fetches nothing. It is rendered in the active language (the reader's, in a request).
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.storage import default_storage
from django.template.loader import render_to_string

from partnerportal.models import Tenant
from partnerportal.pdf import Asset, render_pdf

from . import selectors
from .effects import Effect, stored_effect
from .models import Product, Quote, QuoteLine

# The logo is read as documents.content.logo_asset reads it. promos sits below documents in the layers and
# must not import it, and partnerportal.pdf is not this module's to change: the few lines are repeated here.
LOGO_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}

SVG_TEXT_LENGTH = re.compile(rb"""\s(?:textLength|lengthAdjust)=(?:"[^"]*"|'[^']*')""")


def logo_asset(tenant: Tenant) -> dict[str, Asset]:
    """``{"logo": Asset}`` from the tenant's uploaded logo, or nothing (the quote then prints its name).

    The bytes are read here and handed to the renderer, which fetches nothing itself: an SVG logo that points
    elsewhere (``<image href="http://…">``) gets nothing.
    """
    if not tenant.logo:
        return {}
    content_type = LOGO_TYPES.get(tenant.logo.name.rsplit(".", 1)[-1].lower())
    if content_type is None:
        return {}
    try:
        with default_storage.open(tenant.logo.name, "rb") as handle:
            body = handle.read(2_000_000)
    except OSError:
        return {}
    if content_type == "image/svg+xml":
        # WeasyPrint 70 squeezes every <tspan> after the first to nothing when its <text> has a textLength.
        body = SVG_TEXT_LENGTH.sub(b"", body)
    return {"logo": Asset(body, content_type)}


def css_colour(value: str, default: str) -> str:
    """``value`` when it is a #RRGGBB colour, else ``default``: the tenant's colours are the only settings
    that go into the quote's stylesheet, and the model's validators do not guard every write."""
    return value if re.fullmatch(r"#[0-9a-fA-F]{6}", value or "") else default


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
