"""Celery tasks of the leads app: thin, idempotent, tenant id in, scope opened here (STYLE habit 6)."""

from celery import shared_task
from django.db import OperationalError
from django.db.models import Exists, OuterRef

from partnerportal.models import Tenant
from partnerportal.tenancy import tenant_scope

from . import notifications, services
from .models import Lead

# acks_late and reject_on_worker_lost (a killed worker leaves the message for another) because every task
# here is idempotent: a routing pass run twice finds nothing more to do (the leads it routed are no longer
# new, their offers no longer lapsed), and the e-mails are claimed (``notified_at``,
# ``unrouted_notified_at``) in a locked update before they are sent.
IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}
RETRY = {**IDEMPOTENT, "autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def route_leads_tenant(tenant_id: int) -> str:
    """One tenant's routing pass, as ``manage.py route_leads`` runs it; returns its line."""
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        return services.leads_route(tenant=tenant).line()


@shared_task(**IDEMPOTENT)
def route_leads() -> list[int]:
    """Every quarter of an hour (django-celery-beat): queue the pass of every tenant with leads to route."""
    tenant_ids = list(
        Tenant.objects.filter(
            Exists(
                Lead.objects.with_scopes_disabled().filter(
                    tenant=OuterRef("pk"), state__in=[Lead.State.NEW, Lead.State.OFFERED]
                )
            )
        ).values_list("pk", flat=True)
    )
    for tenant_id in tenant_ids:
        route_leads_tenant.delay(tenant_id)
    return tenant_ids


@shared_task(**RETRY)
def notify_offers(tenant_id: int, offer_ids: list[int]) -> int:
    """E-mail each partner its new offers; offers already e-mailed are skipped."""
    with tenant_scope(tenant_id):
        return notifications.offers_notify(offer_ids=offer_ids)


@shared_task(**RETRY)
def notify_unrouted(tenant_id: int, lead_ids: list[int]) -> int:
    """E-mail the tenant's managers the leads that found no partner; leads already reported are skipped."""
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        return notifications.unrouted_notify(tenant=tenant, lead_ids=lead_ids)
