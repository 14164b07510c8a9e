"""Celery tasks of the tiers app (tiers/tasks.py), run eagerly as the tests' settings make them.

The daily catch-up ``regrade_due`` is driven across evaluation dates with time-machine; the end-to-end
run through a real worker is in test_worker.py.
"""

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from partnerportal.models import Tenant
from tests.partnerportal.factories import TenantFactory
from tests.tiers.factories import add_revenue
from tests.tiers.helpers import (
    JANUARY_2027,
    JULY_2026,
    assessment_of,
    evaluation_of,
    regrade_lock_held_elsewhere,
    tier_of,
)
from tiers.models import Assessment, Evaluation
from tiers.tasks import regrade_due, regrade_tenant

UTC = dt.UTC


@pytest.fixture
def revenue(world, programmes):
    """A's partner is Access on January–June 2026 and Business on July–December; B's partner Premium."""
    add_revenue(world.a.partner, "600")
    add_revenue(world.a.partner, "1500", start=dt.date(2026, 7, 1))
    add_revenue(world.b.partner, "10000", months=12)
    return programmes


def finished_dates(tenant: Tenant) -> list[dt.date]:
    with scopes_disabled():
        return sorted(
            Evaluation.objects.filter(tenant=tenant, status=Evaluation.Status.FINISHED).values_list(
                "evaluation_date", flat=True
            )
        )


def test_regrade_due_catches_up_the_latest_due_evaluation_of_every_tenant(world, revenue, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tick=False)

    assert regrade_due() == ["alpha 2026-07-01", "bravo 2026-07-01"]

    assert finished_dates(world.a.tenant) == finished_dates(world.b.tenant) == [JULY_2026]
    assert tier_of(world.a.partner) == revenue["a"].tiers["access"]
    assert tier_of(world.b.partner) == revenue["b"].tiers["premium"]
    assert assessment_of(world.a.partner).applied_by is None  # the job


def test_regrade_due_does_nothing_once_the_due_evaluation_is_finished(world, revenue, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tick=False)
    regrade_due()
    with scopes_disabled():
        assessments = Assessment.objects.count()

    time_machine.move_to(dt.datetime(2026, 12, 31, 22, 59, tzinfo=UTC), tick=False)  # 23:59 in Paris

    assert regrade_due() == []
    with scopes_disabled():
        assert Assessment.objects.count() == assessments


def test_regrade_due_runs_the_january_evaluation_once_it_is_1_january_in_paris(world, revenue, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tick=False)
    regrade_due()

    time_machine.move_to(dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False)  # 00:30 on 1 January

    assert regrade_due() == ["alpha 2027-01-01", "bravo 2027-01-01"]
    assert finished_dates(world.a.tenant) == [JULY_2026, JANUARY_2027]
    assessment = assessment_of(world.a.partner, JANUARY_2027)
    assert (assessment.window_start, assessment.window_end) == (dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    assert (assessment.previous_tier.code, assessment.applied_tier.code) == ("access", "business")
    assert regrade_due() == []  # and only once


def test_regrade_due_waits_for_1_january_in_each_tenants_time_zone(world, revenue, time_machine):
    Tenant.objects.filter(pk=world.b.tenant.pk).update(timezone="America/Martinique")  # UTC-4
    time_machine.move_to(dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tick=False)
    regrade_due()

    time_machine.move_to(dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False)
    assert regrade_due() == ["alpha 2027-01-01"]

    time_machine.move_to(dt.datetime(2027, 1, 1, 4, 0, tzinfo=UTC), tick=False)
    assert regrade_due() == ["bravo 2027-01-01"]


def test_regrade_due_finishes_a_failed_evaluation(world, revenue, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tick=False)
    regrade_due()
    with scopes_disabled():
        Evaluation.objects.filter(tenant=world.a.tenant).update(status=Evaluation.Status.FAILED)

    assert regrade_due() == ["alpha 2026-07-01"]

    assert evaluation_of(world.a.tenant).status == Evaluation.Status.FINISHED
    with scopes_disabled():
        assert Assessment.objects.filter(partner=world.a.partner).count() == 1


def test_a_tenant_without_tiers_does_not_stop_the_catch_up_of_the_others(world, revenue, time_machine):
    TenantFactory(name="Aardvark", slug="aardvark")  # a programme still being set up; listed first
    time_machine.move_to(dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tick=False)

    regrade_due()

    assert finished_dates(world.a.tenant) == finished_dates(world.b.tenant) == [JULY_2026]


def test_regrade_tenant_records_the_manager_who_started_it(world, revenue):
    summary = regrade_tenant.delay(world.a.tenant.pk, "2026-07-01", world.a.manager.pk).get()

    assert summary.startswith("partners 2, up 1, down 0, same 1, pinned 0")
    assert evaluation_of(world.a.tenant).started_by == world.a.manager
    assert assessment_of(world.a.partner).applied_by == world.a.manager


def test_regrade_tenant_gives_way_to_a_run_in_progress(world, revenue):
    with regrade_lock_held_elsewhere(world.a.tenant):
        message = regrade_tenant.delay(world.a.tenant.pk, "2026-07-01").get()

    assert "déjà en cours" in message  # in the tenant's language (French)
    with scopes_disabled():
        assert not Evaluation.objects.filter(tenant=world.a.tenant).exists()
