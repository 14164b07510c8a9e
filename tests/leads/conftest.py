"""Fixtures of the leads tests: the Dstny ladder on both tenants with the lead benefit at Business.

On tenant A, ``world.a.partner`` is Premium in Rennes (35) and ``world.a.other_partner`` Business in
Nantes (44); on B, the same shape, so that a leak between tenants shows.
"""

from dataclasses import dataclass

import pytest
from django_scopes import scopes_disabled

from benefits.models import Benefit
from tests.benefits.factories import BenefitFactory
from tests.tiers.factories import Programme, build_programme

from .factories import place


@dataclass
class LeadProgramme:
    programme: Programme
    benefit: Benefit

    @property
    def tiers(self):
        return self.programme.tiers


def build(setup) -> LeadProgramme:
    programme = build_programme(
        tenant=setup.tenant, ambassador=setup.partner_type, operator=setup.operator_type
    )
    benefit = BenefitFactory(
        tenant=setup.tenant,
        code="leads",
        title="Leads éditeur",
        category=Benefit.Category.BUSINESS,
        from_tier=programme.tiers["business"],
    )
    place(setup.partner, tier=programme.tiers["premium"], postal_code="35000")
    place(setup.other_partner, tier=programme.tiers["business"], postal_code="44000")
    return LeadProgramme(programme=programme, benefit=benefit)


@pytest.fixture
def programmes(world) -> dict[str, LeadProgramme]:
    with scopes_disabled():
        return {"a": build(world.a), "b": build(world.b)}


@pytest.fixture
def prog(programmes) -> LeadProgramme:
    return programmes["a"]
