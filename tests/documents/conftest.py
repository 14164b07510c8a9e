import pytest
from django_scopes import scopes_disabled

from tests.partnerportal.factories import PartnerTypeFactory, TenantFactory
from tests.tiers.factories import Programme, build_programme
from tiers.models import Tier


@pytest.fixture(autouse=True)
def _documents_storage(settings, tmp_path):
    """Documents go to a folder of the test's own, never to the project's private folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


def awarding_documents(programme: Programme) -> Programme:
    """The seeds' awards on a Dstny ladder: a booster pack at Access, a diploma at Business and Premium."""
    with scopes_disabled():  # test data
        tiers = Tier.objects.filter(tenant=programme.tenant)
        tiers.filter(code="access").update(awards_booster_pack=True)
        tiers.filter(code__in=["business", "premium"]).update(awards_diploma=True)
        for tier in programme.tiers.values():
            tier.refresh_from_db()
    return programme


@pytest.fixture
def programme(db) -> Programme:
    """A "Dstny" tenant (Europe/Paris, evaluations on 1 January and 1 July) with the Dstny ladder and the
    seeds' documents, no partner yet."""
    tenant = TenantFactory(name="Dstny", slug="dstny", legal_name="Dstny France SAS")
    return awarding_documents(
        build_programme(
            tenant=tenant,
            ambassador=PartnerTypeFactory(tenant=tenant, code="ambassadeur", name="Ambassadeur"),
            operator=PartnerTypeFactory(
                tenant=tenant, code="operateur", name="Opérateur", has_operator_plans=True
            ),
        )
    )


# The pages in English, as the assertions read them (the French catalogue is the locale files' business):
# the language cookie is a visitor's explicit choice, which wins over the tenant's default.


@pytest.fixture
def client_for(client_for, settings):
    def make(*args, **kwargs):
        client = client_for(*args, **kwargs)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
