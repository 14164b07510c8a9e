"""Celery tasks of the documents app: ids in, the tenant's scope opened here, one service call each.

The tasks that react to tier changes and the daily renewal may run twice (``acks_late`` and
``reject_on_worker_lost``: a worker that dies mid-task leaves the message for another) because a second
run is harmless: the tier-change, welcome-pack and renewal services skip what a first run recorded, and a
regenerated document keeps the previous one valid until the new one exists. ``document_issue`` (a
manager's request for one more document) is not idempotent — each run issues a document and e-mails it —
so it is acknowledged before it runs: a worker lost mid-task loses that request, which the manager sees
(no new document) and can repeat, rather than issuing and e-mailing it twice.

Storage and database hiccups (``OSError``, ``OperationalError``) are retried with exponential back-off
(1, 2, 4… seconds, jittered, at most 10 minutes apart), five times at most; a rendering error is not
transient and fails at once. Meanwhile the partner keeps the previous document.
"""

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.db.models import Exists, OuterRef

from partnerportal.models import Partner, Tenant
from partnerportal.tenancy import tenant_scope
from tiers.models import Tier

from . import services

TRANSIENT_ERRORS = (OSError, OperationalError)
RETRIES = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}
IDEMPOTENT = {**RETRIES, "acks_late": True, "reject_on_worker_lost": True}


@shared_task(**IDEMPOTENT)
def documents_for_tier_changes(tenant_id: int, evaluation_date: str, changes: list[list[int | None]]) -> int:
    """One task per chunk of ``tier_changed``: revoke and issue the chunk's diplomas and booster packs."""
    with tenant_scope(tenant_id):
        issued = services.tier_changes_documents(
            tenant_id=tenant_id,
            changes=[tuple(change) for change in changes],
            today=dt.date.fromisoformat(evaluation_date),
        )
    return len(issued)


@shared_task(**IDEMPOTENT)
def welcome_packs_issue(tenant_id: int, partner_ids: list[int]) -> int:
    """The welcome pack of each partner that joined (became active) and has none yet."""
    with tenant_scope(tenant_id):
        partners = Partner.objects.filter(pk__in=partner_ids, status=Partner.Status.ACTIVE).select_related(
            "tenant"
        )
        return sum(services.welcome_pack_issue(partner=partner) is not None for partner in partners)


@shared_task(**RETRIES, acks_late=False)
def document_issue(tenant_id: int, partner_id: int, kind: str, tier_id: int | None = None) -> int:
    """On demand (back-office): one new document for one partner; returns its id."""
    with tenant_scope(tenant_id):
        partner = Partner.objects.select_related("tenant").get(pk=partner_id)
        tier = Tier.objects.get(pk=tier_id) if tier_id is not None else None
        return services.document_issue(partner=partner, kind=kind, tier=tier).pk


@shared_task(**IDEMPOTENT)
def diplomas_renew_due() -> list[str]:
    """Daily catch-up (django-celery-beat), for every tenant whose programme awards diplomas: renew the
    diplomas an evaluation confirmed, and revoke those of partners no longer active (a bulk status update
    skips the receiver). Idempotent: a second run the same day finds nothing to do."""
    done = []
    awarding = Tier.objects.with_scopes_disabled().filter(tenant=OuterRef("pk"), awards_diploma=True)
    for tenant in Tenant.objects.filter(Exists(awarding)).order_by("pk"):
        with tenant_scope(tenant):
            revoked = services.diplomas_revoke_inactive(tenant=tenant)
            renewed = len(services.diplomas_renew(tenant=tenant))
        if revoked or renewed:
            done.append(f"{tenant.slug}: {renewed} renewed, {revoked} revoked")
    return done
