"""How a run of the re-grading engine (tiers/engine.py) behaves: what it writes, idempotent, one at a
time, resumable, set-based, and the ``tier_changed`` signal. The grading rule itself is in test_grading.py.

Every test grades at 1 July 2026 (window January–June 2026) unless it says otherwise.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import translation
from django_scopes import scopes_disabled

from partnerportal.models import Partner, Tenant
from partnerportal.tenancy import tenant_scope
from tests.tiers.factories import TierPinFactory, add_entries, add_revenue
from tests.tiers.helpers import (
    JANUARY_2026,
    JULY_2026,
    advisory_lock_held_elsewhere,
    assessment_of,
    evaluate,
    evaluation_of,
    lock_file_held_elsewhere,
    regrade_lock_held_elsewhere,
    snapshot,
    tier_of,
)
from tiers import engine
from tiers.grading import RegradeError
from tiers.locks import RegradeInProgress
from tiers.models import Assessment, Evaluation
from tiers.services import evaluation_run
from tiers.signals import tier_changed

# --- a run: what it writes --------------------------------------------------------------------------


def test_a_run_writes_one_assessment_per_partner_and_the_current_tier(dstny):
    up = dstny.partner()
    dstny.partner()  # no revenue: stays at Starter
    add_revenue(up, "700")

    result = evaluate(dstny.tenant)

    evaluation = evaluation_of(dstny.tenant)
    assert evaluation.status == Evaluation.Status.FINISHED
    assert (evaluation.window_start, evaluation.window_end) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert (evaluation.partners, evaluation.up, evaluation.same) == (2, 1, 1)
    assert evaluation.started_by is None  # the job, not a manager
    assert result.partners == 2 and not result.already_done
    assessment = assessment_of(up)
    assert (assessment.window_start, assessment.window_end) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert assessment.evaluation == evaluation
    with scopes_disabled():
        assert up.current_tier.since == JULY_2026
        assert up.current_tier.assessment_id == assessment.pk


def test_the_current_tier_keeps_its_since_date_while_the_tier_does_not_change(dstny):
    partner = dstny.partner()
    add_revenue(partner, "700", start=dt.date(2025, 7, 1), months=12)
    evaluate(dstny.tenant, JANUARY_2026)

    evaluate(dstny.tenant)

    assert assessment_of(partner).movement == Assessment.Movement.SAME
    with scopes_disabled():
        assert partner.current_tier.since == JANUARY_2026


def test_replaying_an_older_evaluation_does_not_take_the_current_tier_back_in_time(dstny):
    """An evaluation older than the latest applied one is refused; a dry run replays it."""
    partner = dstny.partner()
    add_revenue(partner, "1500")  # Business at 1 July 2026; nothing in the window of 1 January
    evaluate(dstny.tenant)
    before = snapshot(dstny.tenant)

    with translation.override("en"), pytest.raises(RegradeError, match="back in time"):
        evaluate(dstny.tenant, JANUARY_2026)

    assert snapshot(dstny.tenant) == before
    assert tier_of(partner) == dstny.tiers["business"]
    with tenant_scope(dstny.tenant):
        replay = evaluation_run(tenant=dstny.tenant, evaluation_date=JANUARY_2026, dry_run=True)
    assert replay.counts["down"] == 1
    assert snapshot(dstny.tenant) == before


def test_two_evaluations_in_one_transaction_both_apply(dstny):
    """The engine must not depend on its caller's transactions (a script, a test, ATOMIC_REQUESTS)."""
    partner = dstny.partner()
    add_revenue(partner, "600", start=dt.date(2025, 7, 1), months=12)

    with transaction.atomic():
        evaluate(dstny.tenant, JANUARY_2026)
        evaluate(dstny.tenant)

    assert assessment_of(partner, JANUARY_2026).applied_tier == dstny.tiers["access"]
    assert assessment_of(partner).applied_tier == dstny.tiers["access"]
    assert tier_of(partner) == dstny.tiers["access"]


def test_a_dry_run_writes_nothing(dstny):
    partner = dstny.partner()
    add_revenue(partner, "700")
    before = snapshot(dstny.tenant)
    rows = []

    result = evaluate(dstny.tenant, dry_run=True, on_row=rows.append)

    assert snapshot(dstny.tenant) == before
    assert result.dry_run and result.partners == 1 and result.counts["up"] == 1
    assert [(row.partner_ref, row.applied_tier) for row in rows] == [
        (partner.external_ref, dstny.tiers["access"])
    ]


