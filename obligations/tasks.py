"""Celery tasks of the duties app: thin, idempotent, tenant id in, scope opened here (STYLE habit 6)."""

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.db.models import Exists, OuterRef

from partnerportal.models import Tenant
from partnerportal.tenancy import tenant_scope

from . import services
from .models import Duty

# acks_late and reject_on_worker_lost (a killed worker leaves the message for another) only because every
# task here is idempotent, each for the reason its docstring gives.
IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}
RETRY = {**IDEMPOTENT, "autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def apply_tier_changes(tenant_id: int, evaluation_date: str, changes: list[list[int | None]]) -> dict:
    """Open and close the duties of one committed chunk of an evaluation; replaying it writes nothing new."""
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        return services.duties_apply_tier_changes(
            tenant=tenant,
            evaluation_date=dt.date.fromisoformat(evaluation_date),
            changes=[(partner_id, old, new) for partner_id, old, new in changes],
        )


@shared_task(**RETRY)
def sync_duties(tenant_id: int, duty_ids: list[int] | None = None) -> dict:
    """Open (and close) these duties for every graded partner of the tenant, in chunks; idempotent."""
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        return services.duties_sync(tenant=tenant, duty_ids=duty_ids)


@shared_task(**RETRY)
def notify_decisions(tenant_id: int, fulfilment_ids: list[int]) -> int:
    """E-mail the managers' decisions; decisions already e-mailed are skipped (``decision_notified_at``)."""
    with tenant_scope(tenant_id):
        return services.decisions_notify(fulfilment_ids=fulfilment_ids)


@shared_task(**RETRY)
def duties_daily_tenant(tenant_id: int) -> str:
    """One tenant's day: expire ended periods, open the current ones, send the reminders (each once)."""
    tenant = Tenant.objects.get(pk=tenant_id)
    today = tenant.today()
    with tenant_scope(tenant):
        rolled = services.duty_periods_roll(tenant=tenant, today=today)
        sent = services.reminders_send(tenant=tenant, today=today)
    return (
        f"{tenant.slug}: {rolled['expired']} expired, {rolled['opened']} opened, "
        f"{sent['soon']} reminders, {sent['missed']} overdue notices"
    )


@shared_task(**IDEMPOTENT)
def duties_daily() -> list[int]:
    """Daily (django-celery-beat): queue the day of every tenant that has a duty catalogue. Idempotent: a
    tenant's day queued twice expires, opens and reminds each thing once."""
    tenant_ids = list(
        Tenant.objects.filter(
            Exists(Duty.objects.with_scopes_disabled().filter(tenant=OuterRef("pk")))
        ).values_list("pk", flat=True)
    )
    for tenant_id in tenant_ids:
        duties_daily_tenant.delay(tenant_id)
    return tenant_ids
