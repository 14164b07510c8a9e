"""Reads of the promotions app: the catalogue a partner buys from, the promotions it may use and why.

Eligibility is read for one partner on one day (``as_of``, the tenant's today by default): its type, its tier
on that day, and for promotions with a quarterly access condition its orders taken or graded revenue in the
calendar quarter before that day (PROGRAM.md, "Promotions": "600 € minimum / trimestre").
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from partnerportal import formatting
from partnerportal.entitlements import money
from partnerportal.models import Partner
from tiers.calendar import add_months
from tiers.catalogue import next_tier_cached, qualifying_categories_cached
from tiers.models import RevenueEntry, Tier
from tiers.selectors import tier_on

from . import pricing
from .models import OrderFlag, Product, ProductPrice, Promotion, PromotionRule, Quote

logger = logging.getLogger(__name__)


class BasketError(ValueError):
    """A basket that cannot be priced; the message is for the person who built it."""


def product_list(*, tenant) -> QuerySet[Product]:
    """The tenant's active catalogue with its list prices, in the catalogue's order."""
    prices = ProductPrice.objects.filter(tenant=tenant).select_related("partner_type")
    return (
        Product.objects.filter(tenant=tenant, is_active=True)
        .prefetch_related(Prefetch("prices", queryset=prices))
        .order_by("position", "name", "code")
    )


def products_json(*, tenant) -> list[dict]:
    """``manage.py products``: the catalogue as scripts read it."""
    return [
        {
            "code": p.code,
            "name": p.name,
            "family": p.family,
            "subfamily": p.subfamily,
            "unit": p.unit,
            "list_prices": {price.partner_type.code: money(price.list_price) for price in p.prices.all()},
        }
        for p in product_list(tenant=tenant)
    ]


def catalogue_for(*, partner: Partner) -> dict[str, pricing.Item]:
    """The products sold to the partner's type, by code, at that type's list price."""
    rows = (
        ProductPrice.objects.filter(
            tenant=partner.tenant, partner_type=partner.partner_type, product__is_active=True
        )
        .select_related("product")
        .order_by("product__position", "product__name", "product__code")
    )
    return {
        row.product.code: pricing.Item(
            code=row.product.code,
            name=row.product.name,
            family=row.product.family,
            subfamily=row.product.subfamily,
            unit=row.product.unit,
            billing=row.product.billing,
            list_price=row.list_price,
        )
        for row in rows
    }


def order_flag_list(*, tenant) -> QuerySet[OrderFlag]:
    return OrderFlag.objects.filter(tenant=tenant).order_by("position", "name")


def quarter_before(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first days of the first and last months of the calendar quarter before ``day``'s."""
    start = add_months(dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1), -3)
    return start, add_months(start, 2)


def quarter_revenue(*, partner: Partner, as_of: dt.date) -> dict[str, Decimal]:
    """The partner's orders taken and graded revenue in the quarter before ``as_of`` (two sums, one query)."""
    start, end = quarter_before(as_of)
    graded = set(qualifying_categories_cached(partner.tenant))
    totals = dict(
        RevenueEntry.objects.filter(partner=partner, month__gte=start, month__lte=end)
        .values("category")
        .annotate(total=Sum("amount"))
        .values_list("category", "total")
    )
    return {
        Promotion.QuarterBasis.ORDERS: totals.get(Promotion.QuarterBasis.ORDERS, Decimal("0")),
        Promotion.QuarterBasis.GRADED: sum((v for k, v in totals.items() if k in graded), Decimal("0")),
    }


@dataclass
class PromotionStatus:
    """A promotion as one partner sees it on one day: can it be used, and if not, what is missing."""

    promotion: Promotion
    eligible: bool
    missing: list[str] = field(default_factory=list)
    quarter_amount: Decimal | None = None


@dataclass
class Standing:
    partner: Partner
    as_of: dt.date
    tier: Tier | None
    next_tier: Tier | None
    quarter: tuple[dt.date, dt.date]
    statuses: list[PromotionStatus]

    @property
    def eligible(self) -> list[PromotionStatus]:
        return [s for s in self.statuses if s.eligible]

    @property
    def within_reach(self) -> list[PromotionStatus]:
        """At the partner's tier or below, but a condition is missing (the quarter's figure, mostly)."""
        rank = self.tier.rank if self.tier else -1
        return [s for s in self.statuses if not s.eligible and s.promotion.min_tier.rank <= rank]

    @property
    def next_tier_unlocks(self) -> list[PromotionStatus]:
        """The promotions the next tier would open (their quarterly condition still applies)."""
        if self.next_tier is None:
            return []
        return [s for s in self.statuses if s.promotion.min_tier_id == self.next_tier.pk]


