"""The price engine: every seed promotion as a worked example (seed 000, "PROMOS OPENIP"), then the engine's
rule on hand-built promotions (promos/pricing.py, no database).

The table prices through ``selectors.basket_price`` on the seed's price list (``promos.demo``) in a test
programme, on ``PRICED_ON`` (15 November 2026): the quarterly access conditions read July–September 2026.
List prices: SIP-TOUCH 27 / 22 (Ambassadeur / Opérateur), SIP-CANAL 1.50, SIP-VOLUME – / 100, METACENTREX
12 / 9.50, VOIP-LIGNE 15 / 12, UC-UTILISATEUR 8 / 6.50, SDSL-4M 149 / 119, FIBRE-100M 390 / 320, FTTH-PRO
59 / 45, VM-S 35 / 28, PORTABILITE 9 / 5 (one-off), MINUTES-1000 18 / 15, FAS 150 / 120 (one-off),
BIZBOOSTER 500 (one-off).
"""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django_scopes import scope

from promos import pricing, selectors
from promos.rules import Selector
from tiers.models import RevenueCategory

from .factories import PRICED_ON, quarter_revenue

AMB, OPE = "ambassador", "operator"
ORDERS, RECURRING = RevenueCategory.ORDERS, RevenueCategory.RECURRING


@dataclass(frozen=True)
class Case:
    """A partner (type, tier on the day, figures of the quarter before), a basket, and what it costs.

    ``prices``: per code, the unit price then the codes of the promotions the line's explanation names, in
    order (none: the list price). ``totals``: (monthly, one-off) when the row is about them.
    """

    id: str
    kind: str
    tier: str
    basket: dict[str, int]
    prices: dict[str, tuple[str, ...]]
    quarter: dict[str, str] = field(default_factory=dict)  # {category: total of the quarter}
    flags: tuple[str, ...] = ()
    totals: tuple[str, str] | None = None


