"""Reads of the recruitment app: the public description of a tenant's programme, and the applications.

The programme page is public, so what it reads is the tenant's catalogue only: partner types and operator
plans, tiers and their thresholds, the benefits and duties of each tier and the membership criteria. It
reads no partner, no revenue and no count of either. The benefits and duties come from their apps when
they are installed (an app removed from INSTALLED_APPS leaves its part of the page out).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from partnerportal.models import OperatorPlan, PartnerType, Tenant
from partnerportal.tenancy import tenant_scope
from tiers.models import Threshold, Tier

from .models import Application, CriterionCheck, MembershipCriterion

# The public page is read by anyone, as often as they like: its catalogue is kept a few minutes in the
# tenant's cache partition. A manager's change to the catalogue shows within this delay.
PROGRAMME_TTL_SECONDS = 5 * 60


@dataclass(frozen=True)
class Band:
    """A partner type's monthly revenue band at a tier: from ``minimum`` up to the next tier's minimum."""

    partner_type: PartnerType
    minimum: Decimal
    below: Decimal | None  # the next tier's minimum; None at the top tier


@dataclass
class TierOffer:
    tier: Tier
    bands: list[Band | None] = field(default_factory=list)  # one per partner type, in the types' order
    benefits: list = field(default_factory=list)  # benefits.Benefit, active, from this tier
    duties: list = field(default_factory=list)  # obligations.Duty from this tier (not at the one below)


@dataclass
class Programme:
    partner_types: list[PartnerType]
    operator_plans: list[OperatorPlan]
    tiers: list[TierOffer]
    criteria: list[MembershipCriterion]
    evaluation_period_months: int
    evaluation_months: list[int]

    @property
    def has_thresholds(self) -> bool:
        return any(band for offer in self.tiers for band in offer.bands)


def entry_tier(*, tenant: Tenant) -> Tier | None:
    """The tier a new partner starts at: the lowest rank (tiers.selectors.tier_on's rule for a partner
    never assessed)."""
    return Tier.objects.filter(tenant=tenant).order_by("rank").first()


def criterion_list(*, tenant: Tenant) -> QuerySet[MembershipCriterion]:
    return MembershipCriterion.objects.filter(tenant=tenant, is_active=True).order_by("position", "title")


def _programme_key(tenant_id: int) -> str:
    return f"recruitment:programme:{tenant_id}"


def programme_get(*, tenant: Tenant) -> Programme:
    """The tenant's programme as the public page shows it, from the cache or in about ten queries."""
    with tenant_scope(tenant):
        programme = cache.get(_programme_key(tenant.pk))
        if programme is None:
            programme = _programme_read(tenant=tenant)
            cache.set(_programme_key(tenant.pk), programme, PROGRAMME_TTL_SECONDS)
        return programme


def programme_forget(*, tenant_id: int) -> None:
    with tenant_scope(tenant_id):
        cache.delete(_programme_key(tenant_id))


def _programme_read(*, tenant: Tenant) -> Programme:
    types = list(PartnerType.objects.filter(tenant=tenant).order_by("position", "name"))
    plans = list(OperatorPlan.objects.filter(tenant=tenant).order_by("position", "name"))
    tiers = list(Tier.objects.filter(tenant=tenant).order_by("rank"))
    minimums: dict[tuple[int, int], Decimal] = {
        (tier_id, type_id): minimum
        for tier_id, type_id, minimum in Threshold.objects.filter(tenant=tenant).values_list(
            "tier_id", "partner_type_id", "minimum_monthly"
        )
    }
    offers = {tier.pk: TierOffer(tier=tier) for tier in tiers}
    for index, tier in enumerate(tiers):
        for partner_type in types:
            minimum = minimums.get((tier.pk, partner_type.pk))
            if minimum is None:
                offers[tier.pk].bands.append(None)
                continue
            higher = (minimums.get((t.pk, partner_type.pk)) for t in tiers[index + 1 :])
            below = next((m for m in higher if m is not None), None)
            offers[tier.pk].bands.append(Band(partner_type=partner_type, minimum=minimum, below=below))
    if apps.is_installed("benefits"):
        from benefits.models import Benefit  # an optional app: its part of the page only when installed

        for benefit in (
            Benefit.objects.filter(tenant=tenant, is_active=True)
            .prefetch_related(Prefetch("partner_types", queryset=PartnerType.objects.order_by("position")))
            .order_by("position", "title")
        ):
            if benefit.from_tier_id in offers:
                offers[benefit.from_tier_id].benefits.append(benefit)
    if apps.is_installed("obligations"):
        from obligations.models import Duty  # an optional app, as above

        for duty in (
            Duty.objects.filter(tenant=tenant)
            .prefetch_related(
                "tiers", Prefetch("partner_types", queryset=PartnerType.objects.order_by("position"))
            )
            .order_by("position", "code")
        ):
            # Tiers add up: a duty is listed at the lowest tier of each run of tiers it applies at (most
            # apply from a tier up), not again at every tier above.
            at = {tier.pk for tier in duty.tiers.all()}
            for index, tier in enumerate(tiers):
                if tier.pk in at and (index == 0 or tiers[index - 1].pk not in at):
                    offers[tier.pk].duties.append(duty)
    return Programme(
        partner_types=types,
        operator_plans=plans,
        tiers=list(offers.values()),
        criteria=list(criterion_list(tenant=tenant)),
        evaluation_period_months=tenant.evaluation_period_months,
        evaluation_months=list(tenant.evaluation_months or []),
    )


@dataclass
class ChecklistLine:
    criterion: MembershipCriterion
    check: CriterionCheck | None

    @property
    def met(self) -> bool:
        return bool(self.check and self.check.met)


def application_checklist(*, application: Application) -> list[ChecklistLine]:
    """Every active criterion of the tenant with this application's check of it (None: not looked at yet);
    a check of a criterion made inactive since is still shown, so the record stays whole. Two queries."""
    checks = {
        check.criterion_id: check
        for check in CriterionCheck.objects.filter(application=application).select_related(
            "criterion", "checked_by"
        )
    }
    criteria = list(criterion_list(tenant=application.tenant))
    active = {criterion.pk for criterion in criteria}
    criteria += [check.criterion for pk, check in checks.items() if pk not in active]
    return [ChecklistLine(criterion=criterion, check=checks.get(criterion.pk)) for criterion in criteria]
