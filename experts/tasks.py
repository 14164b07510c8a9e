"""Celery tasks of Experts Zen: thin, idempotent, tenant id in, scope opened here."""

from celery import shared_task
from django.db import OperationalError

from partnerportal.tenancy import tenant_scope

from .notifications import assignment_notify

# acks_late and reject_on_worker_lost: the e-mail is claimed (``notified_at``) before it is sent, so a
# second run sends nothing.
RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(**RETRY)
def notify_mandate(tenant_id: int, assignment_id: int) -> int:
    """E-mail the expert mandated for an assignment; a mandate already announced is skipped."""
    with tenant_scope(tenant_id):
        return assignment_notify(assignment_id=assignment_id)