CASES = [
    # --- Starter & Access, Ambassadeurs: SIP Trunk Touch 19.99 "si plus de 4 canaux ou si liens Data" ---
    Case(
        "sip-touch-5-channels",
        AMB,
        "starter",
        {"SIP-TOUCH": 1, "SIP-CANAL": 5},
        {"SIP-TOUCH": ("19.99", "sip-touch-1999"), "SIP-CANAL": ("1.50",)},
        totals=("27.49", "0.00"),
    ),
    Case(
        "sip-touch-4-channels",
        AMB,
        "starter",
        {"SIP-TOUCH": 1, "SIP-CANAL": 4},
        {"SIP-TOUCH": ("27.00",), "SIP-CANAL": ("1.50",)},
    ),
    Case(
        "sip-touch-with-a-data-link",
        AMB,
        "starter",
        {"SIP-TOUCH": 1, "FTTH-PRO": 1},
        {"SIP-TOUCH": ("19.99", "sip-touch-1999"), "FTTH-PRO": ("53.10", "data-voip-10")},
    ),
    Case("sip-touch-alone", AMB, "starter", {"SIP-TOUCH": 2}, {"SIP-TOUCH": ("27.00",)}),
    Case(
        "sip-touch-channels-of-two-lines-do-not-count-twice",
        AMB,
        "access",
        {"SIP-TOUCH": 3, "SIP-CANAL": 4},
        {"SIP-TOUCH": ("27.00",), "SIP-CANAL": ("1.50",)},
    ),
    Case(
        "sip-touch-is-for-ambassadeurs-only",
        OPE,
        "starter",
        {"SIP-TOUCH": 1, "SIP-CANAL": 5, "FTTH-PRO": 1},
        {"SIP-TOUCH": ("22.00",), "SIP-CANAL": ("1.50",), "FTTH-PRO": ("40.50", "data-voip-10")},
    ),
    # --- 10 % off data links with a VoIP or UC offer; 30 % off VMs with a VoIP offer -------------------
    Case(
        "data-links-with-voip",
        AMB,
        "starter",
        {"VOIP-LIGNE": 1, "FIBRE-100M": 1},
        {"VOIP-LIGNE": ("15.00",), "FIBRE-100M": ("351.00", "data-voip-10")},
    ),
    Case(
        "data-links-with-uc",
        AMB,
        "starter",
        {"UC-UTILISATEUR": 3, "SDSL-4M": 1},
        {"UC-UTILISATEUR": ("8.00",), "SDSL-4M": ("134.10", "data-voip-10")},
    ),
    Case(
        "data-links-with-metacentrex",
        OPE,
        "access",
        {"METACENTREX": 10, "FIBRE-100M": 1},
        {"METACENTREX": ("9.50",), "FIBRE-100M": ("288.00", "data-voip-10")},
    ),
    Case(
        "data-links-alone",
        AMB,
        "starter",
        {"FIBRE-100M": 1, "SDSL-4M": 1, "VM-S": 1},
        {"FIBRE-100M": ("390.00",), "SDSL-4M": ("149.00",), "VM-S": ("35.00",)},
    ),
    Case(
        "vms-with-voip",
        AMB,
        "starter",
        {"VOIP-LIGNE": 1, "VM-S": 2},
        {"VOIP-LIGNE": ("15.00",), "VM-S": ("24.50", "vm-voip-30")},
    ),
    Case(
        "vms-with-a-sip-trunk-operator",
        OPE,
        "starter",
        {"SIP-TOUCH": 1, "VM-S": 1},
        {"SIP-TOUCH": ("22.00",), "VM-S": ("19.60", "vm-voip-30")},
    ),
    Case(
        "vms-with-uc-alone-are-not-discounted",  # "si souscription à une offre VoIP"
        AMB,
        "starter",
        {"UC-UTILISATEUR": 1, "VM-S": 1},
        {"UC-UTILISATEUR": ("8.00",), "VM-S": ("35.00",)},
    ),
    Case(
        "the-three-starter-promos-stack",  # "Les 3 offres sont cumulables !"
        AMB,
        "starter",
        {"SIP-TOUCH": 1, "SIP-CANAL": 2, "FIBRE-100M": 1, "VM-S": 2},
        {
            "SIP-TOUCH": ("19.99", "sip-touch-1999"),
            "SIP-CANAL": ("1.50",),
            "FIBRE-100M": ("351.00", "data-voip-10"),
            "VM-S": ("24.50", "vm-voip-30"),
        },
        totals=("422.99", "0.00"),
    ),
    Case(
        "the-two-starter-promos-stack-for-operators",
        OPE,
        "starter",
        {"VOIP-LIGNE": 1, "SDSL-4M": 1, "VM-S": 1},
        {"VOIP-LIGNE": ("12.00",), "SDSL-4M": ("107.10", "data-voip-10"), "VM-S": ("19.60", "vm-voip-30")},
        totals=("138.70", "0.00"),
    ),
    # --- Business, Ambassadeurs: 600 € of orders in the quarter; portability > 10: 7 €, > 30: 5 € -----
    Case(
        "business-amb-10-numbers",
        AMB,
        "business",
        {"PORTABILITE": 10},
        {"PORTABILITE": ("9.00",)},
        quarter={ORDERS: "600"},
    ),
    Case(
        "business-amb-11-numbers",
        AMB,
        "business",
        {"PORTABILITE": 11},
        {"PORTABILITE": ("7.00", "porta-business-amb")},
        quarter={ORDERS: "600"},
        totals=("0.00", "77.00"),
    ),
    Case(
        "business-amb-30-numbers",
        AMB,
        "business",
        {"PORTABILITE": 30},
        {"PORTABILITE": ("7.00", "porta-business-amb")},
        quarter={ORDERS: "600"},
    ),
    Case(
        "business-amb-31-numbers",
        AMB,
        "business",
        {"PORTABILITE": 31},
        {"PORTABILITE": ("5.00", "porta-business-amb")},
        quarter={ORDERS: "600"},
        totals=("0.00", "155.00"),
    ),
    Case(
        "business-amb-599.99-of-orders",
        AMB,
        "business",
        {"PORTABILITE": 31},
        {"PORTABILITE": ("9.00",)},
        quarter={ORDERS: "599.99"},
    ),
    Case(
        "business-amb-recurring-revenue-is-not-orders",
        AMB,
        "business",
        {"PORTABILITE": 31},
        {"PORTABILITE": ("9.00",)},
        quarter={RECURRING: "5000"},
    ),
    Case(
        "business-amb-orders-but-access-tier",
        AMB,
        "access",
        {"PORTABILITE": 31},
        {"PORTABILITE": ("9.00",)},
        quarter={ORDERS: "5000"},
    ),
    # --- Business, Opérateurs: 1,500 € of (graded) revenue; portability > 10: 4 €, > 30: 3 € ---------
    Case(
        "business-ope-10-numbers",
        OPE,
        "business",
        {"PORTABILITE": 10},
        {"PORTABILITE": ("5.00",)},
        quarter={RECURRING: "1500"},
    ),
    Case(
        "business-ope-11-numbers",
        OPE,
        "business",
        {"PORTABILITE": 11},
        {"PORTABILITE": ("4.00", "porta-business-ope")},
        quarter={RECURRING: "1500"},
    ),
    Case(
        "business-ope-30-numbers",
        OPE,
        "business",
        {"PORTABILITE": 30},
        {"PORTABILITE": ("4.00", "porta-business-ope")},
        quarter={RECURRING: "1500"},
    ),
    Case(
        "business-ope-31-numbers",
        OPE,
        "business",
        {"PORTABILITE": 31},
        {"PORTABILITE": ("3.00", "porta-business-ope")},
        quarter={RECURRING: "1500"},
    ),
    Case(
        "business-ope-1499.99-of-revenue",
        OPE,
        "business",
        {"PORTABILITE": 31},
        {"PORTABILITE": ("5.00",)},
        quarter={RECURRING: "1499.99"},
    ),
    Case(
        "business-ope-orders-do-not-count",  # the graded revenue is recurring: orders are not revenue
        OPE,
        "business",
        {"PORTABILITE": 31},
        {"PORTABILITE": ("5.00",)},
        quarter={ORDERS: "9000", RECURRING: "1000"},
    ),
    # --- Business, Opérateurs: the SIP Trunk Touch volume offer and the VGA migration --------------------
    Case(
        "volume-offer-channels",
        OPE,
        "business",
        {"SIP-VOLUME": 1, "SIP-CANAL": 30},
        {"SIP-VOLUME": ("100.00",), "SIP-CANAL": ("0.50", "sip-volume")},
        quarter={RECURRING: "1500"},
        totals=("115.00", "0.00"),
    ),
    Case(
        "volume-offer-channels-need-the-subscription",
        OPE,
        "business",
        {"SIP-TOUCH": 1, "SIP-CANAL": 30},
        {"SIP-TOUCH": ("22.00",), "SIP-CANAL": ("1.50",)},
        quarter={RECURRING: "1500"},
    ),
    Case(
        "volume-offer-minutes-grid",
        OPE,
        "business",
        {"SIP-VOLUME": 1, "MINUTES-1000": 11},
        {"SIP-VOLUME": ("100.00",), "MINUTES-1000": ("13.50", "sip-volume")},
        quarter={RECURRING: "1500"},
    ),
    Case(
        "volume-offer-minutes-grid-needs-the-subscription",
        OPE,
        "business",
        {"MINUTES-1000": 51},
        {"MINUTES-1000": ("15.00",)},
        quarter={RECURRING: "1500"},
    ),
    Case(
        "volume-offer-below-the-condition",
        OPE,
        "business",
        {"SIP-VOLUME": 1, "SIP-CANAL": 30},
        {"SIP-VOLUME": ("100.00",), "SIP-CANAL": ("1.50",)},
        quarter={RECURRING: "1499.99"},
    ),
    Case(
        "vga-migration-waives-the-access-fee",
        OPE,
        "business",
        {"SIP-TOUCH": 1, "FAS": 1},
        {"SIP-TOUCH": ("22.00",), "FAS": ("0.00", "fas-migration-vga")},
        quarter={RECURRING: "1500"},
        flags=("migration-vga",),
        totals=("22.00", "0.00"),
    ),
    Case(
        "no-vga-migration-no-waiver",
        OPE,
        "business",
        {"SIP-TOUCH": 1, "FAS": 1},
        {"SIP-TOUCH": ("22.00",), "FAS": ("120.00",)},
        quarter={RECURRING: "1500"},
        totals=("22.00", "120.00"),
    ),
    # --- Premium, Ambassadeurs: 800 € of orders; portability 5 € -----------------------------------------
    Case(
        "premium-amb-5-numbers",
        AMB,
        "premium",
        {"PORTABILITE": 5},
        {"PORTABILITE": ("5.00", "porta-premium-amb")},
        quarter={ORDERS: "800"},
    ),
    Case(
        "premium-amb-11-numbers-premium-beats-business",
        AMB,
        "premium",
        {"PORTABILITE": 11},
        {"PORTABILITE": ("5.00", "porta-premium-amb")},
        quarter={ORDERS: "800"},
    ),
    Case(
        "premium-amb-35-numbers-tie-goes-to-the-earlier-promotion",
        AMB,
        "premium",
        {"PORTABILITE": 35},
        {"PORTABILITE": ("5.00", "porta-business-amb")},
        quarter={ORDERS: "800"},
    ),
    Case(
        "premium-amb-below-800-gets-the-business-grid",
        AMB,
        "premium",
        {"PORTABILITE": 11},
        {"PORTABILITE": ("7.00", "porta-business-amb")},
        quarter={ORDERS: "700"},
    ),
    Case(
        "premium-amb-below-800-few-numbers",
        AMB,
        "premium",
        {"PORTABILITE": 5},
        {"PORTABILITE": ("9.00",)},
        quarter={ORDERS: "700"},
    ),
    # --- Premium, Opérateurs: 2,000 € of revenue; portability 3 €, SDSL, extra 5 % on fibre, minutes -----
    Case(
        "premium-ope-portability",
        OPE,
        "premium",
        {"PORTABILITE": 2},
        {"PORTABILITE": ("3.00", "porta-premium-ope")},
        quarter={RECURRING: "2000"},
    ),
    Case(
        "premium-ope-fibre-10-then-5",  # 320 × 0.9 × 0.95, not 320 × 0.85
        OPE,
        "premium",
        {"VOIP-LIGNE": 1, "FIBRE-100M": 1},
        {"VOIP-LIGNE": ("12.00",), "FIBRE-100M": ("273.60", "data-voip-10", "fibre-premium-5")},
        quarter={RECURRING: "2000"},
    ),
    Case(
        "premium-ope-ftth-is-excluded",
        OPE,
        "premium",
        {"VOIP-LIGNE": 1, "FTTH-PRO": 1},
        {"VOIP-LIGNE": ("12.00",), "FTTH-PRO": ("40.50", "data-voip-10")},
        quarter={RECURRING: "2000"},
    ),
    Case(
        "premium-ope-sdsl-gets-the-sdsl-promo-not-the-5",  # 119 × 0.9 × 0.85 = 91.035 -> 91.04
        OPE,
        "premium",
        {"VOIP-LIGNE": 1, "SDSL-4M": 1},
        {"VOIP-LIGNE": ("12.00",), "SDSL-4M": ("91.04", "data-voip-10", "sdsl-premium")},
        quarter={RECURRING: "2000"},
    ),
    Case(
        "premium-ope-data-links-without-voip",
        OPE,
        "premium",
        {"FIBRE-100M": 1, "SDSL-4M": 1, "FTTH-PRO": 1},
        {
            "FIBRE-100M": ("304.00", "fibre-premium-5"),
            "SDSL-4M": ("101.15", "sdsl-premium"),
            "FTTH-PRO": ("45.00",),
        },
        quarter={RECURRING: "2000"},
    ),
    Case(
        "premium-ope-below-2000-gets-business-only",
        OPE,
        "premium",
        {"VOIP-LIGNE": 1, "FIBRE-100M": 1, "PORTABILITE": 11},
        {
            "VOIP-LIGNE": ("12.00",),
            "FIBRE-100M": ("288.00", "data-voip-10"),
            "PORTABILITE": ("4.00", "porta-business-ope"),
        },
        quarter={RECURRING: "1999.99"},
    ),
    Case(
        "premium-ope-minutes-premium-tiers",  # alone: 13.00 beats the volume grid's 13.50
        OPE,
        "premium",
        {"SIP-VOLUME": 1, "MINUTES-1000": 25},
        {"SIP-VOLUME": ("100.00",), "MINUTES-1000": ("13.00", "minutes-premium")},
        quarter={RECURRING: "2000"},
    ),
    Case(
        "premium-ope-minutes-volume-grid-wins",  # the cumulative set's 12.00 beats 13.00 alone
        OPE,
        "premium",
        {"SIP-VOLUME": 1, "MINUTES-1000": 60},
        {"SIP-VOLUME": ("100.00",), "MINUTES-1000": ("12.00", "sip-volume")},
        quarter={RECURRING: "2000"},
    ),
    Case(
        "premium-ope-minutes-premium-without-subscription",
        OPE,
        "premium",
        {"MINUTES-1000": 101},
        {"MINUTES-1000": ("11.00", "minutes-premium")},
        quarter={RECURRING: "2000"},
    ),
    # --- monthly and one-off totals apart ----------------------------------------------------------------
    Case(
        "monthly-and-one-off-totals",
        AMB,
        "business",
        {"SIP-TOUCH": 1, "SIP-CANAL": 5, "PORTABILITE": 11, "FAS": 1, "BIZBOOSTER": 1},
        {
            "SIP-TOUCH": ("19.99", "sip-touch-1999"),
            "SIP-CANAL": ("1.50",),
            "PORTABILITE": ("7.00", "porta-business-amb"),
            "FAS": ("150.00",),
            "BIZBOOSTER": ("500.00",),
        },
        quarter={ORDERS: "600"},
        totals=("27.49", "727.00"),
    ),
]


