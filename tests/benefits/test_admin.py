"""The back-office (benefits/admin.py): the catalogue, and the claims' review queue."""

import datetime as dt

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from .factories import ClaimFactory

QUEUE = reverse("admin:benefits_claim_changelist")


@pytest.fixture
def manager(world, cat, client_for):
    return client_for(world.a.tenant, world.a.manager)


@pytest.fixture
def pending(world, cat):
    return ClaimFactory(partner=world.a.partner, benefit=cat.training, claimed_by=world.a.admin)


def state_of(claim) -> tuple:
    with scopes_disabled():
        claim.refresh_from_db()
    return claim.state, claim.refusal_reason


def test_the_queue_shows_pending_claims_first_with_their_buttons(world, cat, manager):
    waiting = ClaimFactory(
        partner=world.a.other_partner, benefit=cat.training, period_start=dt.date(2024, 1, 1)
    )
    approved = ClaimFactory(partner=world.a.partner, benefit=cat.training, state="approved")
    done = ClaimFactory(partner=world.a.partner, benefit=cat.training, state="fulfilled")  # the newest

    response = manager.get(QUEUE)

    assert response.status_code == 200
    assert [c.pk for c in response.context["cl"].result_list] == [waiting.pk, approved.pk, done.pk]
    page = response.content.decode()
    assert reverse("admin:benefits_claim_approve", args=[waiting.pk]) in page
    assert reverse("admin:benefits_claim_approve", args=[done.pk]) not in page


def test_another_tenants_claims_are_not_in_the_queue(world, catalogues, client_for):
    theirs = ClaimFactory(partner=world.b.partner, benefit=catalogues["b"].training)
    manager = client_for(world.a.tenant, world.a.manager)

    assert theirs.pk not in [c.pk for c in manager.get(QUEUE).context["cl"].result_list]
    assert manager.post(reverse("admin:benefits_claim_approve", args=[theirs.pk])).status_code == 404
    assert manager.get(reverse("admin:benefits_claim_refuse", args=[theirs.pk])).status_code == 404
    assert state_of(theirs) == ("pending", "")


def test_approve_and_fulfil_in_one_click(
    world, pending, manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(reverse("admin:benefits_claim_approve", args=[pending.pk]))
    assert response.status_code == 302 and state_of(pending) == ("approved", "")
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("admin:benefits_claim_fulfil", args=[pending.pk]))

    assert state_of(pending) == ("fulfilled", "")
    assert len(mailoutbox) == 2


def test_a_get_on_a_decision_url_changes_nothing(world, pending, manager):
    manager.get(reverse("admin:benefits_claim_approve", args=[pending.pk]))

    assert state_of(pending) == ("pending", "")


def test_refusing_asks_for_a_reason(world, pending, manager, mailoutbox, django_capture_on_commit_callbacks):
    url = reverse("admin:benefits_claim_refuse", args=[pending.pk])
    assert manager.get(url).status_code == 200

    blank = manager.post(url, {"reason": "   "})
    assert blank.status_code == 400 and state_of(pending) == ("pending", "")

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(url, {"reason": "Budget spent for this year"})

    assert response.status_code == 302
    assert state_of(pending) == ("refused", "Budget spent for this year")
    assert "Budget spent for this year" in mailoutbox[0].body


def test_bulk_actions_go_through_the_services(
    world, cat, pending, manager, mailoutbox, django_capture_on_commit_callbacks
):
    other = ClaimFactory(partner=world.a.other_partner, benefit=cat.training)
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(QUEUE, {"action": "approve_selected", "_selected_action": [pending.pk, other.pk]})

    assert state_of(pending)[0] == state_of(other)[0] == "approved"
    assert len(mailoutbox) == 2
    manager.post(QUEUE, {"action": "fulfil_selected", "_selected_action": [pending.pk]})
    assert state_of(pending)[0] == "fulfilled"


def test_claims_are_neither_added_nor_deleted_in_the_back_office(world, pending, manager):
    assert manager.get(reverse("admin:benefits_claim_add")).status_code == 403
    assert manager.get(reverse("admin:benefits_claim_delete", args=[pending.pk])).status_code == 403


def test_the_catalogue_is_the_managers_to_edit(world, cat, manager):
    response = manager.get(reverse("admin:benefits_benefit_change", args=[cat.training.pk]))

    assert response.status_code == 200
    assert b'name="tenant"' not in response.content


def test_a_partners_person_has_no_back_office(world, pending, client_for):
    client = client_for(world.a.tenant, world.a.admin)

    assert client.post(reverse("admin:benefits_claim_approve", args=[pending.pk])).status_code == 302
    assert state_of(pending) == ("pending", "")


def test_a_claims_change_page_saves_nothing(world, pending, manager):
    url = reverse("admin:benefits_claim_change", args=[pending.pk])

    assert manager.get(url).status_code == 200  # read, without a Save
    assert b'name="_save"' not in manager.get(url).content
    response = manager.post(url, {"note": "Edited", "state": "fulfilled"})

    assert response.status_code == 403
    with scopes_disabled():
        pending.refresh_from_db()
    assert (pending.state, pending.note) == ("pending", "")
    # The decisions still go through the services from the queue.
    manager.post(reverse("admin:benefits_claim_approve", args=[pending.pk]))
    assert state_of(pending) == ("approved", "")


def _change_data(response, **overrides) -> dict:
    """The change form's current values, as the browser would post them back."""
    data = {}
    for name, value in response.context["adminform"].form.initial.items():
        if name == "partner_types":
            data[name] = [t.pk for t in value]
        elif value is not None:
            data[name] = value
    return {**data, **overrides}


def test_the_superuser_cannot_give_a_benefit_another_tenants_partner_types(world, catalogues, client_for):
    superuser = client_for(world.a.tenant, world.superuser)
    training = catalogues["a"].training
    url = reverse("admin:benefits_benefit_change", args=[training.pk])

    response = superuser.post(
        url,
        _change_data(superuser.get(url), partner_types=[world.a.partner_type.pk, world.b.partner_type.pk]),
    )

    assert response.status_code == 200
    assert "Choisissez uniquement des types de partenaires du programme de cet avantage." in (
        response.content.decode()
    )
    with scopes_disabled():
        assert list(training.partner_types.all()) == []

    response = superuser.post(url, _change_data(superuser.get(url), partner_types=[world.a.partner_type.pk]))

    assert response.status_code == 302
    with scopes_disabled():
        assert list(training.partner_types.values_list("pk", flat=True)) == [world.a.partner_type.pk]
