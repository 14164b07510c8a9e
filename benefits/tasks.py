"""Celery tasks of the benefits app: thin, idempotent, tenant id in, scope opened here."""

from celery import shared_task
from django.db import OperationalError

from partnerportal.tenancy import tenant_scope

from .notifications import claim_notify


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def notify_claim_decisions(tenant_id: int, claim_ids: list[int], state: str) -> int:
    """E-mail the partners whose claims reached ``state``; claims already notified of it are skipped."""
    with tenant_scope(tenant_id):
        return claim_notify(claim_ids=claim_ids, state=state)