def price(seed, case: Case):
    partner = seed.partner(case.kind, tier=case.tier)
    for category, total in case.quarter.items():
        quarter_revenue(partner, total, category=category)
    with scope(tenant=partner.tenant_id):
        return selectors.basket_price(
            partner=partner, quantities=list(case.basket.items()), flags=case.flags, as_of=PRICED_ON
        )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_seed_promotions(seed, case):
    result = price(seed, case)
    lines = {line.item.code: line for line in result.basket.lines}

    got = {
        code: (str(line.unit_price), *(a.promotion.code for a in line.applied))
        for code, line in lines.items()
    }
    assert got == case.prices
    for code, line in lines.items():
        assert line.quantity == case.basket[code]
        assert line.total == line.unit_price * line.quantity
    assert result.tier.code == case.tier
    assert result.basket.monthly_total + result.basket.one_off_total == sum(
        line.total for line in lines.values()
    )
    if case.totals:
        assert (str(result.basket.monthly_total), str(result.basket.one_off_total)) == case.totals


# --- the engine's rule, on hand-built promotions (no database) -----------------------------------------


def item(code="X", list_price="27.00", family="vm", subfamily="", billing="monthly"):
    return pricing.Item(code, code, family, subfamily, "monthly", billing, Decimal(list_price))


