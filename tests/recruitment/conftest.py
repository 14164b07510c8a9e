"""Fixtures of the recruitment tests: a programme on both ``world`` tenants (the Dstny ladder, a benefit and
a duty at some tiers, named after the tenant so that a leak shows) and the membership criteria."""

from dataclasses import dataclass

import pytest

from recruitment.models import MembershipCriterion
from tests.benefits.factories import BenefitFactory
from tests.obligations.factories import DutyFactory
from tests.partnerportal.factories import with_luhn_key
from tests.tiers.factories import Programme, build_programme

from .factories import ApplicationFactory, MembershipCriterionFactory


@dataclass
class Setup:
    programme: Programme
    criteria: list[MembershipCriterion]


def build_setup(setup) -> Setup:
    name = setup.tenant.name
    programme = build_programme(
        tenant=setup.tenant, ambassador=setup.partner_type, operator=setup.operator_type
    )
    BenefitFactory(tenant=setup.tenant, from_tier=programme.tiers["starter"], title=f"{name} welcome pack")
    BenefitFactory(
        tenant=setup.tenant,
        from_tier=programme.tiers["business"],
        title=f"{name} partner days",
        partner_types=[setup.operator_type],
    )
    DutyFactory(tenant=setup.tenant, title=f"{name} partner charter", tiers=[programme.tiers["starter"]])
    DutyFactory(
        tenant=setup.tenant,
        title=f"{name} development plan",
        tiers=[programme.tiers["starter"], programme.tiers["access"]],
    )
    criteria = [
        MembershipCriterionFactory(tenant=setup.tenant, code=code, title=f"{name} {code}")
        for code in ("commitment", "market")
    ]
    return Setup(programme=programme, criteria=criteria)


@pytest.fixture
def setups(world) -> dict[str, Setup]:
    return {"a": build_setup(world.a), "b": build_setup(world.b)}


@pytest.fixture
def application(world):
    """A pending application to tenant A."""
    return ApplicationFactory(
        partner__tenant=world.a.tenant,
        partner__partner_type=world.a.partner_type,
        partner__legal_name="Candidat Réseaux SAS",
        partner__preferred_language="en",
        contact_email="claire@candidat.test",
    )


VALID_SIREN = with_luhn_key("73282932")


def form_data(world_setup, **overrides) -> dict:
    """A valid application to the tenant of ``world_setup`` (a TenantSetup of ``world``)."""
    return {
        "legal_name": "Iroise Télécom SARL",
        "company_number": with_luhn_key(VALID_SIREN + "0001"),
        "website": "iroise-telecom.test",
        "postal_code": "29200",
        "city": "Brest",
        "region": "Bretagne",
        "partner_type": str(world_setup.partner_type.pk),
        "first_name": "Yann",
        "last_name": "Le Gall",
        "email": "yann@iroise-telecom.test",
        "phone": "02 61 91 12 34",
        "products": "Téléphonie IP, fibre",
        "message": "Nous voulons proposer la VoIP.",
        "consent": "on",
        "url": "",
        **overrides,
    }
