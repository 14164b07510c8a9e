import pytest

from .factories import build_network


@pytest.fixture
def networks(world):
    """An Experts Zen programme with a certified Premium expert (the world's partner) on both tenants."""
    return {"a": build_network(world.a), "b": build_network(world.b)}


@pytest.fixture
def net(networks):
    return networks["a"]
