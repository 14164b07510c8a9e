"""Factories of the promotions app, and ``seed_programme`` to load the seed's price list into a test tenant."""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

import factory
from django_scopes import scopes_disabled

from partnerportal.models import Partner, Tenant
from promos.demo import seed_catalogue_sync
from promos.models import OrderFlag, Product, ProductPrice, Promotion, PromotionRule
from tests.partnerportal.factories import PartnerTypeFactory, ScopedFactory, TenantFactory
from tests.tiers.factories import Programme, TierFactory, add_entries, build_programme
from tiers.models import RevenueCategory, Tier


class ProductFactory(ScopedFactory):
    class Meta:
        model = Product

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"PRODUCT-{n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    family = "vm"
    unit = Product.Unit.MONTHLY
    billing = Product.Billing.MONTHLY


class ProductPriceFactory(ScopedFactory):
    class Meta:
        model = ProductPrice

    product = factory.SubFactory(ProductFactory)
    tenant = factory.LazyAttribute(lambda o: o.product.tenant)
    partner_type = factory.SubFactory(PartnerTypeFactory, tenant=factory.SelfAttribute("..tenant"))
    list_price = Decimal("10.00")


class OrderFlagFactory(ScopedFactory):
    class Meta:
        model = OrderFlag

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"flag-{n}")
    name = factory.Sequence(lambda n: f"Flag {n}")


class PromotionFactory(ScopedFactory):
    class Meta:
        model = Promotion
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"promo-{n}")
    title = factory.Sequence(lambda n: f"Promotion {n}")
    min_tier = factory.SubFactory(TierFactory, tenant=factory.SelfAttribute("..tenant"))

    @factory.post_generation
    def partner_types(obj, create, extracted, **kwargs):
        if create and extracted:
            with scopes_disabled():
                obj.partner_types.set(extracted)


class PromotionRuleFactory(ScopedFactory):
    class Meta:
        model = PromotionRule

    promotion = factory.SubFactory(PromotionFactory)
    tenant = factory.LazyAttribute(lambda o: o.promotion.tenant)
    kind = PromotionRule.Kind.PERCENT_OFF
    targets = "vm"
    percent = Decimal("10")


# --- the seed's price list in a test programme --------------------------------------------------------

# The day the tests price on, and the calendar quarter before it (the access conditions' quarter).
PRICED_ON = dt.date(2026, 11, 15)
QUARTER = (dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1))


@dataclass
class SeedProgramme:
    """Dstny's ladder with the seed's products and promotions (``promos.demo``), promotions by code."""

    programme: Programme
    promotions: dict[str, Promotion]

    @property
    def tenant(self) -> Tenant:
        return self.programme.tenant

    @property
    def tiers(self) -> dict[str, Tier]:
        return self.programme.tiers

    def partner(self, kind: str = "ambassador", *, tier: str = "starter", **kwargs) -> Partner:
        """An active partner at ``tier`` since the evaluation of 1 July 2026."""
        from tests.benefits.factories import assess

        partner = self.programme.partner(kind, **kwargs)
        assess(partner, self.tiers[tier], dt.date(2026, 7, 1))
        return partner


def seed_programme(*, tenant: Tenant | None = None, ambassador=None, operator=None) -> SeedProgramme:
    tenant = tenant or TenantFactory()
    ambassador = ambassador or PartnerTypeFactory(tenant=tenant, code="ambassador", name="Ambassadeur")
    operator = operator or PartnerTypeFactory(
        tenant=tenant, code="operator", name="Opérateur", has_operator_plans=True
    )
    programme = build_programme(tenant=tenant, ambassador=ambassador, operator=operator)
    with scopes_disabled():  # test data
        promotions = seed_catalogue_sync(
            tenant=tenant,
            types={"ambassadeur": ambassador, "operateur": operator},
            tiers=programme.tiers,
            tally=defaultdict(Counter),
            year_start=dt.date(2026, 1, 1),
        )
    return SeedProgramme(programme, promotions)


def quarter_revenue(
    partner: Partner, total: Decimal | str, *, category: str = RevenueCategory.ORDERS
) -> None:
    """``total`` of ``category`` over the quarter before ``PRICED_ON`` (split over its three months)."""
    total = Decimal(total)
    third = (total / 3).quantize(Decimal("0.01"))
    amounts = [third, third, total - 2 * third]
    add_entries(partner, [(month, category, amount) for month, amount in zip(QUARTER, amounts, strict=True)])
