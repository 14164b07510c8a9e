"""Celery tasks of the benefits app: thin, idempotent, tenant id in, scope opened here."""

from celery import shared_task
from django.db import OperationalError

from partnerportal.models import Tenant
from partnerportal.tenancy import tenant_scope

from . import services
from .notifications import claim_notify

# acks_late and reject_on_worker_lost (a killed worker leaves the message for another) because both tasks
# are idempotent: the e-mails are claimed (``notified_state``) in a locked update before they are sent, and
# a lapsed claim refused once is no longer pending.
IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}
RETRY = {**IDEMPOTENT, "autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def notify_claim_decisions(tenant_id: int, claim_ids: list[int], state: str) -> int:
    """E-mail the partners whose claims reached ``state``; claims already notified of it are skipped."""
    with tenant_scope(tenant_id):
        return claim_notify(claim_ids=claim_ids, state=state)


@shared_task(**RETRY)
def refuse_lapsed_claims(tenant_id: int, partner_ids: list[int]) -> list[int]:
    """Refuse the pending claims these partners' new tiers no longer give; a replay refuses nothing more."""
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        return services.claims_refuse_lapsed(tenant=tenant, partner_ids=partner_ids)
