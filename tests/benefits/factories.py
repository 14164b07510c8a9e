"""Factories of the benefits app, and ``assess`` to give a partner a tier history without the engine."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone
from django_scopes import scopes_disabled

from benefits.models import Benefit, Claim
from partnerportal.models import Partner
from tests.partnerportal.factories import PartnerFactory, ScopedFactory, TenantFactory
from tests.tiers.factories import TierFactory
from tiers.calendar import window_for
from tiers.models import Assessment, Evaluation, PartnerTier, Tier


class BenefitFactory(ScopedFactory):
    class Meta:
        model = Benefit
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"benefit-{n}")
    title = factory.Sequence(lambda n: f"Benefit {n}")
    category = Benefit.Category.RESOURCES
    from_tier = factory.SubFactory(TierFactory, tenant=factory.SelfAttribute("..tenant"))
    kind = Benefit.Kind.PERK

    class Params:
        claimable = factory.Trait(
            kind=Benefit.Kind.CLAIMABLE, quantity=1, period=Benefit.Period.YEAR, requires_approval=True
        )

    @factory.post_generation
    def partner_types(obj, create, extracted, **kwargs):
        if create and extracted:
            with scopes_disabled():
                obj.partner_types.set(extracted)


class ClaimFactory(ScopedFactory):
    class Meta:
        model = Claim

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    benefit = factory.SubFactory(BenefitFactory, tenant=factory.SelfAttribute("..tenant"), claimable=True)
    state = Claim.State.PENDING
    period_start = dt.date(2026, 1, 1)


def assess(partner: Partner, tier: Tier, on: dt.date) -> Assessment:
    """Record that ``partner`` was graded ``tier`` at the evaluation of ``on`` (and is at it since)."""
    with scopes_disabled():  # test data
        window = window_for(on, 6)
        evaluation, _ = Evaluation.objects.get_or_create(
            tenant_id=partner.tenant_id,
            evaluation_date=on,
            defaults={"window_start": window.start, "window_end": window.end, "status": "finished"},
        )
        assessment = Assessment.objects.create(
            tenant_id=partner.tenant_id,
            partner=partner,
            evaluation=evaluation,
            evaluation_date=on,
            window_start=window.start,
            window_end=window.end,
            months_counted=6,
            revenue=Decimal("0"),
            basis=Decimal("0"),
            computed_tier=tier,
            applied_tier=tier,
            reason=Assessment.Reason.COMPUTED,
            movement=Assessment.Movement.SAME,
            applied_at=timezone.now(),
        )
        PartnerTier.objects.update_or_create(
            partner=partner,
            defaults={"tenant_id": partner.tenant_id, "tier": tier, "since": on, "assessment": assessment},
        )
    return assessment
