"""Factories of the tiers app, and the Dstny tier ladder (PROGRAM.md, "Tiers and thresholds").

Like the core factories, they create through the scoped managers with scopes disabled (ScopedFactory):
a test builds data for several tenants at once, on purpose.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import factory
from django_scopes import scopes_disabled

from partnerportal.models import Partner, PartnerType, Tenant
from tests.partnerportal.factories import PartnerFactory, PartnerTypeFactory, ScopedFactory, TenantFactory
from tiers.calendar import add_months
from tiers.models import GradingPolicy, RevenueCategory, RevenueEntry, Threshold, Tier, TierPin

# (code, name, rank, Ambassadeurs' RRM, Opérateurs' CA): the lower bound of each tier, € per month.
DSTNY_LADDER = (
    ("starter", "Starter", 1, Decimal("0"), Decimal("0")),
    ("access", "Access", 2, Decimal("500"), Decimal("1000")),
    ("business", "Business", 3, Decimal("1000"), Decimal("2000")),
    ("premium", "Premium", 4, Decimal("10000"), Decimal("20000")),
)


class TierFactory(ScopedFactory):
    class Meta:
        model = Tier

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"tier{n}")
    name = factory.Sequence(lambda n: f"Tier {n}")
    rank = factory.Sequence(lambda n: n + 1)
    colour = "#7f8c8d"


class ThresholdFactory(ScopedFactory):
    class Meta:
        model = Threshold

    tier = factory.SubFactory(TierFactory)
    tenant = factory.LazyAttribute(lambda o: o.tier.tenant)
    partner_type = factory.SubFactory(PartnerTypeFactory, tenant=factory.SelfAttribute("..tenant"))
    minimum_monthly = Decimal("0")


class RevenueEntryFactory(ScopedFactory):
    class Meta:
        model = RevenueEntry

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    month = dt.date(2026, 1, 1)
    category = RevenueCategory.RECURRING
    amount = Decimal("100.00")


class TierPinFactory(ScopedFactory):
    class Meta:
        model = TierPin

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    tier = factory.SubFactory(TierFactory, tenant=factory.SelfAttribute("..tenant"))
    reason = "Strategic account"
    ends_on = dt.date(2026, 12, 31)


class GradingPolicyFactory(ScopedFactory):
    class Meta:
        model = GradingPolicy

    tenant = factory.SubFactory(TenantFactory)
    qualifying_categories = factory.LazyFunction(lambda: [RevenueCategory.RECURRING.value])
    max_demotion_steps = None


# --- building a programme ----------------------------------------------------------------------------


@dataclass
class Programme:
    """A tenant with Dstny's two partner types and tier ladder; ``tiers`` by code."""

    tenant: Tenant
    ambassador: PartnerType
    operator: PartnerType
    tiers: dict[str, Tier]

    def partner(
        self, kind: str = "ambassador", *, joined: dt.date = dt.date(2024, 1, 15), **kwargs
    ) -> Partner:
        """An active partner of this programme that joined long before the 2026 evaluations."""
        return PartnerFactory(
            tenant=self.tenant, partner_type=getattr(self, kind), date_joined=joined, **kwargs
        )


def build_dstny_ladder(*, tenant: Tenant, ambassador: PartnerType, operator: PartnerType) -> dict[str, Tier]:
    """Starter < Access < Business < Premium with the Dstny thresholds for both partner types."""
    tiers = {}
    for code, name, rank, rrm, ca in DSTNY_LADDER:
        tier = TierFactory(tenant=tenant, code=code, name=name, rank=rank)
        ThresholdFactory(tier=tier, partner_type=ambassador, minimum_monthly=rrm)
        ThresholdFactory(tier=tier, partner_type=operator, minimum_monthly=ca)
        tiers[code] = tier
    return tiers


def build_programme(*, tenant: Tenant, ambassador: PartnerType, operator: PartnerType) -> Programme:
    tiers = build_dstny_ladder(tenant=tenant, ambassador=ambassador, operator=operator)
    return Programme(tenant=tenant, ambassador=ambassador, operator=operator, tiers=tiers)


def add_revenue(
    partner: Partner,
    amount: Decimal | str,
    *,
    start: dt.date = dt.date(2026, 1, 1),
    months: int = 6,
    category: str = RevenueCategory.RECURRING,
) -> list[RevenueEntry]:
    """``amount`` in each of ``months`` months from ``start`` (by default, the window of 1 July 2026)."""
    return add_entries(partner, [(add_months(start, i), category, Decimal(amount)) for i in range(months)])


def add_entries(partner: Partner, entries: Iterable[tuple[dt.date, str, Decimal]]) -> list[RevenueEntry]:
    rows = [
        RevenueEntry(
            tenant_id=partner.tenant_id, partner=partner, month=month, category=category, amount=amount
        )
        for month, category, amount in entries
    ]
    with scopes_disabled():  # test data; one INSERT for many rows
        return RevenueEntry.objects.bulk_create(rows)
