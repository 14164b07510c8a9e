"""The rule language (promos/rules.py) and the validation of rules as data (PromotionRule.clean()).

Managers write rules in the back-office; a rule that cannot work is refused on save with a message naming
the line or the word at fault, never evaluated (no ``eval``).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django_scopes import scope

from partnerportal.models import Tenant
from promos import pricing, rules
from promos.models import OrderFlag, Product, Promotion, PromotionRule
from promos.rules import Condition, Selector
from tests.partnerportal.factories import TenantFactory
from tests.tiers.factories import TierFactory

from .factories import OrderFlagFactory, ProductFactory, PromotionFactory

CODES = ("SIP-TOUCH", "SIP-VOLUME", "FAS")
FLAGS = ("migration-vga",)


@pytest.fixture(autouse=True)
def _english():
    """The messages as written; the translations are the locale files' business."""
    with translation.override("en"):
        yield


def item(code, family, subfamily="", billing="monthly"):
    return pricing.Item(code, code, family, subfamily, "monthly", billing, Decimal("10.00"))


TOUCH = item("SIP-TOUCH", "sip_trunk")
CHANNEL = item("SIP-CANAL", "channel")
FIBRE = item("FIBRE-100M", "data_link", "fibre")
FTTH = item("FTTH-PRO", "data_link", "ftth")


def basket(*lines, flags=()):
    return pricing.Basket(tuple(pricing.Line(i, q) for i, q in lines), frozenset(flags))


def conditions(text):
    return rules.parse_conditions(text, product_codes=CODES, flag_codes=FLAGS)


# --- selectors -----------------------------------------------------------------------------------------


def test_selectors_name_families_sub_families_and_product_codes():
    parsed = rules.parse_selectors(" data_link/fibre,SIP-TOUCH , vm,", product_codes=CODES)

    assert parsed == (
        Selector(family="data_link", subfamily="fibre"),
        Selector(product="SIP-TOUCH"),
        Selector(family="vm"),
    )
    assert [str(s) for s in parsed] == ["data_link/fibre", "SIP-TOUCH", "vm"]


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        (Selector(family="data_link"), {"FIBRE-100M", "FTTH-PRO"}),
        (Selector(family="data_link", subfamily="ftth"), {"FTTH-PRO"}),
        (Selector(product="SIP-TOUCH"), {"SIP-TOUCH"}),
        (Selector(family="sip_trunk"), {"SIP-TOUCH"}),
        (Selector(family="vm"), set()),
    ],
)
def test_a_selector_matches_its_family_sub_family_or_code(selector, matches):
    items = (TOUCH, CHANNEL, FIBRE, FTTH)

    assert {i.code for i in items if i.matches([selector])} == matches


def test_a_rule_targets_what_its_selectors_match_except_what_it_excludes():
    rule = pricing.Rule(
        kind="percent_off",
        targets=(Selector(family="data_link"),),
        excluded=(Selector(family="data_link", subfamily="ftth"),),
        percent=Decimal("5"),
    )

    assert rule.applies_to(FIBRE) and not rule.applies_to(FTTH) and not rule.applies_to(TOUCH)


# --- conditions ----------------------------------------------------------------------------------------


def test_has_holds_when_the_basket_holds_a_matching_product():
    (has,) = conditions("has data_link, SIP-TOUCH")

    assert has.holds(basket((FTTH, 1)))
    assert has.holds(basket((TOUCH, 1)))
    assert not has.holds(basket((CHANNEL, 9)))


@pytest.mark.parametrize(
    ("text", "holds_from"),
    [("quantity channel > 4", 5), ("quantity channel >= 4", 4), ("quantity channel>4", 5)],
)
def test_quantity_counts_the_basket_against_the_bound(text, holds_from):
    (condition,) = conditions(text)

    assert not condition.holds(basket((CHANNEL, holds_from - 1), (TOUCH, 10)))
    assert condition.holds(basket((CHANNEL, holds_from)))


def test_quantity_adds_up_every_matching_line():
    (condition,) = conditions("quantity data_link > 4")

    assert condition.holds(basket((FIBRE, 2), (FTTH, 3)))
    assert not condition.holds(basket((FIBRE, 2), (FTTH, 2)))


def test_flag_holds_when_the_order_carries_it():
    (condition,) = conditions("flag migration-vga")

    assert condition == Condition("flag", flag="migration-vga", text="flag migration-vga")
    assert condition.holds(basket((TOUCH, 1), flags=["migration-vga"]))
    assert not condition.holds(basket((TOUCH, 1)))


def test_one_condition_per_line_blank_lines_and_spaces_ignored_keyword_in_any_case():
    parsed = conditions("  HAS   data_link \n\n Quantity channel > 4\n")

    assert [(c.kind, c.minimum, c.text) for c in parsed] == [
        ("has", 0, "HAS data_link"),
        ("quantity", 5, "Quantity channel > 4"),
    ]


