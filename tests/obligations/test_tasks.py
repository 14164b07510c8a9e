"""The daily job: reminders (each once), expiry of ended periods, opening of the current ones."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django_scopes import scopes_disabled

from obligations import tasks
from obligations.models import DutyFulfilment, FulfilmentState
from partnerportal.models import Partner
from tests.obligations.factories import DutyFactory, DutyFulfilmentFactory
from tests.obligations.helpers import reload
from tests.partnerportal.factories import PartnerFactory
from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JULY_2026, evaluate

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC), tick=False):
        yield


def test_reminders_a_week_before_and_when_missed_each_once(world):
    soon = DutyFulfilmentFactory(
        partner=world.a.partner, duty__title="Charte", due_date=TODAY + dt.timedelta(days=5)
    )
    later = DutyFulfilmentFactory(partner=world.a.partner, due_date=TODAY + dt.timedelta(days=30))
    missed = DutyFulfilmentFactory(
        partner=world.a.partner, duty__title="Contrat", due_date=TODAY - dt.timedelta(days=1)
    )
    done = DutyFulfilmentFactory(partner=world.a.partner, due_date=TODAY, state=FulfilmentState.APPROVED)
    mail.outbox.clear()

    tasks.duties_daily()
    tasks.duties_daily()  # the next day's run (or a retried task) sends nothing twice

    subjects = sorted(m.subject for m in mail.outbox)
    assert len(mail.outbox) == 2 and all(m.to == [world.a.admin.email] for m in mail.outbox)
    assert any("Charte" in s for s in subjects) and any("Contrat" in s for s in subjects)
    assert reload(soon).reminded_at and reload(missed).overdue_notified_at
    assert reload(later).reminded_at is None and reload(done).reminded_at is None
    assert reload(missed).state == FulfilmentState.TO_DO  # a missed duty stays to do, shown as overdue


def test_reminders_are_in_the_partners_language(world):
    with scopes_disabled():
        type(world.a.partner).objects.filter(pk=world.a.partner.pk).update(preferred_language="en")
    DutyFulfilmentFactory(
        partner=world.a.partner, duty__title="Charter", due_date=TODAY - dt.timedelta(days=1)
    )
    tasks.duties_daily()
    assert mail.outbox[0].subject == "Overdue: Charter"


def test_periods_roll_set_wise(programmes, world):
    tenant, tiers = world.a.tenant, programmes["a"].tiers
    forecast = DutyFactory(
        tenant=tenant, code="forecast", recurrence="quarterly", tiers=list(tiers.values()), due_days=20
    )
    charter = DutyFactory(tenant=tenant, code="charte", tiers=list(tiers.values()), due_days=30)
    add_revenue(world.a.partner, "600")
    evaluate(tenant, JULY_2026)  # world.a.partner Access; other_partner stays Starter (no tier change)
    old = DutyFulfilmentFactory(
        partner=world.a.partner, duty=forecast, period=dt.date(2026, 7, 1), period_end=dt.date(2026, 9, 30)
    )

    tasks.duties_daily()

    assert reload(old).state == FulfilmentState.EXPIRED
    with scopes_disabled():
        current = DutyFulfilment.objects.filter(duty=forecast, period=dt.date(2026, 10, 1))
        assert {f.partner for f in current} == {world.a.partner, world.a.other_partner}
        # A period's due date is the period's, even when the roll opens it late.
        assert {f.due_date for f in current} == {dt.date(2026, 10, 21)}
        # The Starter kept at the entry tier (no tier_changed) gets its once-only duties too.
        late = DutyFulfilment.objects.get(duty=charter, partner=world.a.other_partner)
        assert late.due_date == TODAY + dt.timedelta(days=30)  # entered in July: due from today, not overdue
        count = DutyFulfilment.objects.count()
    tasks.duties_daily()
    with scopes_disabled():
        assert DutyFulfilment.objects.count() == count


def test_decision_emails_are_sent_once(world):
    f = DutyFulfilmentFactory(partner=world.a.partner, state=FulfilmentState.APPROVED)
    assert tasks.notify_decisions(world.a.tenant.pk, [f.pk]) == 1
    assert tasks.notify_decisions(world.a.tenant.pk, [f.pk]) == 0


def test_the_roll_opens_the_entry_duties_of_active_partners_never_assessed(programmes, world):
    """An applicant accepted, or a partner added between two evaluations, is at the entry tier from the day
    it joined: its entry duties open at the next daily roll, not at its first evaluation."""
    tenant, tiers = world.a.tenant, programmes["a"].tiers
    charter = DutyFactory(tenant=tenant, code="charte", tiers=list(tiers.values()), due_days=30)
    DutyFactory(tenant=tenant, code="events", tiers=[tiers["business"], tiers["premium"]])
    joined = TODAY - dt.timedelta(days=3)
    new, applicant, suspended = (
        PartnerFactory(tenant=tenant, partner_type=world.a.partner_type, date_joined=joined, status=status)
        for status in (Partner.Status.ACTIVE, Partner.Status.APPLICANT, Partner.Status.SUSPENDED)
    )

    tasks.duties_daily()

    with scopes_disabled():
        opened = DutyFulfilment.objects.filter(partner__in=[new, applicant, suspended])
        assert [(f.partner_id, f.duty_id) for f in opened] == [(new.pk, charter.pk)]
        assert opened.get().due_date == joined + dt.timedelta(days=30)
        count = DutyFulfilment.objects.count()
    tasks.duties_daily()
    with scopes_disabled():
        assert DutyFulfilment.objects.count() == count
