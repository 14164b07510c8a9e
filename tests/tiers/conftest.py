"""Fixtures of the tiers tests: the Dstny programme on a tenant of its own, or on both ``world`` tenants."""

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from partnerportal.models import Partner
from tests.partnerportal.factories import PartnerTypeFactory, TenantFactory
from tests.tiers.factories import Programme, build_programme


@pytest.fixture
def dstny(db) -> Programme:
    """A "Dstny" tenant with its Ambassadeur and Opérateur types and the Dstny tier ladder, no partner."""
    tenant = TenantFactory(name="Dstny", slug="dstny", legal_name="Dstny SAS")
    return build_programme(
        tenant=tenant,
        ambassador=PartnerTypeFactory(tenant=tenant, code="ambassadeur", name="Ambassadeur"),
        operator=PartnerTypeFactory(
            tenant=tenant, code="operateur", name="Opérateur", grading_basis="monthly revenue"
        ),
    )


@pytest.fixture
def programmes(world) -> dict[str, Programme]:
    """The Dstny ladder on tenants A and B of ``world``, whose partners joined in January 2024.

    ``world`` creates its partners with today's join date, which would keep them out of every past
    evaluation.
    """
    with scopes_disabled():  # both tenants' partners, on purpose
        Partner.objects.filter(tenant__in=[world.a.tenant, world.b.tenant]).update(
            date_joined=dt.date(2024, 1, 15)
        )
        for setup in (world.a, world.b):
            for partner in (setup.partner, setup.other_partner):
                partner.refresh_from_db()
    return {
        key: build_programme(tenant=setup.tenant, ambassador=setup.partner_type, operator=setup.operator_type)
        for key, setup in (("a", world.a), ("b", world.b))
    }
