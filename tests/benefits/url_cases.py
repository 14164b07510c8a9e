from tests.url_cases import UrlCase


def _programme(world):
    from tests.tiers.factories import build_programme

    return build_programme(
        tenant=world.a.tenant, ambassador=world.a.partner_type, operator=world.a.operator_type
    )


def _benefit(world):
    from tests.benefits.factories import BenefitFactory

    benefit = BenefitFactory(
        tenant=world.a.tenant, from_tier=_programme(world).tiers["starter"], claimable=True, quantity=5
    )
    return {"pk": benefit.pk}


def _claim(world):
    from tests.benefits.factories import BenefitFactory, ClaimFactory

    benefit = BenefitFactory(
        tenant=world.a.tenant, from_tier=_programme(world).tiers["starter"], claimable=True
    )
    claim = ClaimFactory(partner=world.a.partner, benefit=benefit, claimed_by=world.a.admin)
    return {"pk": claim.pk}


CASES = {
    "benefits:benefit-list": UrlCase(
        other_partner=200, other_tenant=200, marker=lambda w: w.a.partner.legal_name
    ),
    # The catalogue is the tenant's: A's other partner may claim the same benefit, for itself.
    "benefits:claim-create": UrlCase(kwargs=_benefit, method="post", owner=302, other_partner=302),
    "benefits:claim-cancel": UrlCase(kwargs=_claim, method="post", owner=302),
}
