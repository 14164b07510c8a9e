"""The public programme page: the tenant's own catalogue, from the data, and nothing private or foreign."""

from django.urls import reverse

from tests.tiers.factories import RevenueEntryFactory


def test_the_page_describes_the_tenants_programme_and_nothing_of_another(
    world, setups, client_for, django_assert_max_num_queries
):
    RevenueEntryFactory(partner=world.a.partner, amount="98765.43")
    client = client_for(world.a.tenant)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("recruitment:programme"))
    assert response.status_code == 200
    page = response.content.decode()
    # Types, tiers and thresholds (the Dstny figures), benefits and duties per tier, criteria, a call to apply.
    for text in (
        "Alpha ambassador",
        "Alpha operator",
        "Alpha operator plan",
        "Starter",
        "Premium",
        "500\xa0€",
        "20\xa0000\xa0€",
        "Alpha welcome pack",
        "Alpha partner days",
        "Alpha partner charter",
        "Alpha commitment",
        reverse("recruitment:apply"),
    ):
        assert text in page, text
    # Tiers add up: a duty of Starter and Access is listed once, at Starter.
    assert page.count("Alpha development plan") == 1
    # Nothing of tenant B, and nothing private of A: no partner, no person, no revenue.
    for text in ("Bravo", "Azur Réseaux", "Ambre Services", world.a.admin.email, "98\xa0765", "98765"):
        assert text not in page, text


def test_the_page_is_public_and_cached_per_tenant(world, setups, client_for, django_assert_num_queries):
    client = client_for(world.a.tenant)
    client.get(reverse("recruitment:programme"))
    with django_assert_num_queries(1):  # the tenant of the host; the catalogue comes from the cache
        client.get(reverse("recruitment:programme"))
    page = client_for(world.b.tenant).get(reverse("recruitment:programme")).content.decode()
    assert "Bravo welcome pack" in page and "Alpha" not in page


def test_the_sign_in_page_links_to_the_programme(world, client_for):
    page = client_for(world.a.tenant).get(reverse("account_login")).content.decode()
    assert f'href="{reverse("recruitment:programme")}"' in page
    assert "Pas encore partenaire ? Découvrez le programme Alpha et candidatez" in page