def promo(n, *rules, stackable=True):
    return pricing.Promotion(n, f"p{n}", f"Promotion {n}", stackable, tuple(rules))


def fixed(price, targets="vm", **kwargs):
    return pricing.Rule("fixed_price", (Selector(family=targets),), unit_price=Decimal(price), **kwargs)


def off(percent, targets="vm", **kwargs):
    return pricing.Rule("percent_off", (Selector(family=targets),), percent=Decimal(percent), **kwargs)


def one_line(line_item, quantity, *promotions, flags=()):
    basket = pricing.Basket((pricing.Line(line_item, quantity),), frozenset(flags))
    return pricing.price_basket(basket, list(promotions)).lines[0]


def test_the_unit_price_is_rounded_half_up_once_then_multiplied():
    line = one_line(item(list_price="0.50"), 7, promo(1, off("10")), promo(2, off("5")))

    # 0.50 × 0.9 × 0.95 = 0.4275 -> 0.43 each; 7 × 0.43 = 3.01 (not 7 × 0.4275 = 2.99)
    assert (line.unit_price, line.total) == (Decimal("0.43"), Decimal("3.01"))


def test_percentages_are_not_rounded_between_them():
    line = one_line(item(list_price="1.05"), 1, promo(1, off("50")), promo(2, off("50")))

    assert line.unit_price == Decimal("0.26")  # 0.2625; rounding after each step would give 0.27


