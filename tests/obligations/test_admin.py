"""The back-office: the review queue (approve in one click, refuse with a reason), the catalogue, and the
compliance column and filter of the partners' list."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from obligations.models import FulfilmentState
from tests.obligations.conftest import upload
from tests.obligations.factories import DutyFactory, DutyFulfilmentFactory
from tests.obligations.helpers import reload

QUEUE = reverse("admin:obligations_dutyfulfilment_changelist")


@pytest.fixture
def manager_a(world, client_for):
    return client_for(world.a.tenant, world.a.manager)


@pytest.fixture
def submitted(world, client_for):
    f = DutyFulfilmentFactory(partner=world.a.partner, duty__title="Charte partenaire")
    client_for(world.a.tenant, world.a.admin).post(
        reverse("obligations:fulfilment-upload", args=[f.pk]), {"document": upload()}
    )
    return reload(f)


def test_the_queue_opens_on_submitted_evidence(world, manager_a, submitted):
    DutyFulfilmentFactory(partner=world.a.partner, duty__title="Encore à faire")
    DutyFulfilmentFactory(partner=world.b.partner, duty__title="Chez Bravo", state=FulfilmentState.SUBMITTED)

    response = manager_a.get(QUEUE)

    assert [f.pk for f in response.context["cl"].result_list] == [submitted.pk]
    assert reverse("obligations:fulfilment-document", args=[submitted.pk]) in response.content.decode()
    assert len(manager_a.get(QUEUE + "?state=all").context["cl"].result_list) == 2


def test_one_click_approval_e_mails_the_partners_admins(
    world, manager_a, submitted, django_capture_on_commit_callbacks
):
    url = reverse("admin:obligations_dutyfulfilment_approve", args=[submitted.pk])
    assert manager_a.get(url).status_code == 302  # a GET changes nothing
    assert reload(submitted).state == FulfilmentState.SUBMITTED

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_a.post(url)

    assert response.status_code == 302
    approved = reload(submitted)
    assert (approved.state, approved.decided_by) == (FulfilmentState.APPROVED, world.a.manager)
    assert [m.to for m in mail.outbox] == [[world.a.admin.email]]
    assert "Charte partenaire" in mail.outbox[0].subject


def test_the_admin_action_approves_many(world, manager_a, django_capture_on_commit_callbacks):
    rows = [DutyFulfilmentFactory(partner=world.a.partner, state=FulfilmentState.SUBMITTED) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        manager_a.post(QUEUE, {"action": "approve", "_selected_action": [r.pk for r in rows]})
    assert {reload(r).state for r in rows} == {FulfilmentState.APPROVED}
    assert len(mail.outbox) == 3


def test_a_refusal_needs_a_reason(world, manager_a, submitted, django_capture_on_commit_callbacks):
    url = reverse("admin:obligations_dutyfulfilment_refuse", args=[submitted.pk])
    assert manager_a.get(url).status_code == 200

    assert manager_a.post(url, {"reason": "   "}).status_code == 400
    assert reload(submitted).state == FulfilmentState.SUBMITTED

    with django_capture_on_commit_callbacks(execute=True):
        assert manager_a.post(url, {"reason": "La signature manque."}).status_code == 302
    refused = reload(submitted)
    assert (refused.state, refused.reason) == (FulfilmentState.REFUSED, "La signature manque.")
    assert "La signature manque." in mail.outbox[0].body


def test_waiving_counts_as_done_and_needs_a_reason(world, manager_a):
    f = DutyFulfilmentFactory(partner=world.a.partner)
    url = reverse("admin:obligations_dutyfulfilment_waive", args=[f.pk])
    assert manager_a.post(url, {"reason": ""}).status_code == 400
    manager_a.post(url, {"reason": "Formation suivie ailleurs"})
    assert reload(f).state == FulfilmentState.WAIVED


def test_another_tenants_manager_cannot_decide(world, client_for, submitted):
    other = client_for(world.b.tenant, world.b.manager)
    for name in ("approve", "refuse", "waive"):
        url = reverse(f"admin:obligations_dutyfulfilment_{name}", args=[submitted.pk])
        assert other.post(url, {"reason": "x"}).status_code == 404
    assert reload(submitted).state == FulfilmentState.SUBMITTED
    partner_person = client_for(world.a.tenant, world.a.admin)
    assert (
        partner_person.post(
            reverse("admin:obligations_dutyfulfilment_approve", args=[submitted.pk])
        ).status_code
        == 302
    )
    assert reload(submitted).state == FulfilmentState.SUBMITTED  # sent to the admin's sign-in, not approved


def test_the_catalogue_is_listed(world, manager_a):
    DutyFactory(tenant=world.a.tenant, title="Charte partenaire")
    DutyFactory(tenant=world.b.tenant, title="Charte Bravo")
    body = manager_a.get(reverse("admin:obligations_duty_changelist")).content.decode()
    assert "Charte partenaire" in body and "Charte Bravo" not in body


@time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False)
def test_the_partners_list_shows_and_filters_compliance(world, manager_a, django_assert_max_num_queries):
    a, other = world.a.partner, world.a.other_partner
    DutyFulfilmentFactory(partner=a, state=FulfilmentState.APPROVED)
    DutyFulfilmentFactory(partner=a, due_date=dt.date(2026, 5, 1))  # missed
    DutyFulfilmentFactory(partner=a, due_date=dt.date(2026, 5, 1))  # missed
    DutyFulfilmentFactory(partner=other, state=FulfilmentState.WAIVED)
    url = reverse("admin:partnerportal_partner_changelist")

    with django_assert_max_num_queries(25):
        body = manager_a.get(url).content.decode()
    assert "33 % (1/3)" in body and "100 % (1/1)" in body

    def names(query):
        return manager_a.get(url + query).content.decode()

    assert a.legal_name in names("?compliance=low") and other.legal_name not in names("?compliance=low")
    assert other.legal_name in names("?compliance=full") and a.legal_name not in names("?compliance=full")
    assert a.legal_name not in names("?compliance=mid")
    assert a.legal_name not in names("?compliance=none")