def promotion_list_for(*, partner: Partner, as_of: dt.date) -> QuerySet[Promotion]:
    """The tenant's active promotions for the partner's type that are valid on ``as_of``, rules loaded."""
    rules = PromotionRule.objects.filter(tenant=partner.tenant).select_related("unlocked_by", "flag")
    return (
        Promotion.objects.filter(tenant=partner.tenant, is_active=True)
        .filter(partner_types_filter(partner))
        .exclude(valid_from__gt=as_of)
        .exclude(valid_until__lt=as_of)
        .select_related("min_tier")
        .prefetch_related(Prefetch("rules", queryset=rules))
        .distinct()
        .order_by("min_tier__rank", "position", "id")
    )


def partner_types_filter(partner: Partner) -> Q:
    return Q(partner_types=partner.partner_type) | Q(partner_types__isnull=True)


def promotion_standing(*, partner: Partner, as_of: dt.date | None = None) -> Standing:
    """Every promotion for the partner's type valid on ``as_of``, with whether it may use it and why not."""
    as_of = as_of or partner.tenant.today()
    tier = tier_on(partner=partner, day=as_of)
    rank = tier.rank if tier else -1
    next_tier = next_tier_cached(partner.tenant, rank)
    quarter = quarter_before(as_of)
    revenue = None
    statuses = []
    for promotion in promotion_list_for(partner=partner, as_of=as_of):
        missing = []
        amount = None
        if partner.status != Partner.Status.ACTIVE:
            missing.append(_("Your partnership is not active."))
        if promotion.min_tier.rank > rank:
            missing.append(_("From the %(tier)s tier.") % {"tier": promotion.min_tier})
        if promotion.quarter_basis:
            revenue = revenue if revenue is not None else quarter_revenue(partner=partner, as_of=as_of)
            amount = revenue[promotion.quarter_basis]
            if amount < promotion.quarter_minimum:
                missing.append(
                    _("%(basis)s from %(start)s to %(end)s: %(amount)s, where %(minimum)s are needed.")
                    % {
                        "basis": promotion.get_quarter_basis_display(),
                        "minimum": formatting.money(promotion.quarter_minimum),
                        "start": formatting.date_format(quarter[0], "F Y"),
                        "end": formatting.date_format(quarter[1], "F Y"),
                        "amount": formatting.money(amount),
                    }
                )
        statuses.append(PromotionStatus(promotion, not missing, missing, amount))
    return Standing(partner, as_of, tier, next_tier, quarter, statuses)


def engine_promotion(promotion: Promotion, *, product_codes, flag_codes) -> pricing.Promotion:
    """The engine's view of a promotion: its rules parsed (they were validated on save).

    A rule the catalogue has changed under since (a product code or an order flag renamed or deleted) no
    longer parses: it gives nothing, so that the other promotions still price and no price falls by mistake;
    the back-office refuses it on its next save.
    """
    engine_rules = []
    for rule in promotion.rules.all():
        try:
            engine_rules.append(engine_rule(rule, product_codes=product_codes, flag_codes=flag_codes))
        except ValidationError as error:
            logger.warning(
                "Promotion %s: rule %s skipped: %s", promotion.code, rule.pk, "; ".join(error.messages)
            )
    return pricing.Promotion(
        promotion.pk, promotion.code, promotion.title, promotion.stackable, tuple(engine_rules)
    )


def engine_rule(rule: PromotionRule, *, product_codes, flag_codes) -> pricing.Rule:
    return pricing.Rule(
        kind=rule.kind,
        targets=rule.parse("targets", product_codes=product_codes),
        excluded=rule.parse("excluded", product_codes=product_codes),
        conditions=rule.parse("conditions", product_codes=product_codes, flag_codes=flag_codes),
        match_any=rule.match == PromotionRule.Match.ANY,
        unit_price=rule.unit_price,
        percent=rule.percent,
        steps=tuple((above, Decimal(price)) for above, price in rule.parse("steps", product_codes=())),
        unlocked_by=rule.unlocked_by.code if rule.unlocked_by_id else "",
        flag=rule.flag.code if rule.flag_id else "",
    )


