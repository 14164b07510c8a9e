"""Experts Zen's reaction to tier changes: the experts among the chunk's partners get their tier flag again,
in one UPDATE, in the signal's own process (no task: the directory must drop them at once)."""

from django.dispatch import receiver

from partnerportal.tenancy import tenant_scope
from tiers.signals import tier_changed

from .services import experts_tier_sync


@receiver(tier_changed, dispatch_uid="experts.tier_sync")
def sync_expert_tiers(sender, *, tenant_id, changes, **kwargs):
    if changes:
        with tenant_scope(tenant_id):
            experts_tier_sync(tenant_id=tenant_id, partner_ids=[change.partner_id for change in changes])