def test_half_a_cent_rounds_up():
    assert one_line(item(list_price="0.25"), 1, promo(1, off("50"))).unit_price == Decimal("0.13")
    assert one_line(item(list_price="0.35"), 1, promo(1, off("50"))).unit_price == Decimal("0.18")


def test_a_price_above_the_list_price_is_ignored():
    line = one_line(item(list_price="27.00"), 2, promo(1, fixed("30.00")))

    assert (line.unit_price, line.total, line.applied) == (Decimal("27.00"), Decimal("54.00"), ())


def test_the_lowest_price_of_the_cumulative_promotions_wins_and_the_first_on_a_tie():
    lowest = one_line(item(), 1, promo(1, fixed("25.00")), promo(2, fixed("20.00")), promo(3, fixed("22.00")))
    tie = one_line(item(), 1, promo(1, fixed("20.00")), promo(2, fixed("20.00")))

    assert [(a.promotion.code, a.after) for a in lowest.applied] == [("p2", Decimal("20.00"))]
    assert [a.promotion.code for a in tie.applied] == ["p1"]


def test_100_percent_off_gives_zero():
    line = one_line(item(list_price="27.00"), 3, promo(1, off("100")))

    assert (line.unit_price, line.total) == (Decimal("0.00"), Decimal("0.00"))
    assert line.applied[0].effect == "-100% (27.00 -> 0.00)"


