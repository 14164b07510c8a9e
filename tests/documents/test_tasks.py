"""Tasks of the documents app: thin, idempotent, retried on transient storage errors (eager here)."""

import datetime as dt

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import OperationalError
from django_scopes import scopes_disabled

from documents import tasks
from documents.models import Document
from tests.documents.factories import documents_of
from tests.partnerportal.factories import PartnerFactory
from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JANUARY_2026, JULY_2026, evaluate

JULY = "2026-07-01"


def test_tasks_that_may_run_twice_are_acked_late_and_retried_with_back_off():
    for task in (
        tasks.documents_for_tier_changes,
        tasks.welcome_packs_issue,
        tasks.diplomas_renew_due,
    ):
        assert task.acks_late is True
        assert set(task.autoretry_for) == {OSError, OperationalError}
        assert task.retry_backoff is True and task.max_retries == 5
    # A manager's one more document is not idempotent (each run issues and e-mails one): acked early,
    # retried all the same (tests/test_tasks_acks.py holds every task's table).
    assert tasks.document_issue.acks_late is False
    assert set(tasks.document_issue.autoretry_for) == {OSError, OperationalError}


def test_the_tier_change_task_issues_once_however_often_it_runs(programme):
    t = {code: tier.pk for code, tier in programme.tiers.items()}
    partner = programme.partner()
    chunk = [[partner.pk, t["access"], t["business"]]]

    assert tasks.documents_for_tier_changes.delay(programme.tenant.pk, JULY, chunk).get() == 1
    assert tasks.documents_for_tier_changes.delay(programme.tenant.pk, JULY, chunk).get() == 0
    [diploma] = documents_of(partner)
    assert (diploma.kind, diploma.tier.code, diploma.issued_on) == (
        "diploma",
        "business",
        dt.date(2026, 7, 1),
    )


def test_a_transient_storage_error_is_retried_and_the_work_finished(programme, monkeypatch):
    t = {code: tier.pk for code, tier in programme.tiers.items()}
    partners = [programme.partner() for _ in range(3)]
    real_save, calls = FileSystemStorage._save, []

    def flaky_save(self, name, content):
        calls.append(name)
        if len(calls) == 2:  # the second document of the first run
            raise ConnectionResetError("object storage hiccup")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", flaky_save)
    monkeypatch.setattr(tasks.documents_for_tier_changes, "default_retry_delay", 0)

    # Eagerly, a retry runs again at once (throw=False lets apply() do it, as a worker would later).
    result = tasks.documents_for_tier_changes.apply(
        (programme.tenant.pk, JULY, [[p.pk, t["access"], t["business"]] for p in partners]), throw=False
    )

    assert result.successful()
    assert [len(documents_of(p, kind="diploma")) for p in partners] == [1, 1, 1]
    assert len(calls) == 4  # three diplomas, and the one whose write failed, written again


def test_a_rendering_error_is_not_retried(programme, monkeypatch):
    t = {code: tier.pk for code, tier in programme.tiers.items()}
    partner, runs = programme.partner(), []

    def broken(document):
        runs.append(document)
        raise ValueError("a template bug")

    monkeypatch.setattr("documents.services.document_pdf", broken)

    with pytest.raises(ValueError):
        tasks.documents_for_tier_changes.apply(
            (programme.tenant.pk, JULY, [[partner.pk, t["access"], t["business"]]]), throw=True
        )
    assert len(runs) == 1 and documents_of(partner) == []


def test_welcome_packs_go_to_active_partners_that_have_none(programme):
    active, applicant = programme.partner(), programme.partner(status="applicant")

    issued = tasks.welcome_packs_issue.delay(programme.tenant.pk, [active.pk, applicant.pk]).get()
    again = tasks.welcome_packs_issue.delay(programme.tenant.pk, [active.pk]).get()

    assert (issued, again) == (1, 0)
    assert [d.kind for d in documents_of(active)] == ["welcome_pack"] and documents_of(applicant) == []


def test_the_welcome_pack_task_cannot_reach_another_tenants_partner(programme, world):
    assert tasks.welcome_packs_issue.delay(programme.tenant.pk, [world.a.partner.pk]).get() == 0
    assert documents_of(world.a.partner) == []


def test_the_on_demand_task_issues_a_document_and_returns_its_id(programme):
    partner = programme.partner()

    pk = tasks.document_issue.delay(
        programme.tenant.pk, partner.pk, Document.Kind.DIPLOMA, programme.tiers["premium"].pk
    ).get()

    [document] = documents_of(partner)
    assert document.pk == pk and document.tier == programme.tiers["premium"]


def test_the_daily_catch_up_renews_and_revokes_per_tenant(programme, time_machine):
    time_machine.move_to(dt.datetime(2026, 7, 2, 9, tzinfo=dt.UTC), tick=False)
    confirmed, left = programme.partner(), programme.partner()
    for partner in (confirmed, left):
        add_revenue(partner, "1500", start=dt.date(2025, 7, 1), months=12)  # Business in January and July
    evaluate(programme.tenant, JANUARY_2026)
    evaluate(programme.tenant, JULY_2026)  # no change in July: no tier_changed
    for partner in (confirmed, left):
        tasks.document_issue.delay(programme.tenant.pk, partner.pk, "diploma", programme.tiers["business"].pk)
    with scopes_disabled():  # the January diplomas, as January's tier change issued them
        Document.objects.filter(tenant=programme.tenant).update(
            issued_on=dt.date(2026, 1, 1), valid_until=dt.date(2026, 6, 30)
        )
        type(left).objects.filter(pk=left.pk).update(status="terminated")  # no signal
    other_tenant = PartnerFactory()  # a tenant with no tier that awards a diploma: not visited

    assert tasks.diplomas_renew_due.delay().get() == ["dstny: 1 renewed, 1 revoked"]
    assert tasks.diplomas_renew_due.delay().get() == []
    latest = documents_of(confirmed, kind="diploma")[-1]
    assert (latest.issued_on, latest.valid_until, latest.revoked_at) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 12, 31),
        None,
    )
    assert documents_of(other_tenant) == []