@pytest.mark.parametrize(
    ("match_any", "lines", "holds"),
    [
        (True, ((CHANNEL, 5),), True),  # more than 4 channels
        (True, ((FTTH, 1),), True),  # or a data link
        (True, ((CHANNEL, 4), (TOUCH, 1)), False),
        (False, ((CHANNEL, 5),), False),  # all: both needed
        (False, ((CHANNEL, 5), (FTTH, 1)), True),
    ],
)
def test_a_rule_needs_any_or_all_of_its_conditions(match_any, lines, holds):
    rule = pricing.Rule(
        kind="fixed_price",
        targets=(Selector(product="SIP-TOUCH"),),
        conditions=conditions("quantity channel > 4\nhas data_link"),
        match_any=match_any,
        unit_price=Decimal("19.99"),
    )

    assert rule.conditions_hold(basket(*lines)) is holds


def test_a_rule_without_conditions_always_holds():
    rule = pricing.Rule(kind="percent_off", targets=(Selector(family="vm"),), percent=Decimal("1"))

    assert rule.conditions_hold(basket()) and rule.conditions_hold(basket((TOUCH, 1)))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("owns data_link", "Line 1: “owns data_link” is not a condition"),
        ("has", "Line 1: “has” is not a condition"),
        ("has data_link\nquantity channel 4", "Line 2: “quantity channel 4” is not a condition"),
        ("quantity channel > ٤", "Line 1: “quantity channel > ٤” is not a condition"),
        ("quantity channel > 4.5", "is not a condition"),
        ("quantity > 4", "is not a condition"),
        ("has ,", "Line 1: “has ,” is not a condition"),
        ("quantity , > 4", "Line 1: “quantity , > 4” is not a condition"),
        ("\n\nhas telex", "Line 3: “telex” is neither a product family"),
        ("has data_link/adsl", "Line 1: “data_link/adsl”: data_link has no sub-family “adsl”"),
        ("flag migration", "Line 1: there is no order flag “migration” (known: migration-vga)"),
        ("quantity channel > 2000000", "Line 1: the quantity 2000000 is too large"),
    ],
)
def test_a_malformed_condition_names_its_line(text, fragment):
    with pytest.raises(ValidationError) as raised:
        conditions(text)

    assert fragment in raised.value.messages[0]


# --- steps ---------------------------------------------------------------------------------------------


def test_steps_are_sorted_and_their_prices_have_two_decimals():
    assert rules.parse_steps("30 = 5\n\n> 10 = 7,5\n") == ((10, "7.50"), (30, "5.00"))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("10 7.00", "Line 1: “10 7.00”: write “more than N = price”"),
        ("ten = 7.00", "Line 1: “ten = 7.00”"),
        ("10 = 7.001", "Line 1: “10 = 7.001”"),
        ("10 = -7", "Line 1: “10 = -7”"),
        ("-10 = 7", "Line 1: “-10 = 7”"),
        ("10 = 1e2", "Line 1: “10 = 1e2”"),
        ("10 = NaN", "Line 1: “10 = NaN”"),
        ("10 =", "Line 1: “10 =”"),
        ("١٠ = 7.00", "Line 1: “١٠ = 7.00”"),  # non-ASCII digits
        ("10 = ٧", "Line 1: “10 = ٧”"),
        ("10 = 7.00\n10 = 6.00", "Line 2: the quantity 10 has two prices"),
        ("10 = 7.00\n010 = 6.00", "Line 2: the quantity 010 has two prices"),
        ("2000000 = 1.00", "Line 1: this step is too large"),
    ],
)
def test_a_malformed_step_names_its_line(text, fragment):
    with pytest.raises(ValidationError) as raised:
        rules.parse_steps(text)

    assert fragment in raised.value.messages[0]


# --- rules as data, validated on save ------------------------------------------------------------------


@dataclass
class Shop:
    """A tenant with a few products, an order flag and a promotion; another tenant with its own."""

    tenant: Tenant
    promotion: Promotion
    subscription: Product
    one_off: Product
    flag: OrderFlag
    other_product: Product
    other_flag: OrderFlag


@pytest.fixture
def shop(db) -> Shop:
    tenant, other = TenantFactory(), TenantFactory()
    ProductFactory(tenant=tenant, code="SIP-TOUCH", family="sip_trunk")
    ProductFactory(tenant=tenant, code="FIBRE-100M", family="data_link", subfamily="fibre")
    return Shop(
        tenant=tenant,
        promotion=PromotionFactory(tenant=tenant),
        subscription=ProductFactory(tenant=tenant, code="SIP-VOLUME", family="sip_trunk"),
        one_off=ProductFactory(
            tenant=tenant, code="FAS", family="access_fee", unit="one_off", billing="one_off"
        ),
        flag=OrderFlagFactory(tenant=tenant, code="migration-vga"),
        other_product=ProductFactory(tenant=other, code="OTHER-VM"),
        other_flag=OrderFlagFactory(tenant=other, code="other-flag"),
    )


