"""Writes of the promotions app: saving a priced basket as a quote."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from partnerportal.formatting import money
from partnerportal.models import Partner, User

from . import selectors
from .effects import effect_record
from .models import Product, Quote, QuoteLine


@transaction.atomic
def quote_create(
    *,
    partner: Partner,
    by: User | None,
    quantities: list[tuple[str, int]],
    flags=(),
    as_of: dt.date | None = None,
    title: str = "",
) -> Quote:
    """Price the basket for ``partner`` and keep it, with the prices and the explanation of that day.

    The reference (``DEV-<year>-<id>``) is unique per tenant. Raises ``selectors.BasketError`` for a basket
    that cannot be priced, or whose amounts the quote's columns cannot hold; nothing is written then.
    """
    result = selectors.basket_price(partner=partner, quantities=quantities, flags=flags, as_of=as_of)
    basket = result.basket
    _check_amounts_fit(basket)
    quote = Quote.objects.create(
        tenant=partner.tenant,
        partner=partner,
        reference="",
        title=title,
        priced_on=result.standing.as_of,
        tier=result.tier,
        flags=sorted(basket.flags),
        monthly_total=basket.monthly_total,
        one_off_total=basket.one_off_total,
        created_by=by,
    )
    quote.reference = f"DEV-{quote.priced_on:%Y}-{quote.pk:06d}"
    quote.save(update_fields=["reference"])
    products = dict(
        Product.objects.filter(
            tenant=partner.tenant, code__in=[line.item.code for line in basket.lines]
        ).values_list("code", "pk")
    )
    QuoteLine.objects.bulk_create(
        QuoteLine(
            tenant=partner.tenant,
            quote=quote,
            product_id=products.get(line.item.code),
            code=line.item.code,
            name=line.item.name,
            billing=line.item.billing,
            unit=line.item.unit,
            quantity=line.quantity,
            list_unit_price=line.item.list_price,
            unit_price=line.unit_price,
            total=line.total,
            promotions=[effect_record(a) for a in line.applied],
            position=i,
        )
        for i, line in enumerate(basket.lines)
    )
    return quote


def _largest(model, field: str) -> Decimal:
    column = model._meta.get_field(field)
    return Decimal(10) ** (column.max_digits - column.decimal_places) - Decimal("0.01")


def _check_amounts_fit(basket) -> None:
    """The form allows 100,000 units of a product listed up to 99,999,999.99 €: a line of 10^13 €, past
    the 14 digits of a quote's totals. PostgreSQL refuses to write it and SQLite cannot read it back, so
    such a basket is priced on screen but not saved."""
    limit = min(
        _largest(Quote, "monthly_total"), _largest(Quote, "one_off_total"), _largest(QuoteLine, "total")
    )
    amounts = [basket.monthly_total, basket.one_off_total, *(line.total for line in basket.lines)]
    if any(amount > limit for amount in amounts):
        raise selectors.BasketError(
            _("This basket comes to more than %(limit)s: too large to be saved as one quote. Split it.")
            % {"limit": money(limit)}
        )
