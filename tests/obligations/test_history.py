"""The audit trail of duty reviews (django-simple-history): who submitted the evidence in the portal, who
reviewed it in the back-office, and only for the duty's own tenant."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from obligations.models import DutyFulfilment
from tests.obligations.conftest import upload
from tests.obligations.factories import DutyFulfilmentFactory


@pytest.fixture
def submitted(world, client_for):
    fulfilment = DutyFulfilmentFactory(partner=world.a.partner, duty__title="Charte partenaire")
    client_for(world.a.tenant, world.a.admin).post(
        reverse("obligations:fulfilment-upload", args=[fulfilment.pk]), {"document": upload()}
    )
    return fulfilment


def history_of(fulfilment) -> list[tuple]:
    with scopes_disabled():
        return list(
            DutyFulfilment.history.filter(id=fulfilment.pk)
            .order_by("history_date", "history_id")
            .values_list("history_type", "state", "history_user")
        )


def test_the_upload_and_the_review_are_recorded_with_who_did_them(
    world, submitted, client_for, django_capture_on_commit_callbacks
):
    manager = client_for(world.a.tenant, world.a.manager)
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(
            reverse("admin:obligations_dutyfulfilment_refuse", args=[submitted.pk]), {"reason": "Unsigned"}
        )

    assert history_of(submitted) == [
        ("+", "todo", None),
        ("~", "submitted", world.a.admin.pk),  # the portal's upload view, through the middleware
        ("~", "refused", world.a.manager.pk),
    ]
    page = manager.get(reverse("admin:obligations_dutyfulfilment_history", args=[submitted.pk]))
    assert page.status_code == 200 and len(page.context["page_obj"].object_list) == 3


def test_a_manager_cannot_read_another_tenants_review_history(world, client_for):
    theirs = DutyFulfilmentFactory(partner=world.b.partner)
    with scopes_disabled():
        record = DutyFulfilment.history.get(id=theirs.pk)
    manager_a = client_for(world.a.tenant, world.a.manager)

    history = reverse("admin:obligations_dutyfulfilment_history", args=[theirs.pk])
    one = reverse("admin:obligations_dutyfulfilment_simple_history", args=[theirs.pk, record.history_id])
    assert manager_a.get(history).status_code == 404
    assert manager_a.get(one).status_code == 404
    assert client_for(world.b.tenant, world.b.manager).get(history).status_code == 200
