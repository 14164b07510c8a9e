"""The benefits' demo data (benefits/demo.py): both seeds' catalogues, claims in every state, idempotent."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from benefits.models import Benefit, Claim
from partnerportal.models import Tenant, User
from tests.conftest import login_on


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo writes tenant logos
    call_command("load_demo", verbosity=0)


def catalogue(slug: str) -> dict[str, Benefit]:
    with scopes_disabled():
        return {
            b.code: b
            for b in Benefit.objects.filter(tenant__slug=slug).select_related("from_tier", "replaces")
        }


def test_the_demo_catalogues_and_claims(demo, client):
    """One test, since loading the demo takes a while: catalogues, claims, the page, a second load."""
    dstny, openip = catalogue("dstny"), catalogue("openip")

    assert dstny["bizbooster-150"].value == 150 and dstny["bizbooster-150"].validity_months == 3
    assert dstny["bizbooster-500"].replaces == dstny["bizbooster-150"]
    assert (
        dstny["formation-gratuite"].from_tier.code == "premium"
        and dstny["formation-gratuite"].period == "year"
    )
    assert "kakémono" in openip["bizbooster-150"].description  # OpenIP's BizBooster: flyers or a roll-up
    assert "pack-booster" in openip and "pack-booster" not in dstny
    with scopes_disabled():
        assert list(openip["remise-fibre"].partner_types.values_list("code", flat=True)) == ["operateur"]
        assert not dstny["wiki"].partner_types.exists()
    with scopes_disabled():
        states = set(Claim.objects.filter(partner__external_ref="DST-00003").values_list("state", flat=True))
        refused = Claim.objects.filter(partner__external_ref="DST-00003", state="refused").first()

    assert {"pending", "approved", "fulfilled", "refused"} <= states
    assert refused.refusal_reason

    with scopes_disabled():
        before = list(Claim.objects.order_by("pk").values()), list(Benefit.objects.order_by("pk").values())
    call_command("load_demo", verbosity=0)
    with scopes_disabled():
        after = list(Claim.objects.order_by("pk").values()), list(Benefit.objects.order_by("pk").values())

    assert after == before
    with scopes_disabled():
        tenant = Tenant.objects.get(slug="dstny")
    login_on(client, User.objects.get(email="premium@dstny.demo"), tenant)

    page = client.get(reverse("benefits:benefit-list"), HTTP_HOST="dstny.localhost").content.decode()

    assert "Atlantique Connect" in page and "Promo BizBooster 500 €" in page and "En attente" in page
