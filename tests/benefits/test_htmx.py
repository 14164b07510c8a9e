"""Mes avantages with htmx (benefits/views.py): a claim or a cancellation answers with the fragments that
changed, the message inside them; the same URL still redirects a plain form post; isolation holds."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django_scopes import scopes_disabled

from benefits.models import Claim

from .factories import BenefitFactory, ClaimFactory, assess

LIST = reverse("benefits:benefit-list")
NOW = dt.datetime(2026, 8, 15, 10, 0, tzinfo=dt.UTC)
HTMX = {"HX-Request": "true", "HX-Current-URL": f"http://alpha.localhost{LIST}"}


@pytest.fixture(autouse=True)
def _august():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def premium(world, cat):
    assess(world.a.partner, cat.tiers["premium"], dt.date(2026, 7, 1))
    return world.a.partner


@pytest.fixture
def client(world, client_for):
    return client_for(world.a.tenant, world.a.sales)


def claims() -> list[tuple]:
    with scopes_disabled():
        return list(Claim.objects.order_by("pk").values_list("partner_id", "benefit_id", "state"))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def element(page: str, tag: str, id_: str) -> str:
    """The HTML of the ``<tag id=id_>`` element of ``page`` ("" when there is none)."""
    match = re.search(rf'<{tag}[^>]*id="{id_}".*?</{tag}>', page, re.S)
    return match.group(0) if match else ""


def test_the_page_posts_its_forms_with_htmx_and_keeps_them_plain_forms(world, cat, premium, client):
    ClaimFactory(partner=premium, benefit=cat.bizbooster_premium, claimed_by=world.a.admin)
    page = client.get(LIST).content.decode()
    claim_url = reverse("benefits:claim-create", args=[cat.training.pk])
    row = element(page, "li", f"benefit-{cat.training.pk}")

    assert f'action="{claim_url}"' in row and f'hx-post="{claim_url}"' in row
    assert f'hx-target="#benefit-{cat.training.pk}"' in row and 'hx-swap="outerHTML"' in row
    cancel = element(page, "section", "my-claims")
    assert 'hx-target="#my-claims"' in cancel and "hx-on" not in page  # no eval under the CSP


def test_an_htmx_claim_answers_with_the_row_and_the_claims_card(world, cat, premium, client):
    response = client.post(
        reverse("benefits:claim-create", args=[cat.training.pk]), {"note": "May session"}, headers=HTMX
    )
    page = response.content.decode()

    assert response.status_code == 200 and "<html" not in page
    assert "HX-Request" in response["Vary"]
    assert claims() == [(premium.pk, cat.training.pk, "pending")]
    row = element(page, "li", f"benefit-{cat.training.pk}")
    assert "Votre demande « Free training seat » est envoyée" in row and 'role="status"' in row
    assert "0 sur 1 restant" in row or "benefit--spent" in row  # the seat is taken: no form any more
    assert "<form" not in row
    card = element(page, "section", "my-claims")
    assert 'hx-swap-oob="true"' in card and "Free training seat" in card and "En attente" in card
    assert messages_of(response) == []  # the message is in the fragment, not left for the next page


def test_a_plain_claim_on_the_same_url_still_redirects_with_a_message(world, cat, premium, client):
    response = client.post(reverse("benefits:claim-create", args=[cat.training.pk]))

    assert response.status_code == 302 and response["Location"] == LIST
    assert "HX-Request" in response["Vary"]
    assert len(messages_of(response)) == 1


def test_a_refused_htmx_claim_says_why_in_the_row_and_keeps_the_note(world, cat, premium, client):
    ClaimFactory(partner=premium, benefit=cat.training, claimed_by=world.a.admin)
    before = claims()

    response = client.post(
        reverse("benefits:claim-create", args=[cat.training.pk]), {"note": "One more?"}, headers=HTMX
    )
    row = element(response.content.decode(), "li", f"benefit-{cat.training.pk}")

    assert response.status_code == 200 and claims() == before
    assert 'role="alert"' in row and "déjà" in row
    assert messages_of(response) == []


def test_a_too_long_note_comes_back_in_the_row_with_the_note(world, cat, premium, client):
    response = client.post(
        reverse("benefits:claim-create", args=[cat.training.pk]), {"note": "x" * 501}, headers=HTMX
    )
    row = element(response.content.decode(), "li", f"benefit-{cat.training.pk}")

    assert claims() == []
    assert "500 caractères au plus" in row and "x" * 501 in row  # nothing typed is lost
    assert not re.search(r"\sid=\"", row.split("<form", 1)[1])  # the form still repeats no id


def test_a_claim_of_a_benefit_no_longer_on_offer_answers_a_row_with_the_message_only(world, cat, client):
    # At Starter: the Premium seat is not the partner's (a page left open since a demotion).
    response = client.post(reverse("benefits:claim-create", args=[cat.training.pk]), headers=HTMX)
    row = element(response.content.decode(), "li", f"benefit-{cat.training.pk}")

    assert claims() == []
    assert "réservé au statut Premium" in row and "<form" not in row


def test_an_htmx_cancellation_answers_with_the_claims_card_and_the_row_out_of_band(
    world, cat, premium, client
):
    claim = ClaimFactory(partner=premium, benefit=cat.training, claimed_by=world.a.admin)

    response = client.post(reverse("benefits:claim-cancel", args=[claim.pk]), headers=HTMX)
    page = response.content.decode()

    assert response.status_code == 200 and "<html" not in page and "HX-Request" in response["Vary"]
    assert claims() == [(premium.pk, cat.training.pk, "cancelled")]
    card = element(page, "section", "my-claims")
    assert "hx-swap-oob" not in card and "Votre demande « Free training seat » est annulée." in card
    assert "Annulée" in card
    row = element(page, "li", f"benefit-{cat.training.pk}")
    assert 'hx-swap-oob="true"' in row and "<form" in row  # the seat is free again: it can be claimed
    assert messages_of(response) == []


def test_cancelling_a_decided_claim_with_htmx_says_why_in_the_card(world, cat, premium, client):
    claim = ClaimFactory(partner=premium, benefit=cat.training, state="approved")

    response = client.post(reverse("benefits:claim-cancel", args=[claim.pk]), headers=HTMX)
    card = element(response.content.decode(), "section", "my-claims")

    assert claims() == [(premium.pk, cat.training.pk, "approved")]
    assert 'role="alert"' in card and "seule une demande en attente" in card.lower()


def test_the_claims_card_keeps_the_sort_and_page_of_the_page_it_replaces(world, cat, premium, client):
    for n in range(12):
        ClaimFactory(
            partner=premium, benefit=cat.wiki, state="fulfilled", period_start=dt.date(2010 + n, 1, 1)
        )
    claim = ClaimFactory(partner=premium, benefit=cat.training, claimed_by=world.a.admin)

    response = client.post(
        reverse("benefits:claim-cancel", args=[claim.pk]),
        headers={**HTMX, "HX-Current-URL": f"http://alpha.localhost{LIST}?sort=state&page=2"},
    )

    table = response.context["table"]
    assert table.page.number == 2 and table.order_by == ("state",)


def test_htmx_claims_and_cancellations_are_as_isolated_as_plain_ones(
    world, catalogues, premium, client, client_for
):
    cat_a = catalogues["a"]
    for benefit in (cat_a.operator_promo, catalogues["b"].training):  # another type's, another tenant's
        response = client.post(reverse("benefits:claim-create", args=[benefit.pk]), headers=HTMX)
        assert response.status_code == 404
    claim = ClaimFactory(partner=premium, benefit=cat_a.training, claimed_by=world.a.admin)
    for tenant, user in ((world.a.tenant, world.a.other_admin), (world.b.tenant, world.b.admin)):
        intruder = client_for(tenant, user)
        response = intruder.post(reverse("benefits:claim-cancel", args=[claim.pk]), headers=HTMX)
        assert response.status_code == 404
    assert claims() == [(premium.pk, cat_a.training.pk, "pending")]


def test_the_fragments_query_count_does_not_grow_with_the_catalogue_or_the_claims(
    world, cat, premium, client, django_assert_max_num_queries
):
    claim_url = reverse("benefits:claim-create", args=[cat.training.pk])

    def seat_free_again():
        with scopes_disabled():
            Claim.objects.filter(benefit=cat.training).delete()

    # Middleware (4); the benefit; the service (savepoints, the partner's lock, its overview (4), the
    # claim's checks and insert); the row's overview (4); the claims table (count, page).
    with django_assert_max_num_queries(27):
        assert client.post(claim_url, headers=HTMX).status_code == 200
    for n in range(8):
        benefit = BenefitFactory(
            tenant=world.a.tenant, from_tier=cat.tiers["access"], claimable=True, quantity=3
        )
        ClaimFactory(partner=premium, benefit=benefit, claimed_by=world.a.admin, note=f"claim {n}")
    seat_free_again()
    with django_assert_max_num_queries(27):
        assert client.post(claim_url, headers=HTMX).status_code == 200

    claim = ClaimFactory(partner=premium, benefit=cat.bizbooster_premium, claimed_by=world.a.admin)
    with django_assert_max_num_queries(16):
        assert client.post(reverse("benefits:claim-cancel", args=[claim.pk]), headers=HTMX).status_code == 200
