"""Mes avantages (benefits/views.py): the page, claiming and cancelling, isolation, query counts."""

import datetime as dt

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django_scopes import scopes_disabled

from benefits.models import Claim

from .factories import BenefitFactory, ClaimFactory, assess

LIST = reverse("benefits:benefit-list")
NOW = dt.datetime(2026, 8, 15, 10, 0, tzinfo=dt.UTC)


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


def test_the_page_shows_what_the_partner_has_can_claim_and_its_claims(world, cat, premium, client):
    ClaimFactory(
        partner=premium,
        benefit=cat.training,
        state="refused",
        refusal_reason="Session full",
        claimed_by=world.a.admin,
    )

    response = client.get(LIST)
    page = response.content.decode()

    assert response.status_code == 200
    assert "BizBooster 500 €" in page and "Free training seat" in page and "Wiki" in page
    assert reverse("benefits:claim-create", args=[cat.training.pk]) in page  # a seat is left
    assert "Session full" in page  # the refusal's reason
    assert "remplacé par BizBooster 500 €" in page  # the comparison, at Premium
    assert "SIP Trunk volume offer" not in page  # an operator's benefit
    assert 'class="compare__tier is-current"' in page
    assert '<span class="benefit__value">500,00\xa0€</span>' in page  # money in the reader's language
    client.cookies["django_language"] = "en"
    assert '<span class="benefit__value">€500.00</span>' in client.get(LIST).content.decode()


def test_the_page_query_count_does_not_grow_with_the_catalogue_or_the_claims(
    world, cat, premium, client, django_assert_max_num_queries
):
    for n in range(8):
        benefit = BenefitFactory(
            tenant=world.a.tenant, from_tier=cat.tiers["access"], claimable=True, quantity=3
        )
        ClaimFactory(partner=premium, benefit=benefit, claimed_by=world.a.admin, note=f"claim {n}")

    # Session, user, membership and partner (middleware); tiers, assessments, catalogue and claims counted
    # (the overview); the claims table's count and page.
    with django_assert_max_num_queries(10):
        response = client.get(LIST)

    assert response.status_code == 200


def test_claims_are_sorted_and_paginated(world, cat, premium, client):
    for n in range(12):
        ClaimFactory(
            partner=premium, benefit=cat.training, state="fulfilled", period_start=dt.date(2010 + n, 1, 1)
        )

    page_2 = client.get(LIST, {"page": 2, "sort": "state"})

    assert page_2.status_code == 200
    assert page_2.context["table"].page.number == 2 and len(page_2.context["table"].page.object_list) == 2


def test_claiming_writes_a_pending_claim_and_says_so(world, cat, premium, client):
    response = client.post(reverse("benefits:claim-create", args=[cat.training.pk]), {"note": "May session"})

    assert response.status_code == 302 and response["Location"] == LIST
    assert claims() == [(premium.pk, cat.training.pk, "pending")]
    assert messages_of(response) == [
        "Votre demande « Free training seat » est envoyée : votre responsable de compte va l’examiner."
    ]


def test_each_claim_form_has_a_labelled_note_which_reaches_the_claim(world, cat, premium, client):
    page = client.get(LIST).content.decode()
    action = reverse("benefits:claim-create", args=[cat.training.pk])
    form = page[page.index(f'action="{action}"') : page.index("</form>", page.index(f'action="{action}"'))]

    assert '<textarea name="note"' in form and 'maxlength="500"' in form
    assert "Un mot pour votre responsable de compte (facultatif)" in form
    assert 'id="' not in form  # one form per benefit: no repeated ids

    client.post(action, {"note": "  Two seats for the May session, please  "})

    with scopes_disabled():
        assert Claim.objects.get(partner=premium, benefit=cat.training).note == (
            "Two seats for the May session, please"
        )


def test_a_claim_with_none_left_is_refused_with_a_message_and_writes_nothing(world, cat, premium, client):
    ClaimFactory(partner=premium, benefit=cat.training, claimed_by=world.a.admin)
    before = claims()

    response = client.post(reverse("benefits:claim-create", args=[cat.training.pk]))

    assert response.status_code == 302
    assert claims() == before
    assert "déjà" in messages_of(response)[0]


def test_a_benefit_of_a_higher_tier_is_refused_with_a_message(world, cat, client):
    response = client.post(reverse("benefits:claim-create", args=[cat.training.pk]))

    assert response.status_code == 302
    assert claims() == []
    assert messages_of(response) == ["Free training seat est réservé au statut Premium."]


def test_a_benefit_of_another_type_or_tenant_is_not_found(world, catalogues, premium, client):
    for benefit in (catalogues["a"].operator_promo, catalogues["b"].training):
        assert client.post(reverse("benefits:claim-create", args=[benefit.pk])).status_code == 404
    assert claims() == []


def test_claiming_is_a_post(world, cat, premium, client):
    assert client.get(reverse("benefits:claim-create", args=[cat.training.pk])).status_code == 405


def test_cancelling_a_pending_claim(world, cat, premium, client):
    claim = ClaimFactory(partner=premium, benefit=cat.training, claimed_by=world.a.admin)

    response = client.post(reverse("benefits:claim-cancel", args=[claim.pk]))

    assert response.status_code == 302
    assert claims() == [(premium.pk, cat.training.pk, "cancelled")]


def test_a_decided_claim_cannot_be_cancelled(world, cat, premium, client):
    claim = ClaimFactory(partner=premium, benefit=cat.training, state="approved")

    response = client.post(reverse("benefits:claim-cancel", args=[claim.pk]))

    assert claims() == [(premium.pk, cat.training.pk, "approved")]
    assert "seule une demande en attente" in messages_of(response)[0].lower()


def test_claim_actions_are_isolated(world, cat, premium, isolation):
    claim = ClaimFactory(partner=premium, benefit=cat.training, claimed_by=world.a.admin)

    isolation(
        [reverse("benefits:claim-cancel", args=[claim.pk])],
        methods=["post"],
        expected=302,
        unchanged=lambda: Claim.objects.values_list("pk", "state").order_by("pk"),
    )

    assert claims() == [(premium.pk, cat.training.pk, "cancelled")]


def test_another_partners_claims_are_not_on_the_page(world, cat, premium, client_for):
    ClaimFactory(partner=premium, benefit=cat.training, state="refused", refusal_reason="Secret reason")

    for tenant, user in ((world.a.tenant, world.a.other_admin), (world.b.tenant, world.b.admin)):
        page = client_for(tenant, user).get(LIST).content.decode()
        assert "Secret reason" not in page and world.a.partner.legal_name not in page


def test_managers_are_sent_to_the_back_office(world, cat, client_for):
    response = client_for(world.a.tenant, world.a.manager).get(LIST)

    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_the_menu_has_my_benefits(world, cat, client):
    page = client.get(reverse("partnerportal:home")).content.decode()

    assert f'href="{LIST}"' in page and "Mes avantages" in page
