"""Celery tasks of the documents app: thin, idempotent where they can be, the tenant's scope opened here."""

import datetime as dt

from celery import shared_task

from partnerportal.models import Partner
from partnerportal.tenancy import tenant_scope
from tiers.models import Tier

from . import services


@shared_task
def documents_for_tier_changes(tenant_id: int, evaluation_date: str, changes: list[list[int | None]]) -> int:
    """One task per chunk of ``tier_changed``: revoke and issue the chunk's diplomas and booster packs."""
    with tenant_scope(tenant_id):
        issued = services.tier_changes_documents(
            tenant_id=tenant_id,
            changes=[tuple(change) for change in changes],
            today=dt.date.fromisoformat(evaluation_date),
        )
    return len(issued)


@shared_task
def document_issue(tenant_id: int, partner_id: int, kind: str, tier_id: int | None = None) -> int:
    """On demand (back-office, bench): one document for one partner; returns its id."""
    with tenant_scope(tenant_id):
        partner = Partner.objects.select_related("tenant").get(pk=partner_id)
        tier = Tier.objects.get(pk=tier_id) if tier_id is not None else None
        return services.document_issue(partner=partner, kind=kind, tier=tier).pk