MAX_QUANTITY = 100_000


def basket_build(
    *,
    catalogue: dict[str, pricing.Item],
    quantities: list[tuple[str, int]],
    flags,
    flag_codes,
    partner: Partner,
) -> pricing.Basket:
    """A basket from ``(code, quantity)`` pairs (the same code twice adds up). Raises ``BasketError``."""
    merged: dict[str, int] = {}
    for code, quantity in quantities:
        if code not in catalogue:
            if Product.objects.filter(tenant=partner.tenant, code=code, is_active=True).exists():
                raise BasketError(
                    _("%(code)s is not sold to %(type)s partners.")
                    % {"code": code, "type": partner.partner_type}
                )
            raise BasketError(_("There is no product %(code)s in the catalogue.") % {"code": code})
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
            raise BasketError(
                _("The quantity of %(code)s must be a whole number from 1 to %(max)s.")
                % {"code": code, "max": MAX_QUANTITY}
            )
        merged[code] = merged.get(code, 0) + quantity
        if merged[code] > MAX_QUANTITY:
            raise BasketError(
                _("The quantity of %(code)s must be a whole number from 1 to %(max)s.")
                % {"code": code, "max": MAX_QUANTITY}
            )
    if not merged:
        raise BasketError(_("The basket is empty: add at least one product."))
    unknown = sorted(set(flags) - set(flag_codes))
    if unknown:
        raise BasketError(_("There is no order flag %(flag)s.") % {"flag": ", ".join(unknown)})
    # The catalogue's order, so that the same basket always reads the same.
    order = {code: i for i, code in enumerate(catalogue)}
    lines = tuple(
        pricing.Line(catalogue[code], merged[code]) for code in sorted(merged, key=order.__getitem__)
    )
    return pricing.Basket(lines, frozenset(flags))


@dataclass
class Pricing:
    standing: Standing
    basket: pricing.PricedBasket

    @property
    def tier(self) -> Tier | None:
        return self.standing.tier


def basket_price(
    *, partner: Partner, quantities: list[tuple[str, int]], flags=(), as_of: dt.date | None = None
) -> Pricing:
    """Price a basket for ``partner`` on ``as_of`` with the promotions it may use. Raises ``BasketError``."""
    standing = promotion_standing(partner=partner, as_of=as_of)
    catalogue = catalogue_for(partner=partner)
    flag_codes = set(order_flag_list(tenant=partner.tenant).values_list("code", flat=True))
    basket = basket_build(
        catalogue=catalogue, quantities=quantities, flags=flags, flag_codes=flag_codes, partner=partner
    )
    product_codes = set(Product.objects.filter(tenant=partner.tenant).values_list("code", flat=True))
    promotions = [
        engine_promotion(s.promotion, product_codes=product_codes, flag_codes=flag_codes)
        for s in standing.eligible
    ]
    return Pricing(standing, pricing.price_basket(basket, promotions))


def pricing_json(result: Pricing) -> dict:
    """``manage.py quote``: the priced basket as scripts read it (amounts as strings with two decimals)."""
    return {
        "partner": result.standing.partner.external_ref,
        "tier": result.tier.code if result.tier else None,
        "lines": [
            {
                "code": line.item.code,
                "quantity": line.quantity,
                "list_unit_price": money(line.item.list_price),
                "unit_price": money(line.unit_price),
                "total": money(line.total),
                "promotions": [{"title": a.promotion.title, "effect": a.effect} for a in line.applied],
            }
            for line in result.basket.lines
        ],
        "monthly_total": money(result.basket.monthly_total),
        "one_off_total": money(result.basket.one_off_total),
    }


def entitlements_promotions(*, partner: Partner, as_of: dt.date) -> list[dict]:
    """The ``promotions`` section of ``manage.py entitlements``: the codes of those the partner may use."""
    standing = promotion_standing(partner=partner, as_of=as_of)
    return [{"code": s.promotion.code, "title": s.promotion.title} for s in standing.eligible]


def quote_list(*, partner: Partner) -> QuerySet[Quote]:
    return (
        Quote.objects.filter(partner=partner)
        .select_related("tier", "created_by")
        .order_by("-created_at", "-id")
    )
