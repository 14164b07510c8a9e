"""Properties of the price engine (hypothesis): what holds for every basket, partner and set of promotions.

Two sources of examples: random rules and prices on the pure engine (promos/pricing.py), and random baskets
of the seed's catalogue for partners of every type and tier, above and below the quarterly conditions
(through ``selectors.basket_price``, the way the calculator and ``manage.py quote`` price).

Only what the engine guarantees is asserted. A fixed price replaces the list price only when lower and a
percentage multiplies by (100 - p) / 100 ≤ 1, both monotone (so is rounding); the chosen total is the lowest
of the candidates'. Hence adding a promotion, stackable or not, never raises a line's total.
"""

from decimal import Decimal

import pytest
from django_scopes import scope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promos import pricing, selectors
from promos.rules import Condition, Selector
from tiers.models import RevenueCategory

from .factories import PRICED_ON, quarter_revenue

CENT = Decimal("0.01")
FAMILIES = ("voice", "data", "vm")
SUBFAMILIES = ("", "fibre", "ftth")
CODES = tuple(f"P{i}" for i in range(6))
FLAGS = ("vga", "rush")

# --- strategies for the pure engine --------------------------------------------------------------------

money = st.integers(min_value=0, max_value=200_000).map(lambda cents: Decimal(cents) / 100)
percent = st.integers(min_value=1, max_value=10_000).map(lambda hundredths: Decimal(hundredths) / 100)
selector = st.one_of(
    st.builds(Selector, family=st.sampled_from(FAMILIES)),
    st.builds(Selector, family=st.sampled_from(FAMILIES), subfamily=st.sampled_from(SUBFAMILIES[1:])),
    st.builds(Selector, product=st.sampled_from(CODES)),
)
selectors_ = st.lists(selector, min_size=1, max_size=2).map(tuple)
condition = st.one_of(
    st.builds(Condition, kind=st.just("has"), selectors=selectors_),
    st.builds(
        Condition,
        kind=st.just("quantity"),
        selectors=selectors_,
        minimum=st.integers(min_value=0, max_value=60),
    ),
    st.builds(Condition, kind=st.just("flag"), flag=st.sampled_from(FLAGS)),
)
steps = st.dictionaries(st.integers(min_value=0, max_value=50), money, min_size=1, max_size=3).map(
    lambda grid: tuple(sorted(grid.items()))
)


@st.composite
def rule(draw) -> pricing.Rule:
    kind = draw(st.sampled_from(["fixed_price", "percent_off", "price_grid", "unlocked_price", "fee_waiver"]))
    fields = {
        "fixed_price": {"unit_price": draw(money)},
        "percent_off": {"percent": draw(percent)},
        "price_grid": {"steps": draw(steps)},
        "unlocked_price": {"unit_price": draw(money), "unlocked_by": draw(st.sampled_from(CODES))},
        "fee_waiver": {"flag": draw(st.sampled_from(FLAGS))},
    }[kind]
    return pricing.Rule(
        kind=kind,
        targets=draw(selectors_),
        excluded=draw(st.lists(selector, max_size=1).map(tuple)),
        conditions=draw(st.lists(condition, max_size=2).map(tuple)),
        match_any=draw(st.booleans()),
        **fields,
    )


@st.composite
def promotions(draw, max_size=4) -> list[pricing.Promotion]:
    count = draw(st.integers(min_value=0, max_value=max_size))
    return [
        pricing.Promotion(
            id=i,
            code=f"promo-{i}",
            title=f"Promotion {i}",
            stackable=draw(st.booleans()),
            rules=tuple(draw(st.lists(rule(), min_size=1, max_size=2))),
        )
        for i in range(count)
    ]


@st.composite
def basket(draw) -> pricing.Basket:
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=len(CODES), unique=True))
    lines = tuple(
        pricing.Line(
            pricing.Item(
                code=code,
                name=code,
                family=draw(st.sampled_from(FAMILIES)),
                subfamily=draw(st.sampled_from(SUBFAMILIES)),
                unit="monthly",
                billing=draw(st.sampled_from(["monthly", "one_off"])),
                list_price=draw(money),
            ),
            draw(st.integers(min_value=1, max_value=120)),
        )
        for code in codes
    )
    return pricing.Basket(lines, frozenset(draw(st.sets(st.sampled_from(FLAGS)))))


def by_code(priced: pricing.PricedBasket) -> dict[str, pricing.PricedLine]:
    return {line.item.code: line for line in priced.lines}


