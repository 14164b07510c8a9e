"""Celery tasks of the recruitment app: thin, idempotent, tenant id in, scope opened here."""

from celery import shared_task
from django.db import OperationalError

from partnerportal.tenancy import tenant_scope

from . import notifications

# acks_late and reject_on_worker_lost (a killed worker leaves the message for another) because both tasks are
# idempotent: each e-mail is claimed (``managers_notified_at``, ``applicant_notified_at``) in a locked update
# before it is sent, so a second run sends nothing.
IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}
RETRY = {**IDEMPOTENT, "autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def notify_managers_of_application(tenant_id: int, application_id: int) -> int:
    """E-mail the tenant's managers that an application came in; once per application."""
    with tenant_scope(tenant_id):
        return notifications.application_notify_managers(application_id=application_id)


@shared_task(**RETRY)
def notify_applicant_of_refusal(tenant_id: int, application_id: int) -> int:
    """E-mail the applicant that its application is refused, with the reason; once per application."""
    with tenant_scope(tenant_id):
        return notifications.application_notify_refusal(application_id=application_id)
