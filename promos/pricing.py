"""The price engine: a basket, the promotions a partner may use, and the price of each line, explained.

Pure: it reads no database (``selectors.py`` builds its input), so the same function prices the portal's
calculator, the back-office's, ``manage.py quote`` and the property tests.

How a line is priced, for one set of promotions:

1. Every rule of the set that targets the line and whose conditions hold gives either a unit price (a fixed
   price, a grid step, an unlocked price, a waived fee) or a percentage off.
2. The lowest of the unit prices replaces the list price, when it is lower (a promotion never raises a
   price); then each percentage comes off in turn, in the promotions' order (an "extra 5 %" comes off the
   already reduced price: 0.9 × 0.95, not 0.85).
3. The unit price is rounded to the cent, half up, once; the line's total is that price times the quantity,
   so the totals are the exact sums of the lines.

Which set: the seeds' cumulative promotions ("les 3 offres sont cumulables") apply together; a promotion that
does not combine applies alone. For each line the engine prices the cumulative set and each non-combining
promotion alone and keeps the lowest total; on a tie, the earlier candidate (cumulative set first, then the
promotions' order), so the result is deterministic.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .rules import Condition, Selector

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0.00")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Item:
    """A product as a partner type buys it."""

    code: str
    name: str
    family: str
    subfamily: str
    unit: str
    billing: str  # "monthly" or "one_off"
    list_price: Decimal

    def matches(self, selectors: Iterable[Selector]) -> bool:
        return any(s.matches(code=self.code, family=self.family, subfamily=self.subfamily) for s in selectors)


@dataclass(frozen=True)
class Line:
    item: Item
    quantity: int


@dataclass(frozen=True)
class Basket:
    lines: tuple[Line, ...]
    flags: frozenset[str] = frozenset()

    def quantity_of(self, selectors: Sequence[Selector]) -> int:
        return sum(line.quantity for line in self.lines if line.item.matches(selectors))


@dataclass(frozen=True)
class Rule:
    kind: str  # PromotionRule.Kind
    targets: tuple[Selector, ...]
    excluded: tuple[Selector, ...] = ()
    conditions: tuple[Condition, ...] = ()
    match_any: bool = False
    unit_price: Decimal | None = None
    percent: Decimal | None = None
    steps: tuple[tuple[int, Decimal], ...] = ()  # (more than N, unit price), ascending
    unlocked_by: str = ""  # a product code
    flag: str = ""

    def applies_to(self, item: Item) -> bool:
        return item.matches(self.targets) and not item.matches(self.excluded)

    def conditions_hold(self, basket: Basket) -> bool:
        if not self.conditions:
            return True
        results = (c.holds(basket) for c in self.conditions)
        return any(results) if self.match_any else all(results)

    def offer(self, line: Line, basket: Basket) -> tuple[str, Decimal] | None:
        """``("price", unit price)`` or ``("percent", p)`` for ``line``, or None when the rule gives nothing."""
        if not self.applies_to(line.item) or not self.conditions_hold(basket):
            return None
        if self.kind == "fixed_price":
            return "price", self.unit_price
        if self.kind == "percent_off":
            return "percent", self.percent
        if self.kind == "price_grid":
            # The grid counts every line of the order it prices: "commande de plus de 10 numéros"; what the
            # rule excludes is not priced by it, so it does not count towards a step either.
            quantity = sum(other.quantity for other in basket.lines if self.applies_to(other.item))
            reached = [price for above, price in self.steps if quantity > above]
            return ("price", reached[-1]) if reached else None
        if self.kind == "unlocked_price":
            has = any(other.item.code == self.unlocked_by for other in basket.lines)
            return ("price", self.unit_price) if has else None
        if self.kind == "fee_waiver":
            return ("price", ZERO) if self.flag in basket.flags else None
        raise ValueError(f"unknown rule kind {self.kind!r}")


@dataclass(frozen=True)
class Promotion:
    id: int
    code: str
    title: str
    stackable: bool
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Applied:
    """What one promotion did to a line: the unit price before and after it."""

    promotion: Promotion
    kind: str  # "price" or "percent"
    before: Decimal
    after: Decimal
    percent: Decimal | None = None

    @property
    def saving(self) -> Decimal:
        return self.before - self.after

    @property
    def effect(self) -> str:
        """The effect as scripts read it, language-neutral: ``"-10% (24.30 -> 21.87)"`` or
        ``"19.99 instead of 27.00"``."""
        if self.kind == "percent":
            return f"-{self.percent.normalize():f}% ({cents(self.before)} -> {cents(self.after)})"
        return f"{cents(self.after)} instead of {cents(self.before)}"


@dataclass(frozen=True)
class PricedLine:
    item: Item
    quantity: int
    unit_price: Decimal
    total: Decimal
    applied: tuple[Applied, ...] = ()

    @property
    def list_total(self) -> Decimal:
        return self.item.list_price * self.quantity

    @property
    def saving(self) -> Decimal:
        return self.list_total - self.total


@dataclass(frozen=True)
class PricedBasket:
    lines: tuple[PricedLine, ...]
    flags: frozenset[str] = field(default_factory=frozenset)

    def total(self, billing: str) -> Decimal:
        return sum((line.total for line in self.lines if line.item.billing == billing), ZERO)

    @property
    def monthly_total(self) -> Decimal:
        return self.total("monthly")

    @property
    def one_off_total(self) -> Decimal:
        return self.total("one_off")

    @property
    def saving(self) -> Decimal:
        return sum((line.saving for line in self.lines), ZERO)


def _price_with(line: Line, basket: Basket, promotions: Sequence[Promotion]) -> PricedLine:
    list_price = line.item.list_price
    prices: list[tuple[Decimal, Promotion]] = []
    percents: list[tuple[Decimal, Promotion]] = []
    for promotion in promotions:
        for rule in promotion.rules:
            offer = rule.offer(line, basket)
            if offer is None:
                continue
            kind, value = offer
            if kind == "price":
                prices.append((value, promotion))
            else:
                percents.append((value, promotion))
    applied = []
    unit = list_price
    if prices:
        best, promotion = min(prices, key=lambda p: p[0])  # min() keeps the first of equal prices
        if best < unit:
            applied.append(Applied(promotion, "price", unit, best))
            unit = best
    for percent, promotion in percents:
        after = unit * (HUNDRED - percent) / HUNDRED
        applied.append(Applied(promotion, "percent", unit, after, percent))
        unit = after
    unit = cents(unit)
    return PricedLine(line.item, line.quantity, unit, unit * line.quantity, tuple(applied))


def price_basket(basket: Basket, promotions: Sequence[Promotion]) -> PricedBasket:
    """Price every line of ``basket`` with the best use of ``promotions`` (those the partner may use, in
    their order). See the module's docstring for the rule."""
    cumulative = [p for p in promotions if p.stackable]
    candidates = [cumulative] + [[p] for p in promotions if not p.stackable]
    lines = []
    for line in basket.lines:
        priced = [_price_with(line, basket, candidate) for candidate in candidates]
        lines.append(min(priced, key=lambda p: p.total))  # the first of equal totals
    return PricedBasket(tuple(lines), basket.flags)
