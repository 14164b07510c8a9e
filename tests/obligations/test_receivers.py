"""Duties open and close with the tiers: through the real evaluation (tier_changed → task → service)."""

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from obligations import services
from obligations.models import DutyFulfilment, FulfilmentState
from partnerportal.tenancy import tenant_scope
from tests.obligations.factories import DutyFactory
from tests.obligations.helpers import evaluate_committed as evaluate
from tests.obligations.helpers import fulfilments_of
from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JANUARY_2026, JULY_2026, assessment_of, tier_of


@pytest.fixture
def catalogue(dstny):
    tiers = dstny.tiers
    return {
        "charte": DutyFactory(tenant=dstny.tenant, code="charte", tiers=list(tiers.values()), blocking=True),
        "online": DutyFactory(tenant=dstny.tenant, code="online", tiers=[tiers["access"]], due_days=90),
        "onsite": DutyFactory(tenant=dstny.tenant, code="onsite", tiers=[tiers["business"]], due_days=120),
        "ops": DutyFactory(
            tenant=dstny.tenant, code="ops", tiers=[tiers["access"]], partner_types=[dstny.operator]
        ),
    }


def test_entering_a_tier_opens_its_duties_due_after_the_evaluation(dstny, catalogue):
    partner = dstny.partner()
    add_revenue(partner, "600")  # Access at 1 July 2026

    evaluate(dstny.tenant, JULY_2026)

    opened = fulfilments_of(partner)
    assert set(opened) == {"charte", "online"}  # not Business's, not the Opérateurs' one
    assert opened["online"].due_date == JULY_2026 + dt.timedelta(days=90)
    assert opened["charte"].due_date == JULY_2026 + dt.timedelta(days=30)
    assert {f.state for f in opened.values()} == {FulfilmentState.TO_DO}


def test_leaving_a_tier_closes_what_no_longer_applies_and_keeps_what_was_done(dstny, catalogue):
    partner = dstny.partner()
    add_revenue(partner, "600", start=dt.date(2025, 7, 1))  # Access in January
    add_revenue(partner, "1500")  # Business in July
    evaluate(dstny.tenant, JANUARY_2026)
    with scopes_disabled():
        DutyFulfilment.objects.filter(partner=partner, duty__code="charte").update(
            state=FulfilmentState.APPROVED
        )

    evaluate(dstny.tenant, JULY_2026)

    after = fulfilments_of(partner)
    assert after["online"].state == FulfilmentState.CLOSED
    assert after["charte"].state == FulfilmentState.APPROVED  # done once, not reopened
    assert after["onsite"].state == FulfilmentState.TO_DO
    assert after["onsite"].due_date == JULY_2026 + dt.timedelta(days=120)


def test_re_entering_a_tier_reopens_a_closed_duty(dstny, catalogue):
    partner = dstny.partner()
    add_revenue(partner, "600", start=dt.date(2025, 7, 1))
    add_revenue(partner, "1500")
    evaluate(dstny.tenant, JANUARY_2026)
    with scopes_disabled():  # signed: the overdue blocking charter would hold the promotion back
        DutyFulfilment.objects.filter(partner=partner, duty__code="charte").update(
            state=FulfilmentState.APPROVED
        )
    evaluate(dstny.tenant, JULY_2026)  # Business: "online" closed
    add_revenue(partner, "700", start=dt.date(2026, 7, 1))

    evaluate(dstny.tenant, dt.date(2027, 1, 1))  # back to Access

    online = fulfilments_of(partner)["online"]
    assert online.state == FulfilmentState.TO_DO
    assert online.due_date == dt.date(2027, 1, 1) + dt.timedelta(days=90)


def test_a_chunk_of_many_partners_takes_a_few_queries(dstny, catalogue, django_assert_max_num_queries):
    partners = [dstny.partner() for _ in range(60)] + [dstny.partner("operator") for _ in range(20)]
    access = dstny.tiers["access"].pk
    changes = [(p.pk, None, access) for p in partners]

    # Partners (1), catalogue (4), counts (2), savepoint (2), and per (tier, type, plan) group a close, a
    # reopen and the inserts (SQLite splits these by its parameter limit; PostgreSQL sends one).
    with tenant_scope(dstny.tenant), django_assert_max_num_queries(20):
        result = services.duties_apply_tier_changes(
            tenant=dstny.tenant, evaluation_date=JULY_2026, changes=changes
        )

    assert result["opened"] == 60 * 2 + 20 * 3
    with tenant_scope(dstny.tenant), django_assert_max_num_queries(20):  # replayed: nothing new
        again = services.duties_apply_tier_changes(
            tenant=dstny.tenant, evaluation_date=JULY_2026, changes=changes
        )
    assert again == {"opened": 0, "reopened": 0, "closed": 0}


def test_an_overdue_blocking_duty_holds_the_promotion_in_the_engine(dstny, catalogue):
    held, free = dstny.partner(), dstny.partner()
    for partner in (held, free):
        add_revenue(partner, "600", start=dt.date(2025, 7, 1))
        add_revenue(partner, "1500")
    evaluate(dstny.tenant, JANUARY_2026)  # Access: the charter is due on 31 January 2026
    with scopes_disabled():
        DutyFulfilment.objects.filter(partner=free, duty__code="charte").update(
            state=FulfilmentState.APPROVED
        )

    result = evaluate(dstny.tenant, JULY_2026)

    assert tier_of(held) == dstny.tiers["access"] and tier_of(free) == dstny.tiers["business"]
    assessment = assessment_of(held)
    assert assessment.movement == "held"
    assert assessment.note.startswith("CHARTE — ") and "2026-01-31" in assessment.note
    assert result.counts["held"] == 1


def test_the_receiver_only_queues_the_work(dstny, catalogue, monkeypatch):
    from obligations import receivers
    from tiers.signals import TierChange

    queued = []
    monkeypatch.setattr(receivers.apply_tier_changes, "delay_on_commit", lambda *args: queued.append(args))
    receivers.queue_tier_changes(
        sender=None,
        tenant_id=dstny.tenant.pk,
        evaluation_date=JULY_2026,
        changes=[TierChange(7, None, 3, 11)],
    )
    assert queued == [(dstny.tenant.pk, "2026-07-01", [[7, None, 3]])]
