"""``manage.py products`` and ``manage.py quote``: the JSON contract of issue 8, and clear errors."""

import io
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import translation

from promos.demo import PRODUCTS
from promos.management.commands.quote import Command as QuoteCommand
from tiers.models import RevenueCategory

from .factories import OrderFlagFactory, quarter_revenue


@pytest.fixture(autouse=True)
def _english():
    """The messages as written (a command speaks the active language; the locale files translate them)."""
    with translation.override("en"):
        yield


PRODUCT_KEYS = {"code", "name", "family", "subfamily", "unit", "list_prices"}


def run(*args) -> dict | list:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def quote(seed, partner, *items, as_of="2026-11-15", flags=()):
    args = ["quote", "--tenant", seed.tenant.slug, "--partner", partner.external_ref]
    if as_of:
        args += ["--as-of", as_of]
    for flag in flags:
        args += ["--flag", flag]
    return run(*args, *items)


# --- products ------------------------------------------------------------------------------------------


def test_products_prints_the_catalogue_with_a_price_per_partner_type(seed):
    data = run("products", "--tenant", seed.tenant.slug)

    assert [p["code"] for p in data] == [p["code"] for p in PRODUCTS]
    assert all(set(p) == PRODUCT_KEYS for p in data)
    by_code = {p["code"]: p for p in data}
    assert by_code["SIP-TOUCH"] == {
        "code": "SIP-TOUCH",
        "name": "SIP Trunk Touch",
        "family": "sip_trunk",
        "subfamily": "",
        "unit": "monthly",
        "list_prices": {"ambassador": "27.00", "operator": "22.00"},
    }
    assert by_code["FIBRE-100M"]["subfamily"] == "fibre"
    assert by_code["SIP-VOLUME"]["list_prices"] == {"operator": "100.00"}  # not sold to Ambassadeurs
    assert by_code["PORTABILITE"]["unit"] == "per_number"
    assert by_code["SIP-CANAL"]["list_prices"] == {"ambassador": "1.50", "operator": "1.50"}


def test_products_of_another_tenant_never_show(world, seed):
    assert run("products", "--tenant", world.b.tenant.slug) == []


def test_products_of_an_unknown_tenant(db):
    with pytest.raises(CommandError, match="No tenant 'nope'"):
        call_command("products", "--tenant", "nope", stdout=io.StringIO())


# --- quote ---------------------------------------------------------------------------------------------


def test_quote_prints_the_priced_basket(seed):
    partner = seed.partner("ambassador", tier="business")
    quarter_revenue(partner, "600")

    data = quote(seed, partner, "SIP-TOUCH=1", "SIP-CANAL=3", "PORTABILITE=11", "SIP-CANAL=2", "FAS=1")

    assert data == {
        "partner": partner.external_ref,
        "tier": "business",
        "lines": [
            {
                "code": "SIP-TOUCH",
                "quantity": 1,
                "list_unit_price": "27.00",
                "unit_price": "19.99",
                "total": "19.99",
                "promotions": [{"title": "SIP Trunk Touch à 19,99 € HT", "effect": "19.99 instead of 27.00"}],
            },
            {
                "code": "SIP-CANAL",
                "quantity": 5,  # the same code twice adds up
                "list_unit_price": "1.50",
                "unit_price": "1.50",
                "total": "7.50",
                "promotions": [],
            },
            {
                "code": "PORTABILITE",
                "quantity": 11,
                "list_unit_price": "9.00",
                "unit_price": "7.00",
                "total": "77.00",
                "promotions": [
                    {
                        "title": "Portabilités : grille préférentielle Business",
                        "effect": "7.00 instead of 9.00",
                    }
                ],
            },
            {
                "code": "FAS",
                "quantity": 1,
                "list_unit_price": "150.00",
                "unit_price": "150.00",
                "total": "150.00",
                "promotions": [],
            },
        ],
        "monthly_total": "27.49",
        "one_off_total": "227.00",
    }


def test_quote_explains_percentages_in_order(seed):
    partner = seed.partner("operator", tier="premium")
    quarter_revenue(partner, "2000", category=RevenueCategory.RECURRING)

    (voip, fibre) = quote(seed, partner, "FIBRE-100M=2", "VOIP-LIGNE=1")["lines"]

    assert (fibre["unit_price"], fibre["total"]) == ("273.60", "547.20")
    assert fibre["promotions"] == [
        {"title": "10 % sur les liens Data avec une offre VoIP ou Com'Unifiées", "effect": "-10% (320.00 -> 288.00)"},
        {"title": "5 % supplémentaires sur la fibre (hors FTTH)", "effect": "-5% (288.00 -> 273.60)"},
    ]  # fmt: skip
    assert voip["promotions"] == []


def test_quote_as_of_reads_the_quarter_before_that_day(seed):
    partner = seed.partner("ambassador", tier="business")
    quarter_revenue(partner, "600")  # July to September 2026

    november = quote(seed, partner, "PORTABILITE=11", as_of="2026-11-15")
    january = quote(seed, partner, "PORTABILITE=11", as_of="2027-01-10")

    assert november["lines"][0]["unit_price"] == "7.00"
    assert january["lines"][0]["unit_price"] == "9.00"  # October to December: no orders


