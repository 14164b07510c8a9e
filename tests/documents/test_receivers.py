"""Receivers of the documents app: tier changes (one task per chunk, through the real evaluation too) and a
partner's status (suspension revokes, joining brings the welcome pack once)."""

import datetime as dt
from collections import Counter

import pytest
from celery.signals import task_prerun
from django_scopes import scopes_disabled

from documents import services, tasks
from documents.models import Document
from partnerportal.models import Partner
from tests.documents.factories import documents_of
from tests.partnerportal.factories import MembershipFactory, PartnerFactory
from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JANUARY_2027, JULY_2026, evaluate, tier_of
from tiers.models import Evaluation
from tiers.signals import TierChange, tier_changed

TIER_TASK = "documents.tasks.documents_for_tier_changes"
WELCOME_TASK = "documents.tasks.welcome_packs_issue"


@pytest.fixture
def task_runs():
    """The names of the tasks run (eagerly here), in order."""
    runs: list[str] = []

    def record(sender=None, **kwargs):
        runs.append(sender.name)

    task_prerun.connect(record, weak=False)
    yield runs
    task_prerun.disconnect(record)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run ``fn`` and then what it left for after commit, as a real commit would (signals, tasks, mail)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def diploma(programme, partner, tier="business") -> Document:
    with scopes_disabled():
        return services.document_issue(
            partner=partner, kind=Document.Kind.DIPLOMA, tier=programme.tiers[tier], notify=False
        )


def valid_diplomas(partner) -> list[str]:
    return [d.tier.code for d in documents_of(partner, kind="diploma", revoked_at__isnull=True)]


# --- tier_changed ------------------------------------------------------------------------------------


def test_one_task_per_sent_chunk_of_tier_changes(programme, committed, task_runs):
    t = {code: tier.pk for code, tier in programme.tiers.items()}
    partners = [programme.partner() for _ in range(3)]

    def send(chunk):
        tier_changed.send(
            sender=Evaluation,
            tenant_id=programme.tenant.pk,
            evaluation_date=dt.date(2026, 7, 1),
            changes=[TierChange(p.pk, t["access"], t["business"], 0) for p in chunk],
        )

    committed(send, partners[:2])
    committed(send, partners[2:])

    assert task_runs.count(TIER_TASK) == 2
    assert [valid_diplomas(p) for p in partners] == [["business"]] * 3


def test_through_the_real_evaluation_one_task_per_chunk_and_revocation_on_the_way_down(
    programme, committed, task_runs, mailoutbox
):
    starter, access, business, premium, down = (programme.partner() for _ in range(5))
    add_revenue(starter, "100")
    add_revenue(access, "600")
    add_revenue(business, "1500")
    add_revenue(premium, "15000")
    add_revenue(down, "1500")
    add_revenue(down, "600", start=dt.date(2026, 7, 1))  # Business in July, Access in January
    add_revenue(business, "1500", start=dt.date(2026, 7, 1))
    MembershipFactory(partner=business, user__email="admin@business.test")

    committed(evaluate, programme.tenant, JULY_2026, chunk_size=2)

    # Five partners in chunks of two: three chunks, each with changes (every first assessment but the
    # Starter's is a change), so three tasks.
    assert Counter(task_runs)[TIER_TASK] == 3
    assert [tier_of(p).code for p in (access, business, premium, down)] == [
        "access",
        "business",
        "premium",
        "business",
    ]
    assert [valid_diplomas(p) for p in (starter, access, business, premium, down)] == [
        [],
        [],
        ["business"],
        ["premium"],
        ["business"],
    ]
    assert [d.kind for d in documents_of(access)] == ["booster_pack"]
    # One e-mail per new document (its booster pack and its diploma), besides the tiers' own e-mail.
    ready = [m for m in mailoutbox if "http://dstny.localhost:8000/documents/" in m.body]
    assert [m.to for m in ready] == [["admin@business.test"]] * 2
    task_runs.clear()

    committed(evaluate, programme.tenant, JANUARY_2027)

    assert tier_of(down).code == "access" and tier_of(business).code == "business"
    [revoked] = documents_of(down, kind="diploma")
    assert revoked.revocation == Document.Revocation.TIER_CHANGED
    assert len(documents_of(down, kind="booster_pack")) == 1  # it came down onto Access: no booster pack
    assert task_runs.count(TIER_TASK) == 1  # only "down" changed