def test_the_explanation_gives_the_price_first_then_the_percentages_in_the_promotions_order():
    line = one_line(
        item(list_price="320.00"), 1, promo(1, off("10")), promo(2, fixed("300.00")), promo(3, off("5"))
    )

    assert [(a.promotion.code, a.kind, a.before, a.after) for a in line.applied] == [
        ("p2", "price", Decimal("320.00"), Decimal("300.00")),
        ("p1", "percent", Decimal("300.00"), Decimal("270.00")),
        ("p3", "percent", Decimal("270.00"), Decimal("256.50")),
    ]
    assert [a.effect for a in line.applied] == [
        "300.00 instead of 320.00",
        "-10% (300.00 -> 270.00)",
        "-5% (270.00 -> 256.50)",
    ]
    assert [a.saving for a in line.applied] == [Decimal("20.00"), Decimal("30.00"), Decimal("13.50")]
    assert line.saving == Decimal("63.50")


@pytest.mark.parametrize(
    ("percent", "effect"),
    [
        ("12.5", "-12.5% (27.00 -> 23.63)"),
        ("10.00", "-10% (27.00 -> 24.30)"),
        ("0.01", "-0.01% (27.00 -> 27.00)"),
    ],
)
def test_a_percentage_effect_reads_without_trailing_zeros(percent, effect):
    assert one_line(item(list_price="27.00"), 1, promo(1, off(percent))).applied[0].effect == effect


def test_a_non_stacking_promotion_applies_alone_where_it_is_better():
    stacking = promo(1, off("10"))
    alone = promo(2, fixed("20.00"), stackable=False)
    worse = promo(3, fixed("26.00"), stackable=False)

    better = one_line(item(list_price="27.00"), 1, stacking, alone, worse)
    cumulative = one_line(item(list_price="27.00"), 1, stacking, worse)

    assert (better.unit_price, [a.promotion.code for a in better.applied]) == (Decimal("20.00"), ["p2"])
    assert (cumulative.unit_price, [a.promotion.code for a in cumulative.applied]) == (
        Decimal("24.30"),
        ["p1"],
    )


