"""The audit trail of claims (django-simple-history): who decided, and only for the claim's own tenant."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from benefits.models import Claim

from .factories import ClaimFactory


@pytest.fixture
def manager(world, cat, client_for):
    return client_for(world.a.tenant, world.a.manager)


def history_of(claim) -> list[tuple]:
    with scopes_disabled():
        return list(
            Claim.history.filter(id=claim.pk)
            .order_by("history_date", "history_id")
            .values_list("history_type", "state", "history_user")
        )


def test_a_decision_in_the_back_office_is_recorded_with_the_manager(
    world, cat, manager, django_capture_on_commit_callbacks
):
    claim = ClaimFactory(partner=world.a.partner, benefit=cat.training, claimed_by=world.a.admin)

    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("admin:benefits_claim_approve", args=[claim.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("admin:benefits_claim_refuse", args=[claim.pk]), {"reason": "Budget spent"})

    assert history_of(claim) == [
        ("+", "pending", None),
        ("~", "approved", world.a.manager.pk),
        ("~", "refused", world.a.manager.pk),
    ]
    page = manager.get(reverse("admin:benefits_claim_history", args=[claim.pk]))
    assert page.status_code == 200
    assert len(page.context["page_obj"].object_list) == 3


def test_a_manager_cannot_read_another_tenants_claim_history(world, catalogues, client_for):
    theirs = ClaimFactory(partner=world.b.partner, benefit=catalogues["b"].training)
    with scopes_disabled():
        record = Claim.history.get(id=theirs.pk)
    manager_a = client_for(world.a.tenant, world.a.manager)

    assert manager_a.get(reverse("admin:benefits_claim_history", args=[theirs.pk])).status_code == 404
    one = reverse("admin:benefits_claim_simple_history", args=[theirs.pk, record.history_id])
    assert manager_a.get(one).status_code == 404
    manager_b = client_for(world.b.tenant, world.b.manager)
    assert manager_b.get(one).status_code == 200
