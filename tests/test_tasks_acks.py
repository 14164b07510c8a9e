"""Every task of the project against the table of its delivery options (issue 11).

``acks_late`` (the message is acknowledged after the task ran, so that a killed worker leaves it for
another) only on tasks a second run leaves unchanged; the reason is next to each task in its tasks.py. A new
task without an entry here fails, so that somebody decides.
"""

import pytest
from celery import current_app

from partnerportal.celery import PortalTask

# task name: (acks_late, reject_on_worker_lost)
EXPECTED = {
    "benefits.tasks.notify_claim_decisions": (True, True),
    "benefits.tasks.refuse_lapsed_claims": (True, True),
    "documents.tasks.diplomas_renew_due": (True, True),
    # Each run issues and e-mails one more document: acknowledged early (a lost request is repeated by
    # the manager rather than a document issued twice).
    "documents.tasks.document_issue": (False, False),
    "documents.tasks.documents_for_tier_changes": (True, True),
    "documents.tasks.welcome_packs_issue": (True, True),
    "experts.tasks.notify_mandate": (True, True),
    "leads.tasks.notify_offers": (True, True),
    "leads.tasks.notify_unrouted": (True, True),
    "leads.tasks.route_leads": (True, True),
    "leads.tasks.route_leads_tenant": (True, True),
    "obligations.tasks.apply_tier_changes": (True, True),
    "obligations.tasks.duties_daily": (True, True),
    "obligations.tasks.duties_daily_tenant": (True, True),
    "obligations.tasks.notify_decisions": (True, True),
    "obligations.tasks.sync_duties": (True, True),
    "recruitment.tasks.notify_applicant_of_refusal": (True, True),
    "recruitment.tasks.notify_managers_of_application": (True, True),
    "tiers.tasks.approve_evaluation": (True, True),
    "tiers.tasks.notify_tier_changes": (True, True),
    "tiers.tasks.regrade_due": (True, True),
    "tiers.tasks.regrade_tenant": (True, True),
}


def project_tasks() -> dict:
    current_app.loader.import_default_modules()
    return {name: task for name, task in current_app.tasks.items() if not name.startswith("celery.")}


def test_no_global_acks_late(settings):
    assert not hasattr(settings, "CELERY_TASK_ACKS_LATE")
    assert current_app.conf.task_acks_late is False


def test_every_task_has_its_acks_late_decided():
    tasks = project_tasks()
    assert sorted(tasks) == sorted(EXPECTED), "a task was added or removed: decide its acks_late here"
    actual = {name: (bool(t.acks_late), bool(t.reject_on_worker_lost)) for name, t in tasks.items()}
    assert actual == EXPECTED


@pytest.mark.parametrize(
    "name", ["documents.tasks.document_issue", "documents.tasks.documents_for_tier_changes"]
)
def test_documents_tasks_retry_storage_failures_with_backoff(name):
    task = current_app.tasks[name]
    assert OSError in task.autoretry_for
    assert task.retry_backoff is True
    assert task.retry_backoff_max == 600
    assert task.max_retries == 5


def test_project_tasks_use_the_portal_task_class():
    """Their delay_on_commit publishes after commit and keeps the message when the broker is down."""
    assert all(isinstance(task, PortalTask) for task in project_tasks().values())


@pytest.fixture
def broker_down(monkeypatch, settings, tmp_path):
    """A real (not eager) app whose broker refuses every message; the outbox in a temporary folder."""
    from celery.app.task import Task
    from kombu.exceptions import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:56379. Connection refused.")

    settings.CELERY_OUTBOX_DIR = str(tmp_path)
    monkeypatch.setattr(current_app.conf, "task_always_eager", False)
    monkeypatch.setattr(Task, "apply_async", refuse)
    monkeypatch.setattr(current_app, "send_task", refuse)
    monkeypatch.setattr("partnerportal.celery.outbox_kick", lambda: None)  # no thread in tests
    return tmp_path


@pytest.mark.django_db
def test_a_task_queued_while_the_broker_is_down_waits_in_the_outbox(
    broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from benefits.tasks import notify_claim_decisions
    from partnerportal import celery

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify_claim_decisions.delay_on_commit(7, [1, 2], "approved")  # raises nothing after commit
    [path] = broker_down.glob("*.json")

    assert celery.outbox_flush() == 1  # still down: kept

    sent = []
    monkeypatch.setattr(celery.app, "send_task", lambda name, **kw: sent.append((name, kw)))
    assert celery.outbox_flush() == 0
    [(name, kw)] = sent
    assert name == "benefits.tasks.notify_claim_decisions"
    assert kw["args"] == [7, [1, 2], "approved"]
    assert kw["task_id"] in path.name
    assert kw["ignore_result"] is True  # nobody can read the result of delay_on_commit
    assert not list(broker_down.iterdir())


def test_a_damaged_outbox_file_is_set_aside(broker_down, monkeypatch):
    from partnerportal import celery

    (broker_down / "1-x.json").write_text("{not json")
    monkeypatch.setattr(celery.app, "send_task", lambda name, **kw: None)

    assert celery.outbox_flush() == 0
    assert [p.name for p in broker_down.iterdir()] == ["1-x.bad"]
