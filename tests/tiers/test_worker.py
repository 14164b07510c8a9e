"""The regrade job end to end through a real Celery worker, with Redis as broker and result backend.

The worker runs in a thread of this process (``celery.contrib.pytest``'s ``celery_worker``) with a
database connection of its own, so the test commits its data (``transaction=True``) and reads what the
worker committed. The tests' settings run tasks eagerly; the test app here does not.
"""

import datetime as dt
import threading
import time

import pytest
import redis
from celery.result import EagerResult
from celery.signals import task_postrun
from django.apps import apps
from django.db import connections
from django_scopes import scopes_disabled

from partnerportal.models import Membership
from tests.partnerportal.factories import MembershipFactory
from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JANUARY_2026, JULY_2026, evaluate, evaluation_of, tier_of
from tiers.models import Assessment, Evaluation
from tiers.tasks import regrade_tenant

pytest_plugins = ("celery.contrib.pytest",)

BROKER = "redis://127.0.0.1:6379/14"  # a database of its own, emptied before the test


def redis_available() -> bool:
    try:
        return redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def celery_config():
    return {
        "broker_url": BROKER,
        "result_backend": BROKER,
        "task_always_eager": False,
        "task_acks_late": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": False,
    }


@pytest.fixture(scope="session")
def celery_includes():
    return ["tiers.tasks"]


@pytest.fixture
def empty_broker():
    redis.Redis.from_url(BROKER).flushdb()  # no message left over from an interrupted run


@pytest.fixture
def worker_runs():
    """(task name, thread) of each task the worker finished; and the worker thread's database
    connection closed after each task, so that it does not outlive the test (PostgreSQL could not drop
    the test database while a session is open)."""
    runs = []

    def finished(task=None, **kwargs):
        connections.close_all()
        runs.append((task.name, threading.get_ident()))

    task_postrun.connect(finished, weak=False)
    yield runs
    task_postrun.disconnect(finished)


@pytest.fixture
def worker(empty_broker, worker_runs, celery_worker):
    """A worker started on an empty broker (its queue bindings are declared after the flush)."""
    assert celery_worker.app.conf.task_always_eager is False
    return celery_worker


def wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        time.sleep(0.05)


@pytest.fixture
def january(dstny):
    """Five partners graded Access at 1 January 2026, in this thread, before the worker starts (so that
    whatever that evaluation sends is not the worker's); two of them have an administrator."""
    partners = [dstny.partner() for _ in range(5)]
    for partner, amount in zip(partners, ["600", "1500", "0", "12000", "700"], strict=True):
        add_revenue(partner, "600", start=dt.date(2025, 7, 1))  # Access for everyone in January…
        add_revenue(partner, amount)  # …then these from January to June
    people = [MembershipFactory(partner=partners[i]).user for i in (0, 1)]
    evaluate(dstny.tenant, JANUARY_2026)
    return partners, people


def promoted_partner_id(user) -> int:
    with scopes_disabled():
        return Membership.objects.get(user=user).partner_id


@pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.django_db(transaction=True)
def test_the_regrade_job_runs_through_a_worker_and_emails_the_changes(
    dstny, january, worker, worker_runs, mailoutbox
):
    partners, (stays, promoted) = january
    mailoutbox.clear()  # whatever 1 January sent, in this thread

    result = regrade_tenant.delay(dstny.tenant.pk, JULY_2026.isoformat())
    summary = result.get(timeout=60)
    # The e-mails are a task of their own, which the worker's run queued once its chunk committed; wait
    # for it before reading, so that this thread and the worker's never use the database at once.
    # Other apps queue their own reactions to the chunk's tier_changed (the duties of the new tiers).
    reactions = {"tiers.tasks.notify_tier_changes"}
    if apps.is_installed("obligations"):
        reactions.add("obligations.tasks.apply_tier_changes")
    wait_for(lambda: reactions <= {name for name, _ in worker_runs})

    assert not isinstance(result, EagerResult)
    assert summary.startswith("partners 5, up 2, down 1, same 2, pinned 0")
    ran = [(name, thread) for name, thread in worker_runs if name != "celery.ping"]  # the start-up check
    assert [name for name, _ in ran if name.startswith("tiers.")] == [
        "tiers.tasks.regrade_tenant",
        "tiers.tasks.notify_tier_changes",
    ]
    assert threading.get_ident() not in {thread for _, thread in ran}
    evaluation = evaluation_of(dstny.tenant)
    assert evaluation.status == Evaluation.Status.FINISHED
    with scopes_disabled():
        written = Assessment.objects.filter(evaluation=evaluation)
        assert sorted(written.values_list("partner_id", flat=True)) == sorted(p.pk for p in partners)
        # Of the three movers (up, up, down) only the promoted one has a person to tell.
        assert list(written.filter(notified_at__isnull=False).values_list("partner_id", flat=True)) == [
            promoted_partner_id(promoted)
        ]
    assert [tier_of(p).code for p in partners] == ["access", "business", "starter", "premium", "access"]
    assert [message.to for message in mailoutbox] == [[promoted.email]]  # the one mover with a person
    assert stays.email not in mailoutbox[0].to
