"""Fixtures of the benefits tests: the Dstny ladder on both ``world`` tenants and a small catalogue.

``catalogue`` gives tenant A (and B, to show leaks) the seed's shape: Starter perks, BizBooster 150 € at
Access (claimable once per tier reached, 3 months) replaced by BizBooster 500 € at Premium, a yearly free
training seat at Premium, and an operator-only promotion at Business.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from benefits.models import Benefit
from partnerportal.models import Partner
from tests.tiers.factories import Programme, build_programme

from .factories import BenefitFactory


@dataclass
class Catalogue:
    programme: Programme
    wiki: Benefit
    bizbooster: Benefit
    bizbooster_premium: Benefit
    training: Benefit
    operator_promo: Benefit

    @property
    def tiers(self):
        return self.programme.tiers


def build_catalogue(programme: Programme) -> Catalogue:
    tiers, tenant = programme.tiers, programme.tenant
    bizbooster = BenefitFactory(
        tenant=tenant,
        code="bizbooster-150",
        title="BizBooster 150 €",
        category=Benefit.Category.MARKETING,
        from_tier=tiers["access"],
        claimable=True,
        period=Benefit.Period.ONCE,
        validity_months=3,
        value=Decimal("150"),
    )
    return Catalogue(
        programme=programme,
        wiki=BenefitFactory(tenant=tenant, code="wiki", title="Wiki", from_tier=tiers["starter"]),
        bizbooster=bizbooster,
        bizbooster_premium=BenefitFactory(
            tenant=tenant,
            code="bizbooster-500",
            title="BizBooster 500 €",
            category=Benefit.Category.MARKETING,
            from_tier=tiers["premium"],
            claimable=True,
            period=Benefit.Period.ONCE,
            validity_months=3,
            value=Decimal("500"),
            replaces=bizbooster,
        ),
        training=BenefitFactory(
            tenant=tenant,
            code="training",
            title="Free training seat",
            category=Benefit.Category.TRAINING,
            from_tier=tiers["premium"],
            claimable=True,
            period=Benefit.Period.YEAR,
        ),
        operator_promo=BenefitFactory(
            tenant=tenant,
            code="sip-volume",
            title="SIP Trunk volume offer",
            category=Benefit.Category.PROMOTIONS,
            from_tier=tiers["business"],
            partner_types=[programme.operator],
        ),
    )


@pytest.fixture
def catalogues(world) -> dict[str, Catalogue]:
    """The catalogue on tenants A and B; their partners joined on 15 January 2024."""
    with scopes_disabled():
        Partner.objects.filter(tenant__in=[world.a.tenant, world.b.tenant]).update(
            date_joined=dt.date(2024, 1, 15)
        )
        for setup in (world.a, world.b):
            for partner in (setup.partner, setup.other_partner):
                partner.refresh_from_db()
    return {
        key: build_catalogue(
            build_programme(tenant=setup.tenant, ambassador=setup.partner_type, operator=setup.operator_type)
        )
        for key, setup in (("a", world.a), ("b", world.b))
    }


@pytest.fixture
def cat(catalogues) -> Catalogue:
    """Tenant A's catalogue."""
    return catalogues["a"]
