"""Saving a priced basket as a quote (promos/services.py): the prices and explanation of that day, kept."""

import datetime as dt
from decimal import Decimal

import pytest
from django_scopes import scope, scopes_disabled

from promos import services
from promos.models import Product, ProductPrice, Quote, QuoteLine
from promos.selectors import BasketError
from tests.benefits.factories import assess

from .factories import PRICED_ON, quarter_revenue

BASKET = [("SIP-TOUCH", 1), ("SIP-CANAL", 5), ("PORTABILITE", 11), ("FAS", 1)]


@pytest.fixture
def partner(world, seed):
    """Tenant A's partner (an Ambassadeur), Business since July 2026 with 600 € of orders in Q3."""
    assess(world.a.partner, seed.tiers["business"], dt.date(2026, 7, 1))
    quarter_revenue(world.a.partner, "600")
    return world.a.partner


def create(partner, by, quantities=BASKET, **kwargs):
    with scope(tenant=partner.tenant_id):
        return services.quote_create(partner=partner, by=by, quantities=quantities, as_of=PRICED_ON, **kwargs)


def rows():
    with scopes_disabled():
        return Quote.objects.count(), QuoteLine.objects.count()


def test_a_quote_keeps_the_lines_promotions_and_totals(world, partner):
    quote = create(partner, world.a.admin, flags=["migration-vga"], title="Cabinet Morel")

    with scopes_disabled():
        quote = Quote.objects.select_related("tier").get(pk=quote.pk)
        lines = list(
            quote.lines.values(
                "code",
                "name",
                "billing",
                "unit",
                "quantity",
                "list_unit_price",
                "unit_price",
                "total",
                "promotions",
                "position",
                "product__code",
            )
        )

    assert (quote.tenant, quote.partner, quote.created_by, quote.title) == (
        world.a.tenant,
        partner,
        world.a.admin,
        "Cabinet Morel",
    )
    assert (quote.priced_on, quote.tier.code, quote.flags) == (PRICED_ON, "business", ["migration-vga"])
    assert (quote.monthly_total, quote.one_off_total) == (Decimal("27.49"), Decimal("227.00"))
    assert lines == [
        {
            "code": "SIP-TOUCH",
            "name": "SIP Trunk Touch",
            "billing": "monthly",
            "unit": "monthly",
            "quantity": 1,
            "list_unit_price": Decimal("27.00"),
            "unit_price": Decimal("19.99"),
            "total": Decimal("19.99"),
            "promotions": [
                {
                    "title": "SIP Trunk Touch à 19,99 € HT",
                    "kind": "price",
                    "before": "27.00",
                    "after": "19.99",
                    "percent": None,
                    "saving": "7.01",
                    "effect": "19.99 instead of 27.00",
                }
            ],
            "position": 0,
            "product__code": "SIP-TOUCH",
        },
        {
            "code": "SIP-CANAL",
            "name": "Canal SIP Trunk",
            "billing": "monthly",
            "unit": "per_channel",
            "quantity": 5,
            "list_unit_price": Decimal("1.50"),
            "unit_price": Decimal("1.50"),
            "total": Decimal("7.50"),
            "promotions": [],
            "position": 1,
            "product__code": "SIP-CANAL",
        },
        {
            "code": "PORTABILITE",
            "name": "Portabilité d'un numéro",
            "billing": "one_off",
            "unit": "per_number",
            "quantity": 11,
            "list_unit_price": Decimal("9.00"),
            "unit_price": Decimal("7.00"),
            "total": Decimal("77.00"),
            "promotions": [
                {
                    "title": "Portabilités : grille préférentielle Business",
                    "kind": "price",
                    "before": "9.00",
                    "after": "7.00",
                    "percent": None,
                    "saving": "2.00",
                    "effect": "7.00 instead of 9.00",
                }
            ],
            "position": 2,
            "product__code": "PORTABILITE",
        },
        {
            "code": "FAS",
            "name": "Frais d'accès aux services",
            "billing": "one_off",
            "unit": "one_off",
            "quantity": 1,
            "list_unit_price": Decimal("150.00"),
            "unit_price": Decimal("150.00"),  # the VGA waiver is for Opérateurs
            "total": Decimal("150.00"),
            "promotions": [],
            "position": 3,
            "product__code": "FAS",
        },
    ]


def test_the_reference_is_dev_year_id_and_unique(world, partner):
    first, second = create(partner, world.a.admin), create(partner, None)

    assert first.reference == f"DEV-2026-{first.pk:06d}"
    assert second.reference == f"DEV-2026-{second.pk:06d}" != first.reference
    assert second.created_by is None


def test_the_year_of_the_reference_is_the_day_priced_on(world, partner):
    with scope(tenant=partner.tenant_id):
        quote = services.quote_create(
            partner=partner, by=None, quantities=[("VM-S", 1)], as_of=dt.date(2027, 1, 5)
        )

    assert quote.reference == f"DEV-2027-{quote.pk:06d}"
    assert quote.priced_on == dt.date(2027, 1, 5)


def test_a_quote_keeps_its_prices_when_the_price_list_changes(world, partner):
    quote = create(partner, world.a.admin)
    with scopes_disabled():
        ProductPrice.objects.filter(tenant=world.a.tenant).update(list_price=Decimal("1000"))
        Product.objects.filter(tenant=world.a.tenant, code="FAS").delete()
        lines = dict(QuoteLine.objects.filter(quote=quote).values_list("code", "total"))
        product = QuoteLine.objects.get(quote=quote, code="FAS").product

    assert lines == {
        "SIP-TOUCH": Decimal("19.99"),
        "SIP-CANAL": Decimal("7.50"),
        "PORTABILITE": Decimal("77.00"),
        "FAS": Decimal("150.00"),
    }
    assert product is None  # the line outlives the product


@pytest.mark.parametrize(
    ("quantities", "flags"),
    [
        ([("SIP-TOUCH", 1), ("VM-XXL", 1)], ()),
        ([("SIP-TOUCH", 1), ("SIP-VOLUME", 1)], ()),
        ([("SIP-TOUCH", 0)], ()),
        ([], ()),
        (BASKET, ("urgent",)),
    ],
    ids=["unknown-product", "not-sold-to-the-type", "zero", "empty", "unknown-flag"],
)
def test_a_basket_error_writes_nothing(world, partner, quantities, flags):
    before = rows()

    with pytest.raises(BasketError):
        create(partner, world.a.admin, quantities=quantities, flags=flags)

    assert rows() == before == (0, 0)
