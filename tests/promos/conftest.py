import pytest

from tests.promos.factories import seed_programme


@pytest.fixture
def seed(world):
    """Tenant A of ``world`` with Dstny's ladder and the seed's products and promotions."""
    return seed_programme(
        tenant=world.a.tenant, ambassador=world.a.partner_type, operator=world.a.operator_type
    )