# --- a partner's status ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Partner.Status.SUSPENDED, Partner.Status.TERMINATED])
def test_suspending_or_terminating_a_partner_revokes_its_diplomas_at_once(programme, status):
    partner, other = programme.partner(), programme.partner()
    mine, theirs = diploma(programme, partner), diploma(programme, other)

    partner.status = status
    partner.save()

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.revocation, mine.revoked_at is not None) == (Document.Revocation.SUSPENDED, True)
    assert theirs.revoked_at is None


def test_a_save_that_keeps_the_status_costs_no_extra_query(programme, django_assert_num_queries):
    partner = programme.partner()
    diploma(programme, partner)
    with scopes_disabled():
        loaded = Partner.objects.get(pk=partner.pk)
        deferred = Partner.objects.only("pk", "tenant", "legal_name").get(pk=partner.pk)

    loaded.city = "Brest"
    with django_assert_num_queries(2):  # the UPDATE and its history record (partnerportal.history)
        loaded.save()
    deferred.legal_name = "Renamed SAS"
    with django_assert_num_queries(3):  # and, for its history, one read of the fields not loaded
        deferred.save(update_fields=["legal_name"])
    assert valid_diplomas(partner) == ["business"]


def test_a_bulk_status_update_bypasses_the_receiver(programme):
    """Documented: queryset updates send no signal; the verification page and the daily catch-up
    (``diplomas_renew_due``) cover them."""
    partner = programme.partner()
    diploma(programme, partner)

    with scopes_disabled():
        Partner.objects.filter(pk=partner.pk).update(status=Partner.Status.SUSPENDED)

    assert valid_diplomas(partner) == ["business"]


def test_a_partner_that_joins_gets_its_welcome_pack_once(programme, committed, task_runs):
    partner = committed(programme.partner, status=Partner.Status.APPLICANT)
    assert task_runs == [] and documents_of(partner) == []

    partner.status = Partner.Status.ACTIVE
    committed(partner.save)
    committed(partner.save)  # still active: nothing queued
    partner.status = Partner.Status.SUSPENDED
    committed(partner.save)
    partner.status = Partner.Status.ACTIVE
    committed(partner.save)  # active again: queued, and the task finds the pack

    assert task_runs == [WELCOME_TASK, WELCOME_TASK]
    [pack] = documents_of(partner)
    assert (pack.kind, pack.tier.code, pack.language) == ("welcome_pack", "starter", "fr")


def test_a_partner_created_active_gets_its_welcome_pack_on_commit(programme, committed, mailoutbox):
    def create():
        partner = programme.partner(preferred_language="en")
        MembershipFactory(partner=partner, user__email="first-admin@newcomer.test")
        return partner

    partner = committed(create)

    assert [d.kind for d in documents_of(partner)] == ["welcome_pack"]
    [message] = mailoutbox
    assert message.to == ["first-admin@newcomer.test"] and "welcome pack" in message.body.lower()


def test_nothing_is_queued_while_the_programme_has_no_tier(world, committed, task_runs):
    partner = committed(PartnerFactory, tenant=world.a.tenant, partner_type=world.a.partner_type)

    assert task_runs == [] and documents_of(partner) == []


def test_the_welcome_task_waits_for_the_commit(programme, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.welcome_packs_issue, "delay", lambda *args: queued.append(args))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        partner = programme.partner()
    assert queued == []

    for callback in callbacks:
        callback()
    assert queued == [(programme.tenant.pk, [partner.pk])]
