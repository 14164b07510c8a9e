"""Which promotions a partner may use on a day, and why not (promos/selectors.py); baskets and their errors.

Eligibility: an active partner, its type, its tier on the day (``tiers.selectors.tier_on``), the promotion's
validity dates, and the quarterly access condition over the calendar quarter before the day: ``orders`` for
Ambassadeurs, the graded revenue (the tenant's qualifying categories) for Opérateurs.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_scopes import scope, scopes_disabled

from partnerportal.models import Partner
from promos import selectors
from promos.models import Product, Promotion
from tests.benefits.factories import assess
from tests.tiers.factories import GradingPolicyFactory, add_entries
from tiers.models import RevenueCategory

from .factories import PRICED_ON, PromotionFactory, quarter_revenue, seed_programme

ORDERS, RECURRING, USAGE = RevenueCategory.ORDERS, RevenueCategory.RECURRING, RevenueCategory.USAGE
AMB_PROMOS = {"sip-touch-1999", "data-voip-10", "vm-voip-30", "porta-business-amb", "porta-premium-amb"}
OPE_PROMOS = {
    "data-voip-10",
    "vm-voip-30",
    "porta-business-ope",
    "sip-volume",
    "fas-migration-vga",
    "porta-premium-ope",
    "sdsl-premium",
    "fibre-premium-5",
    "minutes-premium",
}
STARTER = {"sip-touch-1999", "data-voip-10", "vm-voip-30"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def standing(partner: Partner, as_of: dt.date = PRICED_ON) -> selectors.Standing:
    with scope(tenant=partner.tenant_id):
        return selectors.promotion_standing(partner=partner, as_of=as_of)


def listed(partner: Partner, as_of: dt.date = PRICED_ON) -> set[str]:
    return {s.promotion.code for s in standing(partner, as_of).statuses}


def eligible(partner: Partner, as_of: dt.date = PRICED_ON) -> set[str]:
    return {s.promotion.code for s in standing(partner, as_of).eligible}


def status(partner: Partner, code: str, as_of: dt.date = PRICED_ON) -> selectors.PromotionStatus:
    return next(s for s in standing(partner, as_of).statuses if s.promotion.code == code)


# --- type, tier, condition -----------------------------------------------------------------------------


def test_each_partner_type_sees_its_own_promotions(seed):
    ambassador, operator = seed.partner("ambassador"), seed.partner("operator")

    assert listed(ambassador) == AMB_PROMOS
    assert listed(operator) == OPE_PROMOS
    assert eligible(ambassador) == STARTER
    assert eligible(operator) == STARTER - {"sip-touch-1999"}


def test_a_promotion_without_partner_types_is_for_every_type(seed):
    PromotionFactory(tenant=seed.tenant, code="for-all", min_tier=seed.tiers["starter"])

    assert "for-all" in eligible(seed.partner("ambassador")) & eligible(seed.partner("operator"))


def test_promotions_come_in_the_order_of_their_tiers_then_positions(seed):
    codes = [s.promotion.code for s in standing(seed.partner("operator", tier="premium")).statuses]

    assert codes == [
        "data-voip-10",
        "vm-voip-30",
        "porta-business-ope",
        "sip-volume",
        "fas-migration-vga",
        "porta-premium-ope",
        "sdsl-premium",
        "fibre-premium-5",
        "minutes-premium",
    ]


def test_the_tier_is_the_one_on_the_day(seed):
    partner = seed.programme.partner("ambassador")
    assess(partner, seed.tiers["access"], dt.date(2026, 1, 1))
    assess(partner, seed.tiers["business"], dt.date(2026, 7, 1))
    add_entries(partner, [(dt.date(2026, 6, 1), ORDERS, Decimal("600"))])  # Q2: the quarter before 1 July

    on_june_30 = standing(partner, dt.date(2026, 6, 30))
    on_july_1 = standing(partner, dt.date(2026, 7, 1))

    assert on_june_30.tier.code == "access" and on_july_1.tier.code == "business"
    assert status(partner, "porta-business-amb", dt.date(2026, 6, 30)).missing == [
        "From the Business tier.",
        "Orders taken from January 2026 to March 2026: €0.00, where €600.00 are needed.",
    ]
    assert eligible(partner, dt.date(2026, 7, 1)) == STARTER | {"porta-business-amb"}


def test_a_higher_tier_keeps_the_lower_tiers_promotions(seed):
    partner = seed.partner("ambassador", tier="premium")
    quarter_revenue(partner, "800")

    assert eligible(partner) == AMB_PROMOS


@pytest.mark.parametrize(
    ("amount", "eligible_too"),
    [
        ("599.99", set()),
        ("600", {"porta-business-amb"}),
        ("800", {"porta-business-amb", "porta-premium-amb"}),
    ],
)
def test_the_quarterly_orders_of_ambassadeurs(seed, amount, eligible_too):
    partner = seed.partner("ambassador", tier="premium")
    quarter_revenue(partner, amount)

    assert eligible(partner) == STARTER | eligible_too
    assert status(partner, "porta-business-amb").quarter_amount == Decimal(amount)


def test_the_graded_revenue_of_operateurs_is_the_qualifying_categories_only(seed):
    partner = seed.partner("operator", tier="business")
    quarter_revenue(partner, "1000", category=RECURRING)
    quarter_revenue(partner, "5000", category=ORDERS)
    quarter_revenue(partner, "500", category=USAGE)

    assert status(partner, "porta-business-ope").quarter_amount == Decimal("1000")
    assert not status(partner, "porta-business-ope").eligible

    GradingPolicyFactory(tenant=seed.tenant, qualifying_categories=[RECURRING, USAGE])

    assert status(partner, "porta-business-ope").quarter_amount == Decimal("1500")
    assert status(partner, "porta-business-ope").eligible


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (dt.date(2026, 11, 15), (dt.date(2026, 7, 1), dt.date(2026, 9, 1))),
        (dt.date(2026, 10, 1), (dt.date(2026, 7, 1), dt.date(2026, 9, 1))),
        (dt.date(2026, 12, 31), (dt.date(2026, 7, 1), dt.date(2026, 9, 1))),
        (dt.date(2026, 9, 30), (dt.date(2026, 4, 1), dt.date(2026, 6, 1))),
        (dt.date(2027, 1, 1), (dt.date(2026, 10, 1), dt.date(2026, 12, 1))),
        (dt.date(2027, 3, 31), (dt.date(2026, 10, 1), dt.date(2026, 12, 1))),
        (dt.date(2027, 4, 1), (dt.date(2027, 1, 1), dt.date(2027, 3, 1))),
    ],
)
def test_the_quarter_before_a_day(day, quarter):
    assert selectors.quarter_before(day) == quarter


def test_only_the_quarter_before_counts(seed):
    partner = seed.partner("ambassador", tier="business")
    add_entries(
        partner,
        [
            (dt.date(2026, 6, 1), ORDERS, Decimal("600")),  # two quarters ago
            (dt.date(2026, 7, 1), ORDERS, Decimal("200")),
            (dt.date(2026, 9, 1), ORDERS, Decimal("399.99")),
            (dt.date(2026, 10, 1), ORDERS, Decimal("600")),  # this quarter
            (dt.date(2026, 11, 1), ORDERS, Decimal("600")),
        ],
    )

    assert status(partner, "porta-business-amb").quarter_amount == Decimal("599.99")
    assert "porta-business-amb" not in eligible(partner)


def test_in_january_the_quarter_is_october_to_december_of_the_year_before(seed):
    partner = seed.partner("ambassador", tier="business")
    add_entries(
        partner,
        [
            (dt.date(2026, 9, 1), ORDERS, Decimal("1000")),
            (dt.date(2026, 10, 1), ORDERS, Decimal("250")),
            (dt.date(2026, 12, 1), ORDERS, Decimal("350")),
            (dt.date(2027, 1, 1), ORDERS, Decimal("1000")),
        ],
    )
    january = dt.date(2027, 1, 10)

    assert standing(partner, january).quarter == (dt.date(2026, 10, 1), dt.date(2026, 12, 1))
    assert status(partner, "porta-business-amb", january).quarter_amount == Decimal("600")
    assert "porta-business-amb" in eligible(partner, january)


# --- validity ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "listed_then"),
    [
        (dt.date(2026, 11, 9), False),
        (dt.date(2026, 11, 10), True),  # valid_from, inclusive
        (dt.date(2026, 11, 20), True),  # valid_until, inclusive
        (dt.date(2026, 11, 21), False),
    ],
)
def test_validity_dates_are_inclusive(seed, day, listed_then):
    with scopes_disabled():
        Promotion.objects.filter(tenant=seed.tenant, code="sip-touch-1999").update(
            valid_from=dt.date(2026, 11, 10), valid_until=dt.date(2026, 11, 20)
        )
    partner = seed.partner("ambassador")

    assert ("sip-touch-1999" in listed(partner, day)) is listed_then
    assert ("sip-touch-1999" in eligible(partner, day)) is listed_then


def test_an_open_ended_promotion_has_no_end_and_no_start(seed):
    with scopes_disabled():
        Promotion.objects.filter(tenant=seed.tenant).update(valid_from=None, valid_until=None)

    assert eligible(seed.partner("ambassador"), dt.date(1999, 1, 1)) == STARTER
    assert eligible(seed.partner("ambassador"), dt.date(2099, 1, 1)) == STARTER


def test_an_inactive_promotion_is_not_listed(seed):
    with scopes_disabled():
        Promotion.objects.filter(tenant=seed.tenant, code="vm-voip-30").update(is_active=False)

    assert listed(seed.partner("ambassador")) == AMB_PROMOS - {"vm-voip-30"}


# --- partners ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status_", [Partner.Status.SUSPENDED, Partner.Status.TERMINATED, Partner.Status.APPLICANT]
)
def test_a_partner_that_is_not_active_may_use_no_promotion(seed, status_):
    partner = seed.partner("ambassador", tier="business", status=status_)
    quarter_revenue(partner, "600")

    result = standing(partner)

    assert result.eligible == []
    assert all("Your partnership is not active." in s.missing for s in result.statuses)


def test_another_tenants_promotions_never_show(world, seed):
    other = seed_programme(
        tenant=world.b.tenant, ambassador=world.b.partner_type, operator=world.b.operator_type
    )
    partner = seed.partner("ambassador")
    intruder = other.partner("ambassador")

    assert {s.promotion.tenant_id for s in standing(partner).statuses} == {seed.tenant.pk}
    assert {s.promotion.tenant_id for s in standing(intruder).statuses} == {world.b.tenant.pk}


def test_within_reach_says_what_is_missing(seed):
    partner = seed.partner("ambassador", tier="business")
    quarter_revenue(partner, "599.99")

    result = standing(partner)

    assert [s.promotion.code for s in result.within_reach] == ["porta-business-amb"]
    assert result.within_reach[0].missing == [
        "Orders taken from July 2026 to September 2026: €599.99, where €600.00 are needed."
    ]
    assert [s.promotion.code for s in result.next_tier_unlocks] == ["porta-premium-amb"]
    assert result.next_tier.code == "premium"


def test_the_next_tier_of_an_access_partner_unlocks_the_business_promotions(seed):
    result = standing(seed.partner("operator", tier="access"))

    assert result.within_reach == []
    assert result.next_tier.code == "business"
    assert [s.promotion.code for s in result.next_tier_unlocks] == [
        "porta-business-ope",
        "sip-volume",
        "fas-migration-vga",
    ]


def test_the_top_tier_has_nothing_more_to_unlock(seed):
    partner = seed.partner("operator", tier="premium")
    quarter_revenue(partner, "2000", category=RECURRING)

    result = standing(partner)

    assert result.next_tier is None and result.next_tier_unlocks == [] and result.within_reach == []
    assert {s.promotion.code for s in result.eligible} == OPE_PROMOS


def test_a_partner_never_assessed_is_at_the_entry_tier(seed):
    partner = seed.programme.partner("ambassador")

    assert standing(partner).tier.code == "starter"
    assert eligible(partner) == STARTER


def test_the_entitlements_section_lists_the_eligible_promotions(seed):
    partner = seed.partner("operator", tier="business")
    quarter_revenue(partner, "1500", category=RECURRING)

    with scope(tenant=partner.tenant_id):
        section = selectors.entitlements_promotions(partner=partner, as_of=PRICED_ON)

    assert [p["code"] for p in section] == [
        "data-voip-10",
        "vm-voip-30",
        "porta-business-ope",
        "sip-volume",
        "fas-migration-vga",
    ]
    assert set(section[0]) == {"code", "title"}


# --- baskets -------------------------------------------------------------------------------------------


def price(partner, quantities, flags=(), as_of=PRICED_ON):
    with scope(tenant=partner.tenant_id):
        return selectors.basket_price(partner=partner, quantities=quantities, flags=flags, as_of=as_of)


def test_lines_come_in_the_catalogues_order_and_the_same_code_adds_up(seed):
    partner = seed.partner("ambassador")

    result = price(partner, [("VM-S", 1), ("SIP-CANAL", 2), ("SIP-TOUCH", 1), ("SIP-CANAL", 3)])

    assert [(line.item.code, line.quantity) for line in result.basket.lines] == [
        ("SIP-TOUCH", 1),
        ("SIP-CANAL", 5),
        ("VM-S", 1),
    ]
    assert result.basket.lines[0].unit_price == Decimal("19.99")  # 2 + 3 channels: more than 4


@pytest.mark.parametrize(
    ("quantities", "flags", "message"),
    [
        ([("VM-XXL", 1)], (), "There is no product VM-XXL in the catalogue."),
        ([("SIP-VOLUME", 1)], (), "SIP-VOLUME is not sold to Alpha ambassador partners."),
        ([("VM-S", 0)], (), "The quantity of VM-S must be a whole number from 1 to 100000."),
        ([("VM-S", -1)], (), "The quantity of VM-S must be a whole number from 1 to 100000."),
        ([("VM-S", 1.5)], (), "The quantity of VM-S must be a whole number from 1 to 100000."),
        ([("VM-S", True)], (), "The quantity of VM-S must be a whole number from 1 to 100000."),
        ([("VM-S", "2")], (), "The quantity of VM-S must be a whole number from 1 to 100000."),
        ([("VM-S", 100_001)], (), "The quantity of VM-S must be a whole number from 1 to 100000."),
        ([("VM-S", 60_000), ("VM-S", 60_000)], (), "The quantity of VM-S must be a whole number"),
        ([], (), "The basket is empty: add at least one product."),
        ([("VM-S", 1)], ("migration-vga", "urgent"), "There is no order flag urgent."),
    ],
)
def test_a_basket_that_cannot_be_priced(seed, quantities, flags, message):
    with pytest.raises(selectors.BasketError) as raised:
        price(seed.partner("ambassador"), quantities, flags)

    assert message in str(raised.value)


def test_an_inactive_product_or_another_tenants_is_not_in_the_catalogue(world, seed):
    seed_programme(tenant=world.b.tenant, ambassador=world.b.partner_type, operator=world.b.operator_type)
    with scopes_disabled():
        Product.objects.filter(tenant=seed.tenant, code="VM-S").update(is_active=False)
        Product.objects.filter(tenant=world.b.tenant, code="FAS").update(code="FAS-B")

    for code in ("VM-S", "FAS-B"):
        with pytest.raises(selectors.BasketError, match=f"There is no product {code} in the catalogue."):
            price(seed.partner("ambassador"), [(code, 1)])


def test_the_flags_of_a_priced_basket(seed):
    partner = seed.partner("operator", tier="business")
    quarter_revenue(partner, "1500", category=RECURRING)

    result = price(partner, [("FAS", 1)], flags=["migration-vga", "migration-vga"])

    assert result.basket.flags == frozenset({"migration-vga"})
    assert result.basket.one_off_total == Decimal("0.00")


def test_pricing_reads_a_fixed_number_of_queries(seed, django_assert_max_num_queries):
    partner = seed.partner("operator", tier="premium")
    quarter_revenue(partner, "2000", category=RECURRING)
    small = [("VM-S", 1)]
    large = [
        (code, 3)
        for code in (
            "SIP-VOLUME",
            "SIP-CANAL",
            "VOIP-LIGNE",
            "SDSL-4M",
            "FIBRE-100M",
            "FTTH-PRO",
            "VM-S",
            "PORTABILITE",
            "MINUTES-1000",
            "FAS",
        )
    ]
    with scopes_disabled():  # as the portal has it: the partner, its tenant and its type loaded
        partner = Partner.objects.select_related("tenant", "partner_type").get(pk=partner.pk)

    with scope(tenant=partner.tenant_id):
        selectors.basket_price(
            partner=partner, quantities=small, as_of=PRICED_ON
        )  # the tiers' catalogue, cached
        with CaptureQueriesContext(connection) as few:
            selectors.basket_price(partner=partner, quantities=small, as_of=PRICED_ON)
        with django_assert_max_num_queries(len(few)):
            result = selectors.basket_price(
                partner=partner, quantities=large, flags=["migration-vga"], as_of=PRICED_ON
            )

    assert len(few) == 7  # the basket's size and the promotions' rules do not add queries
    assert len(result.basket.lines) == 10 and len(result.standing.eligible) == len(OPE_PROMOS)


def test_a_rule_left_stale_by_a_catalogue_change_gives_nothing_instead_of_failing(seed, caplog):
    """A manager renames a product (or an order flag) that a saved rule names: pricing goes on without it."""
    partner = seed.partner("operator", tier="business")
    quarter_revenue(partner, "1500", category=RECURRING)
    with scopes_disabled():
        Product.objects.filter(tenant=seed.tenant, code="SIP-VOLUME").update(code="SIP-VOLUME-2")

    result = price(
        partner,
        [("SIP-VOLUME-2", 1), ("MINUTES-1000", 60), ("SIP-CANAL", 30), ("VM-S", 1), ("VOIP-LIGNE", 1)],
    )

    prices = {line.item.code: line.unit_price for line in result.basket.lines}
    assert prices["MINUTES-1000"] == Decimal("15.00")  # "has SIP-VOLUME": that rule no longer parses
    assert prices["SIP-CANAL"] == Decimal("0.50")  # unlocked_by is a foreign key: it follows the rename
    assert prices["VM-S"] == Decimal("19.60")  # the other promotions still apply
    assert "Promotion sip-volume: rule" in caplog.text and "“SIP-VOLUME” is neither" in caplog.text