def test_quote_prices_on_the_tenants_today_by_default(seed):
    partner = seed.partner("ambassador", tier="business")
    quarter_revenue(partner, "600")

    with time_machine.travel("2026-12-31 12:00:00+01:00", tick=False):
        december = quote(seed, partner, "PORTABILITE=11", as_of=None)
    with time_machine.travel("2027-01-01 12:00:00+01:00", tick=False):
        january = quote(seed, partner, "PORTABILITE=11", as_of=None)

    assert december["lines"][0]["unit_price"] == "7.00"
    assert january["lines"][0]["unit_price"] == "9.00"


def test_quote_takes_repeated_flags(seed):
    OrderFlagFactory(tenant=seed.tenant, code="urgent")
    partner = seed.partner("operator", tier="business")
    quarter_revenue(partner, "1500", category=RevenueCategory.RECURRING)

    waived = quote(seed, partner, "FAS=2", flags=["urgent", "migration-vga"])
    paid = quote(seed, partner, "FAS=2", flags=["urgent"])

    assert (waived["lines"][0]["total"], waived["one_off_total"]) == ("0.00", "0.00")
    assert waived["lines"][0]["promotions"][0]["effect"] == "0.00 instead of 120.00"
    assert (paid["lines"][0]["total"], paid["one_off_total"]) == ("240.00", "240.00")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("VM-S=0", "'VM-S=0': the quantity of VM-S must be a whole number from 1 to 100000."),
        ("VM-S=abc", "'VM-S=abc': the quantity of VM-S must be a whole number"),
        ("VM-S=1.5", "'VM-S=1.5': the quantity of VM-S must be a whole number"),
        ("VM-S=", "'VM-S=': the quantity of VM-S must be a whole number"),
        ("VM-S=-1", "'VM-S=-1': the quantity of VM-S must be a whole number"),
        ("VM-S=٣", "the quantity of VM-S must be a whole number"),
        ("VM-S=100001", "the quantity of VM-S must be a whole number from 1 to 100000."),
        ("VM-S", "'VM-S': write each product as CODE=QUANTITY, e.g. SIP-TOUCH=2."),
        ("=3", "'=3': write each product as CODE=QUANTITY"),
    ],
)
def test_quote_refuses_a_bad_quantity(seed, item, message):
    partner = seed.partner("ambassador")

    with pytest.raises(CommandError) as raised:
        quote(seed, partner, "SIP-TOUCH=1", item)

    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tenant": "nope"}, "No tenant 'nope'"),
        ({"partner": "P-NOPE"}, "No partner 'P-NOPE' in tenant 'alpha'."),
        ({"items": ["VM-XXL=1"]}, "There is no product VM-XXL in the catalogue."),
        ({"items": ["SIP-VOLUME=1"]}, "SIP-VOLUME is not sold to Alpha ambassador partners."),
        ({"items": ["VM-S=60000", "VM-S=60000"]}, "The quantity of VM-S must be a whole number"),
        ({"as_of": "2026-13-01"}, "--as-of '2026-13-01' is not a date: write it YYYY-MM-DD."),
        ({"as_of": "15/11/2026"}, "--as-of '15/11/2026' is not a date"),
        ({"flags": ["urgent"]}, "There is no order flag urgent."),
        ({"items": []}, "the following arguments are required: CODE=QTY"),
    ],
)
def test_quote_errors_are_clear(seed, change, message):
    partner = seed.partner("ambassador")
    args = {"tenant": seed.tenant.slug, "partner": partner.external_ref, "as_of": "2026-11-15"}
    args |= {k: v for k, v in change.items() if k in args}
    argv = ["quote", "--tenant", args["tenant"], "--partner", args["partner"], "--as-of", args["as_of"]]
    for flag in change.get("flags", ()):
        argv += ["--flag", flag]

    with pytest.raises(CommandError) as raised:
        call_command(*argv, *change.get("items", ["VM-S=1"]), stdout=io.StringIO())

    assert message in str(raised.value)


def test_quote_does_not_price_another_tenants_partner(world, seed):
    intruder = world.b.partner

    with pytest.raises(CommandError, match=f"No partner '{intruder.external_ref}' in tenant 'alpha'."):
        call_command(
            "quote", "--tenant", "alpha", "--partner", intruder.external_ref, "VM-S=1", stdout=io.StringIO()
        )


def test_an_error_exits_non_zero_from_the_command_line(seed, capsys):
    """As ``manage.py quote`` runs it: the message on stderr, exit status 1."""
    partner = seed.partner("ambassador")

    with pytest.raises(SystemExit) as exited:
        QuoteCommand().run_from_argv(
            [
                "manage.py",
                "quote",
                "--tenant",
                seed.tenant.slug,
                "--partner",
                partner.external_ref,
                "VM-S=abc",
            ]
        )

    assert exited.value.code == 1
    assert "the quantity of VM-S must be a whole number" in capsys.readouterr().err