def test_on_a_tie_the_cumulative_set_comes_first_then_the_promotions_order():
    cumulative = promo(1, fixed("20.00"))
    first, second = promo(2, fixed("20.00"), stackable=False), promo(3, fixed("20.00"), stackable=False)

    assert [a.promotion.code for a in one_line(item(), 1, second, first, cumulative).applied] == ["p1"]
    assert [a.promotion.code for a in one_line(item(), 1, second, first).applied] == ["p3"]


def test_a_price_grid_gives_the_highest_step_reached():
    grid = pricing.Rule(
        "price_grid", (Selector(family="portability"),), steps=((10, Decimal("7.00")), (30, Decimal("5.00")))
    )
    number = item("PORTA", "9.00", family="portability")

    assert [one_line(number, n, promo(1, grid)).unit_price for n in (10, 11, 30, 31)] == [
        Decimal("9.00"),
        Decimal("7.00"),
        Decimal("7.00"),
        Decimal("5.00"),
    ]


def test_a_price_grid_counts_what_it_prices_not_what_it_excludes():
    grid = pricing.Rule(
        "price_grid",
        (Selector(family="data_link"),),
        excluded=(Selector(family="data_link", subfamily="ftth"),),
        steps=((2, Decimal("80.00")),),
    )
    fibre = item("FIBRE", "100.00", family="data_link", subfamily="fibre")
    ftth = item("FTTH", "50.00", family="data_link", subfamily="ftth")

    def fibre_price(fibres, ftths):
        basket = pricing.Basket((pricing.Line(fibre, fibres), pricing.Line(ftth, ftths)))
        return pricing.price_basket(basket, [promo(1, grid)]).lines[0].unit_price

    assert fibre_price(2, 5) == Decimal("100.00")  # two fibre links: not more than 2
    assert fibre_price(3, 0) == Decimal("80.00")


def test_an_unlocked_price_needs_its_subscription_and_a_waiver_its_flag():
    channel = item("CANAL", "1.50", family="channel")
    subscription = item("VOLUME", "100.00", family="sip_trunk")
    fee = item("FAS", "120.00", family="access_fee", billing="one_off")
    unlocked = promo(
        1,
        pricing.Rule(
            "unlocked_price", (Selector(family="channel"),), unit_price=Decimal("0.5"), unlocked_by="VOLUME"
        ),
    )
    waiver = promo(2, pricing.Rule("fee_waiver", (Selector(family="access_fee"),), flag="vga"))

    def priced(*lines, flags=()):
        basket = pricing.Basket(tuple(pricing.Line(i, q) for i, q in lines), frozenset(flags))
        return {line.item.code: line for line in pricing.price_basket(basket, [unlocked, waiver]).lines}

    assert priced((channel, 30))["CANAL"].unit_price == Decimal("1.50")
    assert priced((channel, 30), (subscription, 1))["CANAL"].total == Decimal("15.00")
    assert priced((fee, 1))["FAS"].unit_price == Decimal("120.00")
    waived = priced((fee, 1), flags=["vga"])["FAS"]
    assert (waived.unit_price, waived.applied[0].effect) == (Decimal("0.00"), "0.00 instead of 120.00")


def test_the_basket_totals_monthly_and_one_off_apart():
    basket = pricing.Basket(
        (
            pricing.Line(item("A", "10.00"), 3),
            pricing.Line(item("B", "2.50", billing="one_off"), 4),
            pricing.Line(item("C", "1.25"), 1),
        )
    )

    priced = pricing.price_basket(basket, [promo(1, off("10", targets="vm"))])

    assert (priced.monthly_total, priced.one_off_total) == (Decimal("28.13"), Decimal("9.00"))
    assert [line.total for line in priced.lines] == [Decimal("27.00"), Decimal("9.00"), Decimal("1.13")]
    assert priced.saving == Decimal("4.12")


def test_an_empty_basket_costs_nothing():
    priced = pricing.price_basket(pricing.Basket(()), [promo(1, off("10"))])

    assert (priced.lines, priced.monthly_total, priced.one_off_total) == (
        (),
        Decimal("0.00"),
        Decimal("0.00"),
    )