def check_lines(priced: pricing.PricedBasket) -> None:
    """What every priced basket satisfies, whatever its promotions."""
    for line in priced.lines:
        assert Decimal("0") <= line.unit_price <= line.item.list_price
        assert line.unit_price == line.unit_price.quantize(CENT)  # two decimals at most
        assert line.total == line.unit_price * line.quantity
        # The explanation chains from the list price to the unit price, one promotion after the other.
        before = line.item.list_price
        for applied in line.applied:
            assert applied.before == before
            if applied.kind == "price":  # a price replaces a higher one only
                assert applied.after < applied.before
            else:  # a percentage never raises (and leaves 0.00 at 0.00)
                assert applied.after <= applied.before
            before = applied.after
        assert pricing.cents(before) == line.unit_price
        # One candidate per line: the cumulative promotions together, or one that does not combine, alone.
        used = {a.promotion.code: a.promotion.stackable for a in line.applied}
        assert all(used.values()) or len(used) == 1
    assert priced.monthly_total + priced.one_off_total == sum(
        (line.total for line in priced.lines), Decimal(0)
    )
    assert priced.monthly_total == sum(
        (line.total for line in priced.lines if line.item.billing == "monthly"), 0
    )


FAST = settings(max_examples=120, deadline=None)


@FAST
@given(basket(), promotions())
def test_lines_stay_between_zero_and_their_list_price_and_totals_add_up(basket, promos):
    check_lines(pricing.price_basket(basket, promos))


@FAST
@given(basket(), promotions(), st.randoms(use_true_random=False))
def test_the_result_is_deterministic_and_the_lines_order_does_not_matter(basket, promos, random):
    shuffled = list(basket.lines)
    random.shuffle(shuffled)

    once = pricing.price_basket(basket, promos)
    twice = pricing.price_basket(basket, promos)
    reordered = pricing.price_basket(pricing.Basket(tuple(shuffled), basket.flags), promos)

    assert once == twice
    assert by_code(reordered) == by_code(once)
    assert [line.item.code for line in reordered.lines] == [line.item.code for line in shuffled]


@FAST
@given(basket(), promotions(max_size=5), st.data())
def test_adding_a_promotion_never_raises_a_line(basket, promos, data):
    kept = [p for p in promos if data.draw(st.booleans(), label=f"keep {p.code}")]

    fewer = by_code(pricing.price_basket(basket, kept))
    more = by_code(pricing.price_basket(basket, promos))

    for code, line in more.items():
        assert line.total <= fewer[code].total


# --- the seed's catalogue, through the selectors -------------------------------------------------------

# (type, tier, {category: figure of the quarter}): every tier, at, above and just below the conditions.
PARTNERS = [
    ("ambassador", "starter", {}),
    ("ambassador", "access", {RevenueCategory.ORDERS: "5000"}),
    ("ambassador", "business", {RevenueCategory.ORDERS: "600"}),
    ("ambassador", "business", {RevenueCategory.ORDERS: "599.99"}),
    ("ambassador", "premium", {RevenueCategory.ORDERS: "800"}),
    ("ambassador", "premium", {RevenueCategory.ORDERS: "700"}),
    ("operator", "starter", {}),
    ("operator", "business", {RevenueCategory.RECURRING: "1500"}),
    ("operator", "business", {RevenueCategory.ORDERS: "9000"}),
    ("operator", "premium", {RevenueCategory.RECURRING: "2000"}),
    ("operator", "premium", {RevenueCategory.RECURRING: "1999.99"}),
]


@pytest.fixture
def partners(seed):
    """One partner per row of ``PARTNERS`` with its catalogue codes, built once per test function."""
    built = []
    for kind, tier, quarter in PARTNERS:
        partner = seed.partner(kind, tier=tier)
        for category, total in quarter.items():
            quarter_revenue(partner, total, category=category)
        with scope(tenant=partner.tenant_id):
            built.append((partner, sorted(selectors.catalogue_for(partner=partner))))
    return built


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_seed_baskets_for_every_partner(partners, data):
    partner, codes = data.draw(st.sampled_from(partners), label="partner")
    quantities = data.draw(
        st.lists(
            st.tuples(st.sampled_from(codes), st.integers(min_value=1, max_value=60)), min_size=1, max_size=8
        ),
        label="basket",
    )
    flags = data.draw(st.sets(st.just("migration-vga")), label="flags")

    with scope(tenant=partner.tenant_id):
        result = selectors.basket_price(partner=partner, quantities=quantities, flags=flags, as_of=PRICED_ON)
        reordered = selectors.basket_price(
            partner=partner, quantities=quantities[::-1], flags=flags, as_of=PRICED_ON
        )

    check_lines(result.basket)
    assert selectors.pricing_json(reordered) == selectors.pricing_json(result)
    eligible = {s.promotion.code for s in result.standing.eligible}
    for line in result.basket.lines:
        assert {a.promotion.code for a in line.applied} <= eligible
        expected = sum(q for code, q in quantities if code == line.item.code)
        assert line.quantity == expected
