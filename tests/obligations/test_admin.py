"""The back-office: the review queue (approve in one click, refuse with a reason), the catalogue, and the
compliance column and filter of the partners' list."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django_scopes import scopes_disabled

from obligations import services, tasks
from obligations.models import FulfilmentState
from partnerportal.models import Tenant
from partnerportal.tenancy import tenant_scope
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


@time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), tick=False)
def test_the_partners_list_judges_each_tenant_on_its_own_today(world, client_for):
    # 12:00 UTC on 20 November is already 21 November in Auckland: a duty due on the 20th is missed there.
    with scopes_disabled():
        Tenant.objects.filter(pk=world.a.tenant.pk).update(timezone="Pacific/Auckland")
    DutyFulfilmentFactory(partner=world.a.partner, due_date=dt.date(2026, 11, 20))
    DutyFulfilmentFactory(partner=world.b.partner, due_date=dt.date(2026, 11, 20))  # Paris: due today
    DutyFulfilmentFactory(partner=world.b.partner, state=FulfilmentState.APPROVED)

    body = (
        client_for(world.a.tenant, world.superuser)
        .get(reverse("admin:partnerportal_partner_changelist"))
        .content.decode()
    )

    assert "0 % (0/1)" in body  # Azur, in Auckland
    assert "100 % (1/1)" in body  # Bleu, in Paris: the one due today is not missed yet


def test_a_fulfilment_changes_only_through_the_decisions(world, manager_a, submitted):
    change = reverse("admin:obligations_dutyfulfilment_change", args=[submitted.pk])
    page = manager_a.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert manager_a.post(change, {"due_date": "2030-01-01"}).status_code == 403
    delete = reverse("admin:obligations_dutyfulfilment_delete", args=[submitted.pk])
    assert manager_a.post(delete, {"post": "yes"}).status_code == 403
    stored = reload(submitted)
    assert stored.due_date == submitted.due_date and stored.document.name == submitted.document.name


def test_plans_and_forecasts_are_read_only_in_the_admin(world, manager_a):
    with tenant_scope(world.a.tenant):
        plan = services.plan_save(
            partner=world.a.partner, year=2026, objectives={(1, "data"): Decimal("10")}, notes="", by=None
        )
    change = reverse("admin:obligations_developmentplan_change", args=[plan.pk])
    page = manager_a.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert manager_a.post(change, {"notes": "changed"}).status_code == 403
    assert manager_a.get(reverse("admin:obligations_developmentplan_add")).status_code == 403
    assert manager_a.get(reverse("admin:obligations_salesforecast_add")).status_code == 403


def test_opening_the_duties_queues_a_task_per_tenant_of_the_selection(world, client_for, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.sync_duties, "delay_on_commit", lambda *args: queued.append(args))
    a, b = DutyFactory(tenant=world.a.tenant), DutyFactory(tenant=world.b.tenant)
    DutyFactory(tenant=world.a.tenant)  # not selected

    client_for(world.a.tenant, world.superuser).post(
        reverse("admin:obligations_duty_changelist"),
        {"action": "open_for_current_tiers", "_selected_action": [a.pk, b.pk]},
    )

    assert sorted(queued) == sorted([(world.a.tenant.pk, [a.pk]), (world.b.tenant.pk, [b.pk])])
