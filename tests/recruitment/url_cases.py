"""The recruitment pages are public: every role gets them, on A's host or (another tenant's people) on their
own. The walker searches a row's marker on every page but the owner's side's, and A's public page rightly
shows A's catalogue to anonymous visitors, so the markers are private data: B's partner on the programme
page (a catalogue on both tenants is built first: A's page shows none of B, and B's page no partner), the
owner's e-mail on the others. tests/recruitment/test_programme.py checks the catalogues themselves."""

from tests.url_cases import everyone


def _programme(world):
    from tests.benefits.factories import BenefitFactory
    from tests.tiers.factories import TierFactory

    for setup in (world.a, world.b):
        tier = TierFactory(tenant=setup.tenant, code="starter", name=f"{setup.tenant.name} Starter", rank=1)
        BenefitFactory(tenant=setup.tenant, from_tier=tier, title=f"{setup.tenant.name} welcome pack")
    return {}


CASES = {
    "recruitment:programme": everyone(
        200, kwargs=_programme, marker=lambda world: world.b.partner.legal_name
    ),
    "recruitment:apply": everyone(200),
    "recruitment:apply-done": everyone(200),
}
