"""Running an evaluation, reading what it wrote, and holding the regrade lock as another run would."""

import datetime as dt
import fcntl
from contextlib import contextmanager

from django.db import connection
from django_scopes import scopes_disabled

from partnerportal.models import Partner, Tenant
from partnerportal.tenancy import tenant_scope
from tiers.engine import RegradeResult
from tiers.locks import ADVISORY_NAMESPACE, lock_file_path
from tiers.models import Assessment, Evaluation, PartnerTier, Tier
from tiers.services import evaluation_run

JANUARY_2026 = dt.date(2026, 1, 1)
JULY_2026 = dt.date(2026, 7, 1)  # window: January to June 2026
JANUARY_2027 = dt.date(2027, 1, 1)


def evaluate(tenant: Tenant, evaluation_date: dt.date = JULY_2026, **options) -> RegradeResult:
    """What the job and the ``regrade`` command do: the service, inside the tenant's scope."""
    with tenant_scope(tenant):
        return evaluation_run(tenant=tenant, evaluation_date=evaluation_date, **options)


def assessment_of(partner: Partner, evaluation_date: dt.date = JULY_2026) -> Assessment:
    with scopes_disabled():  # the test reads what the job wrote
        return Assessment.objects.select_related("previous_tier", "computed_tier", "applied_tier").get(
            partner=partner, evaluation_date=evaluation_date
        )


def tier_of(partner: Partner) -> Tier | None:
    """The partner's current tier (PartnerTier), or None before its first assessment."""
    with scopes_disabled():
        current = PartnerTier.objects.filter(partner=partner).select_related("tier").first()
        return current.tier if current else None


def evaluation_of(tenant: Tenant, evaluation_date: dt.date = JULY_2026) -> Evaluation:
    with scopes_disabled():
        return Evaluation.objects.get(tenant=tenant, evaluation_date=evaluation_date)


def snapshot(tenant: Tenant) -> dict:
    """Everything the job writes for a tenant, to compare before and after a run."""
    with scopes_disabled():
        return {
            "evaluations": list(
                Evaluation.objects.filter(tenant=tenant)
                .order_by("pk")
                .values_list("pk", "evaluation_date", "status", "partners", "up", "down", "same", "pinned")
            ),
            "assessments": list(
                Assessment.objects.filter(tenant=tenant)
                .order_by("pk")
                .values_list("pk", "partner_id", "evaluation_date", "applied_tier_id", "applied_at")
            ),
            "current": list(
                PartnerTier.objects.filter(tenant=tenant)
                .order_by("pk")
                .values_list("partner_id", "tier_id", "since", "assessment_id")
            ),
        }


# --- another run holds the tenant's regrade lock (tiers/locks.py) -------------------------------------


@contextmanager
def advisory_lock_held_elsewhere(tenant):
    """Another session (a second process's regrade) holds the tenant's regrade lock on PostgreSQL."""
    import psycopg2

    settings = connection.settings_dict  # the test database
    other = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or None,
    )
    other.autocommit = True
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, tenant.pk])
            assert cursor.fetchone()[0]
        yield
    finally:
        other.close()  # the server drops a session's advisory locks with it


@contextmanager
def lock_file_held_elsewhere(tenant):
    """Another process's regrade holds the tenant's lock file (tiers/locks.py names it so) on SQLite."""
    with open(
        lock_file_path(tenant), "w"
    ) as handle:  # a second open file description: flock conflicts as across processes
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def regrade_lock_held_elsewhere(tenant):
    """The lock of the database the tests run on."""
    if connection.vendor == "postgresql":
        return advisory_lock_held_elsewhere(tenant)
    return lock_file_held_elsewhere(tenant)