def test_a_second_run_of_the_same_date_writes_nothing(dstny):
    partners = [dstny.partner() for _ in range(3)]
    add_revenue(partners[0], "700")
    add_revenue(partners[1], "1500")
    evaluate(dstny.tenant)
    before = snapshot(dstny.tenant)
    add_revenue(partners[2], "12000")  # revenue that arrives late changes nothing either

    result = evaluate(dstny.tenant)

    assert result.already_done
    assert snapshot(dstny.tenant) == before
    assert result.partners == 3
    assert result.counts == {"up": 2, "down": 0, "same": 1, "pinned": 0, "held": 0}


# --- a run: one at a time --------------------------------------------------------------------------


def _check_refused_while_locked(dstny, lock):
    partner = dstny.partner()
    add_revenue(partner, "700")
    Tenant.objects.filter(pk=dstny.tenant.pk).update(default_language="en")  # the command's language
    with lock(dstny.tenant), translation.override("en"):
        with pytest.raises(RegradeInProgress, match="dstny is already running"):
            evaluate(dstny.tenant)
        with pytest.raises(CommandError, match="already running; wait for it to finish"):
            call_command("regrade", "--tenant", "dstny", "--as-of", "2026-07-01", verbosity=0)
        with scopes_disabled():
            assert not Evaluation.objects.exists()
            assert not Assessment.objects.exists()

    result = evaluate(dstny.tenant)  # the lock is released: the run goes through

    assert result.partners == 1
    assert tier_of(partner) == dstny.tiers["access"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL advisory lock")
def test_a_run_is_refused_while_another_holds_the_advisory_lock(dstny):
    _check_refused_while_locked(dstny, advisory_lock_held_elsewhere)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite lock file")
def test_a_run_is_refused_while_another_holds_the_lock_file(dstny):
    _check_refused_while_locked(dstny, lock_file_held_elsewhere)


def test_the_lock_of_one_tenant_does_not_block_another(dstny, world):
    add_revenue(dstny.partner(), "700")
    with regrade_lock_held_elsewhere(world.a.tenant):
        assert evaluate(dstny.tenant).partners == 1


# --- a run: resumable ------------------------------------------------------------------------------


def test_a_failed_run_is_resumed_without_losing_or_counting_anyone_twice(dstny, monkeypatch):
    partners = [dstny.partner() for _ in range(7)]
    for partner, amount in zip(partners, ["0", "600", "1200", "600", "12000", "0", "600"], strict=True):
        add_revenue(partner, amount)
    real_write_chunk = engine._write_chunk
    chunks = []

    def dies_on_the_second_chunk(**kwargs):
        chunks.append([row.partner_id for _, row in kwargs["graded"]])
        if len(chunks) == 2:
            raise RuntimeError("connection to the database lost")
        return real_write_chunk(**kwargs)

    monkeypatch.setattr(engine, "_write_chunk", dies_on_the_second_chunk)

    with pytest.raises(RuntimeError):
        evaluate(dstny.tenant, chunk_size=3)

    evaluation = evaluation_of(dstny.tenant)
    assert evaluation.status == Evaluation.Status.FAILED
    assert "connection to the database lost" in evaluation.error
    first_chunk = [p.pk for p in partners[:3]]
    assert chunks[0] == first_chunk
    with scopes_disabled():
        assert sorted(Assessment.objects.values_list("partner_id", flat=True)) == first_chunk
    assert evaluation.partners == 3

    monkeypatch.setattr(engine, "_write_chunk", real_write_chunk)
    result = evaluate(dstny.tenant, chunk_size=3)

    evaluation = evaluation_of(dstny.tenant)
    assert evaluation.status == Evaluation.Status.FINISHED and evaluation.error == ""
    with scopes_disabled():
        per_partner = sorted(Assessment.objects.values_list("partner_id", flat=True))
    assert per_partner == sorted(p.pk for p in partners)  # each one exactly once
    assert evaluation.partners == result.partners == 7
    assert evaluation.up + evaluation.down + evaluation.same + evaluation.pinned == 7
    assert (evaluation.up, evaluation.same) == (5, 2)
    assert all(tier_of(partner) is not None for partner in partners)


# --- a run: sets, not rows ---------------------------------------------------------------------------

# A run costs a few queries of its own (policy, tiers, thresholds, lock, evaluation) and a few per chunk
# (partners, already assessed, revenue, pins, then the writes in a savepoint); none per partner. Measured:
# 11 + 10 per chunk on SQLite, 13 + 14 per chunk on PostgreSQL (COPY through a temporary table). A loop
# over the partners would need hundreds for 300 partners.
QUERIES_PER_RUN = 14
QUERIES_PER_CHUNK = 16


def _many_partners(dstny, count: int) -> None:
    partners = [
        Partner(
            tenant=dstny.tenant,
            partner_type=dstny.operator if i % 5 == 0 else dstny.ambassador,
            external_ref=f"BULK{i:04d}",
            legal_name=f"Partenaire {i}",
            status=Partner.Status.ACTIVE,
            date_joined=dt.date(2025, 1, 1),
        )
        for i in range(count)
    ]
    with scopes_disabled():
        partners = Partner.objects.bulk_create(partners)
    for i, partner in enumerate(partners):
        add_entries(partner, [(dt.date(2026, m, 1), "recurring", Decimal(i * 40)) for m in range(1, 7)])
    if count:
        TierPinFactory(partner=partners[0], tier=dstny.tiers["access"], ends_on=dt.date(2026, 12, 31))


@pytest.mark.parametrize(("count", "chunks"), [(30, 1), (300, 3)])
def test_the_queries_of_a_run_grow_with_chunks_not_partners(
    dstny, django_assert_max_num_queries, count, chunks
):
    _many_partners(dstny, count)

    with django_assert_max_num_queries(QUERIES_PER_RUN + QUERIES_PER_CHUNK * chunks):
        result = evaluate(dstny.tenant, chunk_size=100)

    assert result.partners == count
    with scopes_disabled():
        assert Assessment.objects.count() == count


# --- a run: the tier_changed signal ------------------------------------------------------------------


def test_tier_changed_is_sent_once_per_change_after_commit(dstny, django_capture_on_commit_callbacks):
    up, down, same = dstny.partner(), dstny.partner(), dstny.partner()
    add_revenue(up, "600", start=dt.date(2025, 7, 1))  # Access in January…
    add_revenue(up, "1600")  # …Business in July
    add_revenue(down, "1600", start=dt.date(2025, 7, 1))  # Business in January, nothing since
    add_revenue(same, "700", start=dt.date(2025, 7, 1), months=12)  # Access twice
    with django_capture_on_commit_callbacks(execute=True):
        evaluate(dstny.tenant, JANUARY_2026)
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    tier_changed.connect(receiver, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            evaluate(dstny.tenant, chunk_size=2)
        with django_capture_on_commit_callbacks(execute=True):
            evaluate(dstny.tenant)  # already done: no signal again
    finally:
        tier_changed.disconnect(receiver)

    # One signal per committed chunk that changed tiers, with ids only: up and down share the first chunk
    # of 2, the last chunk (same) changed nothing and sends nothing.
    tiers = {t.pk: t.code for t in dstny.tiers.values()}
    changes = [c for r in received for c in r["changes"]]
    assert len(received) == 1
    assert {(c.partner_id, tiers[c.old_tier_id], tiers[c.new_tier_id]) for c in changes} == {
        (up.pk, "access", "business"),
        (down.pk, "business", "starter"),
    }
    assert {r["tenant_id"] for r in received} == {dstny.tenant.pk}
    assert {r["evaluation_date"] for r in received} == {JULY_2026}
    assert {c.assessment_id for c in changes} == {assessment_of(up).pk, assessment_of(down).pk}


def test_tier_changed_is_not_sent_before_the_chunk_commits(dstny, django_capture_on_commit_callbacks):
    partner = dstny.partner()
    add_revenue(partner, "600", start=dt.date(2025, 7, 1))
    evaluate(dstny.tenant, JANUARY_2026)
    add_revenue(partner, "1600")
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    tier_changed.connect(receiver, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            evaluate(dstny.tenant)
        assert received == []  # nothing sent from inside the transaction
        for callback in callbacks:
            callback()
    finally:
        tier_changed.disconnect(receiver)

    assert [c.partner_id for r in received for c in r["changes"]] == [partner.pk]
