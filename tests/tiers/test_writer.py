"""The engine's chunk writer thread (tiers/engine.py, ChunkWriter): on PostgreSQL, outside a transaction, a
second connection writes each graded chunk while the run grades the next one. These tests commit for real
(``transaction=True``), as the job does; inside a test's transaction the engine writes in its own thread."""

import threading

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from tests.tiers.factories import add_revenue
from tests.tiers.helpers import evaluate, evaluation_of, tier_of
from tiers import engine
from tiers.models import Assessment, Evaluation
from tiers.signals import tier_changed

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the writer thread is for PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

AMOUNTS = ["0", "600", "1200", "600", "12000", "0", "600"]


@pytest.fixture
def partners(dstny):
    partners = [dstny.partner() for _ in AMOUNTS]
    for partner, amount in zip(partners, AMOUNTS, strict=True):
        add_revenue(partner, amount)
    return partners


def test_the_writer_thread_writes_every_chunk_and_announces_the_changes(dstny, partners):
    threads, received = set(), []
    real_write_chunk = engine._write_chunk

    def recording_write_chunk(**kwargs):
        threads.add(threading.current_thread().name)
        return real_write_chunk(**kwargs)

    def receiver(sender, **kwargs):
        received.append((threading.current_thread().name, kwargs["changes"]))

    engine._write_chunk, saved = recording_write_chunk, engine._write_chunk
    tier_changed.connect(receiver, weak=False)
    try:
        result = evaluate(dstny.tenant, chunk_size=2)
    finally:
        engine._write_chunk = saved
        tier_changed.disconnect(receiver)

    assert threads == {"regrade-writer"}
    evaluation = evaluation_of(dstny.tenant)
    assert evaluation.status == Evaluation.Status.FINISHED
    assert (result.partners, result.counts["up"], result.counts["same"]) == (7, 5, 2)
    with scopes_disabled():
        assert sorted(Assessment.objects.values_list("partner_id", flat=True)) == sorted(
            p.pk for p in partners
        )
    assert [tier_of(p).code for p in partners] == [
        "starter", "access", "business", "access", "premium", "starter", "access"
    ]  # fmt: skip
    # One signal per committed chunk that changed tiers (chunks of 2: 4 chunks, the last one a single
    # starter), sent by the writer after its commit.
    assert {name for name, _ in received} == {"regrade-writer"}
    assert sorted(c.partner_id for _, changes in received for c in changes) == sorted(
        p.pk for p, amount in zip(partners, AMOUNTS, strict=True) if amount != "0"
    )


def test_a_chunk_that_fails_in_the_writer_fails_the_run_which_resumes(dstny, partners, monkeypatch):
    real_write_chunk = engine._write_chunk
    calls = []

    def dies_on_the_second_chunk(**kwargs):
        calls.append(len(kwargs["graded"]))
        if len(calls) == 2:
            raise RuntimeError("connection to the database lost")
        return real_write_chunk(**kwargs)

    monkeypatch.setattr(engine, "_write_chunk", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError, match="connection to the database lost"):
        evaluate(dstny.tenant, chunk_size=3)

    evaluation = evaluation_of(dstny.tenant)
    assert evaluation.status == Evaluation.Status.FAILED and evaluation.partners == 3
    monkeypatch.setattr(engine, "_write_chunk", real_write_chunk)

    result = evaluate(dstny.tenant, chunk_size=3)

    assert result.partners == 7 and evaluation_of(dstny.tenant).status == Evaluation.Status.FINISHED
    with scopes_disabled():
        assert Assessment.objects.count() == 7  # each partner exactly once