def rule_errors(shop: Shop, **fields) -> dict[str, list[str]]:
    """The errors of ``full_clean()`` on a rule of ``shop``'s promotion (a 10 % off VMs unless told)."""
    values = {"kind": "percent_off", "targets": "vm", "percent": Decimal("10")} | fields
    rule = PromotionRule(tenant=shop.tenant, promotion=shop.promotion, **values)
    with scope(tenant=shop.tenant.pk):
        try:
            rule.full_clean()
        except ValidationError as error:
            return error.message_dict
    return {}


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "fixed_price", "targets": "SIP-TOUCH", "percent": None, "unit_price": Decimal("19.99"),
         "conditions": "quantity channel > 4\nhas data_link", "match": "any"},
        {"kind": "percent_off", "targets": "data_link", "excluded": "data_link/sdsl, data_link/ftth",
         "percent": Decimal("5")},
        {"kind": "percent_off", "targets": "vm", "percent": Decimal("100")},
        {"kind": "percent_off", "targets": "vm", "percent": Decimal("0.01")},
        {"kind": "price_grid", "targets": "portability", "percent": None, "steps": "10 = 7.00\n30 = 5.00"},
        {"kind": "unlocked_price", "targets": "channel", "percent": None, "unit_price": Decimal("0.50"),
         "unlocked_by_id": "subscription"},
        {"kind": "fee_waiver", "targets": "access_fee", "percent": None, "flag_id": "flag"},
    ],
    ids=["fixed-price", "percent-except", "percent-100", "percent-0.01", "grid", "unlocked", "waiver"],
)  # fmt: skip
def test_rules_of_every_kind_pass(shop, fields):
    fields = {k: getattr(shop, v).pk if k.endswith("_id") else v for k, v in fields.items()}

    assert rule_errors(shop, **fields) == {}


