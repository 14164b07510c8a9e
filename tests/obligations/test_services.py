"""Writes: due dates within their period, plans and forecasts saved ahead, decisions across tenants,
the catalogue's sync in chunks, and the e-mails' plain text."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from obligations import services, tasks
from obligations.models import DutyFulfilment, EvidenceKind, FulfilmentState, SalesForecast
from partnerportal.tenancy import tenant_scope
from tests.obligations.factories import DutyFactory, DutyFulfilmentFactory
from tests.obligations.helpers import fulfilments_of, reload
from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JULY_2026, evaluate

TODAY = dt.date(2026, 11, 20)


def test_a_yearly_duty_is_due_within_its_year(dstny):
    partner = dstny.partner()
    duty = DutyFactory(
        tenant=dstny.tenant, code="yearly", recurrence="yearly", due_days=334, tiers=[dstny.tiers["access"]]
    )
    with tenant_scope(dstny.tenant):
        services.duties_apply_tier_changes(
            tenant=dstny.tenant,
            evaluation_date=JULY_2026,
            changes=[(partner.pk, None, dstny.tiers["access"].pk)],
        )
    opened = fulfilments_of(partner)["yearly"]
    assert (opened.period, opened.period_end) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert opened.due_date == dt.date(2026, 12, 31)  # not 2027-05-31
    assert duty.due_date_for(entry=dt.date(2026, 1, 1), period_end=dt.date(2026, 12, 31)) == dt.date(
        2026, 12, 1
    )


def test_the_roll_keeps_a_due_date_within_its_period(dstny):
    partner = dstny.partner()
    add_revenue(partner, "600")
    evaluate(dstny.tenant, JULY_2026)  # Access since 1 July 2026 (the duties' task is not run here)
    DutyFactory(
        tenant=dstny.tenant, code="yearly", recurrence="yearly", due_days=334, tiers=[dstny.tiers["access"]]
    )
    with tenant_scope(dstny.tenant):
        services.duty_periods_roll(tenant=dstny.tenant, today=TODAY)
    assert fulfilments_of(partner)["yearly"].due_date == dt.date(2026, 12, 31)


@pytest.fixture
def portal_duties(dstny):
    access = dstny.tiers["access"]
    return {
        "plan": DutyFactory(
            tenant=dstny.tenant, code="plan", evidence=EvidenceKind.PLAN, recurrence="yearly", tiers=[access]
        ),
        "forecast": DutyFactory(
            tenant=dstny.tenant,
            code="forecast",
            evidence=EvidenceKind.FORECAST,
            recurrence="quarterly",
            tiers=[access],
        ),
    }


def _save_ahead(partner, *, year=2026, quarter=dt.date(2026, 10, 1)):
    with tenant_scope(partner.tenant):
        services.plan_save(
            partner=partner, year=year, objectives={(1, "data"): Decimal("10")}, notes="", by=None
        )
        SalesForecast.objects.create(
            tenant=partner.tenant, partner=partner, quarter_start=quarter, product_line="data", amount=5
        )


def test_the_roll_opens_a_plan_or_forecast_saved_ahead_approved(dstny, portal_duties):
    ahead, late = dstny.partner(), dstny.partner()
    for partner in (ahead, late):
        add_revenue(partner, "600")
    evaluate(dstny.tenant, JULY_2026)
    _save_ahead(ahead)
    _save_ahead(late, year=2025, quarter=dt.date(2026, 7, 1))  # another year, another quarter

    with tenant_scope(dstny.tenant):
        services.duty_periods_roll(tenant=dstny.tenant, today=TODAY)

    assert {code: f.state for code, f in fulfilments_of(ahead).items()} == {
        "plan": FulfilmentState.APPROVED,
        "forecast": FulfilmentState.APPROVED,
    }
    assert {f.state for f in fulfilments_of(late).values()} == {FulfilmentState.TO_DO}


def test_entering_a_tier_with_the_plan_saved_opens_it_approved(dstny, portal_duties):
    partner, other = dstny.partner(), dstny.partner()
    _save_ahead(partner)
    access = dstny.tiers["access"].pk
    with tenant_scope(dstny.tenant):
        services.duties_apply_tier_changes(
            tenant=dstny.tenant,
            evaluation_date=JULY_2026,
            changes=[(partner.pk, None, access), (other.pk, None, access)],
        )
    assert fulfilments_of(partner)["plan"].state == FulfilmentState.APPROVED
    assert fulfilments_of(partner)["forecast"].state == FulfilmentState.TO_DO  # Q3's, not saved
    assert {f.state for f in fulfilments_of(other).values()} == {FulfilmentState.TO_DO}


def test_the_sync_works_in_chunks_and_only_on_the_given_duties(dstny, monkeypatch):
    partners = [dstny.partner() for _ in range(5)]
    for partner in partners:
        add_revenue(partner, "600")
    evaluate(dstny.tenant, JULY_2026)
    access = [dstny.tiers["access"]]
    chosen = DutyFactory(tenant=dstny.tenant, code="chosen", tiers=access)
    DutyFactory(tenant=dstny.tenant, code="other", tiers=access)
    monkeypatch.setattr(services, "SYNC_CHUNK", 2)

    result = tasks.sync_duties(dstny.tenant.pk, [chosen.pk])

    assert result["opened"] == 5
    assert all(set(fulfilments_of(p)) == {"chosen"} for p in partners)


def test_decisions_across_tenants_e_mail_each_tenants_partner(world, django_capture_on_commit_callbacks):
    rows = [
        DutyFulfilmentFactory(partner=setup.partner, state=FulfilmentState.SUBMITTED)
        for setup in (world.a, world.b)
    ]
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):  # the superuser's queue
        count = services.fulfilment_approve_many(
            fulfilments=DutyFulfilment.objects.filter(pk__in=[r.pk for r in rows]), by=world.superuser
        )
    assert count == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.a.admin.email, world.b.admin.email])
    assert all(reload(r).decision_notified_at for r in rows)


def test_a_refusal_reason_arrives_unescaped(world, django_capture_on_commit_callbacks):
    f = DutyFulfilmentFactory(
        partner=world.a.partner, duty__title="Charte & K-bis", state=FulfilmentState.SUBMITTED
    )
    reason = "L'attestation & le K-bis <signés>"
    with tenant_scope(world.a.tenant), django_capture_on_commit_callbacks(execute=True):
        services.fulfilment_refuse(fulfilment=f, by=world.a.manager, reason=reason)
    body, subject = mail.outbox[0].body, mail.outbox[0].subject
    assert reason in body and "&amp;" not in body and "&#x27;" not in body
    assert "Charte & K-bis" in subject