INVALID = [
    ("unknown-family", {"targets": "telex"}, "targets", "“telex” is neither a product family"),
    ("unknown-sub-family", {"targets": "data_link/adsl"}, "targets", "data_link has no sub-family “adsl”"),
    ("unknown-product", {"targets": "VM-XXL"}, "targets", "“VM-XXL” is neither a product family"),
    ("other-tenants-product", {"targets": "OTHER-VM"}, "targets", "“OTHER-VM” is neither"),
    ("other-tenants-product-in-condition", {"conditions": "has OTHER-VM"}, "conditions", "Line 1: “OTHER-VM”"),
    ("unknown-excluded", {"excluded": "vm/sdsl"}, "excluded", "vm has no sub-family “sdsl”"),
    ("no-targets", {"targets": " , "}, "targets", "Say which products the rule prices."),
    ("unknown-flag", {"conditions": "has vm\nflag vga"}, "conditions", "Line 2: there is no order flag “vga”"),
    ("other-tenants-flag", {"conditions": "flag other-flag"}, "conditions", "no order flag “other-flag”"),
    ("malformed-condition", {"conditions": "has vm\nif channel > 4"}, "conditions", "Line 2: “if channel > 4”"),
    ("non-ascii-digits", {"conditions": "quantity channel > ٤"}, "conditions", "“quantity channel > ٤” is not"),
    ("condition-selecting-nothing", {"conditions": "has ,"}, "conditions", "Line 1: “has ,” is not a condition"),
    ("malformed-step", {"kind": "price_grid", "percent": None, "steps": "10 = 7.00\n30 : 5"}, "steps",
     "Line 2: “30 : 5”"),
    ("duplicate-step", {"kind": "price_grid", "percent": None, "steps": "10 = 7\n10 = 5"}, "steps",
     "Line 2: the quantity 10 has two prices"),
    ("blank-steps", {"kind": "price_grid", "percent": None, "steps": " \n "}, "steps", "rule needs this"),
    ("unused-field", {"unit_price": Decimal("5")}, "unit_price", "“Percentage off” rule does not use this"),
    ("unused-steps", {"steps": "10 = 7"}, "steps", "does not use this"),
    ("missing-field", {"percent": None}, "percent", "A “Percentage off” rule needs this."),
    ("missing-price", {"kind": "fixed_price", "percent": None}, "unit_price", "“Fixed unit price” rule needs"),
    ("missing-subscription", {"kind": "unlocked_price", "percent": None, "unit_price": Decimal("0.5")},
     "unlocked_by", "needs this"),
    ("missing-flag", {"kind": "fee_waiver", "percent": None}, "flag", "needs this"),
    ("percent-0", {"percent": Decimal("0")}, "percent", "greater than or equal to 0.01"),
    ("percent-over-100", {"percent": Decimal("100.01")}, "percent", "less than or equal to 100"),
    ("negative-price", {"kind": "fixed_price", "percent": None, "unit_price": Decimal("-1")}, "unit_price",
     "greater than or equal to 0"),
    ("unknown-kind", {"kind": "free_lunch"}, "kind", "is not a valid choice"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field", "fragment"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_rule_data_is_refused_naming_the_fault(shop, fields, field, fragment):
    errors = rule_errors(shop, **fields)

    assert any(fragment in message for message in errors.get(field, [])), errors


def test_unlocked_by_a_one_off_product_is_refused(shop):
    errors = rule_errors(
        shop, kind="unlocked_price", percent=None, unit_price=Decimal("0.5"), unlocked_by_id=shop.one_off.pk
    )

    assert errors == {"unlocked_by": [f"Choose a monthly subscription: {shop.one_off} is billed once."]}


@pytest.mark.parametrize("field", ["unlocked_by", "flag"])
def test_a_subscription_or_flag_of_another_tenant_is_refused(shop, field):
    kind = {"unlocked_by": "unlocked_price", "flag": "fee_waiver"}[field]
    other = {"unlocked_by": shop.other_product, "flag": shop.other_flag}[field]
    extra = {"unit_price": Decimal("0.5")} if kind == "unlocked_price" else {}

    errors = rule_errors(shop, kind=kind, percent=None, **{f"{field}_id": other.pk}, **extra)

    assert errors == {field: ["This choice belongs to another programme."]}


def test_a_promotion_of_another_tenant_is_refused(shop):
    other = PromotionFactory()
    rule = PromotionRule(tenant=shop.tenant, promotion=other, kind="percent_off", targets="vm", percent=10)

    with scope(tenant=shop.tenant.pk), pytest.raises(ValidationError) as raised:
        rule.full_clean()

    assert raised.value.message_dict == {"promotion": ["This choice belongs to another programme."]}


@pytest.mark.parametrize("code", ["vm", "data_link", "portability"])
def test_a_product_code_cannot_be_a_family_name(shop, code):
    product = Product(tenant=shop.tenant, code=code, name="X", family="vm", unit="monthly", billing="monthly")

    with scope(tenant=shop.tenant.pk), pytest.raises(ValidationError) as raised:
        product.full_clean()

    assert "cannot be the name of a family" in raised.value.message_dict["code"][0]


def promotion(shop, **fields) -> Promotion:
    tier = TierFactory(tenant=shop.tenant)
    return Promotion(tenant=shop.tenant, code="p", title="P", min_tier=tier, **fields)


def test_a_promotion_cannot_end_before_it_starts(shop):
    with scope(tenant=shop.tenant.pk), pytest.raises(ValidationError) as raised:
        promotion(shop, valid_from=dt.date(2026, 7, 1), valid_until=dt.date(2026, 6, 30)).full_clean()

    assert raised.value.message_dict == {"valid_until": ["The promotion cannot end before it starts."]}


def test_a_promotion_may_last_one_day(shop):
    with scope(tenant=shop.tenant.pk):
        promotion(shop, valid_from=dt.date(2026, 7, 1), valid_until=dt.date(2026, 7, 1)).full_clean()


def test_a_quarter_basis_needs_a_minimum_and_a_minimum_a_basis(shop):
    with scope(tenant=shop.tenant.pk), pytest.raises(ValidationError) as without_minimum:
        promotion(shop, quarter_basis="orders").full_clean()
    with scope(tenant=shop.tenant.pk), pytest.raises(ValidationError) as without_basis:
        promotion(shop, quarter_minimum=Decimal("600")).full_clean()

    assert list(without_minimum.value.message_dict) == ["quarter_minimum"]
    assert list(without_basis.value.message_dict) == ["quarter_basis"]


def test_a_promotion_for_another_tenants_tier_is_refused(shop):
    other_tier = TierFactory()
    with scope(tenant=shop.tenant.pk), pytest.raises(ValidationError) as raised:
        Promotion(tenant=shop.tenant, code="p", title="P", min_tier=other_tier).full_clean()

    assert raised.value.message_dict["min_tier"] == ["This choice belongs to another programme."]


def test_a_grid_that_charges_more_for_a_larger_order_is_refused():
    with pytest.raises(ValidationError, match="cannot cost more"):
        rules.parse_steps("10 = 5.00\n30 = 7.00")


def test_spaces_around_the_slash_of_a_sub_family_are_read_as_written_without_them():
    assert rules.parse_selectors("data_link / fibre", product_codes=()) == (
        rules.Selector(family="data_link", subfamily="fibre"),
    )


def test_a_family_with_an_empty_sub_family_is_refused():
    with pytest.raises(ValidationError, match="no sub-family"):
        rules.parse_selectors("data_link/", product_codes=())
