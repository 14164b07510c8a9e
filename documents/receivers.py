"""The documents app's reaction to tier changes: one task per committed chunk, not one per partner."""

from django.dispatch import receiver

from tiers.signals import tier_changed

from .tasks import documents_for_tier_changes


@receiver(tier_changed, dispatch_uid="documents.documents_for_tier_changes")
def queue_tier_change_documents(sender, *, tenant_id, evaluation_date, changes, **kwargs):
    if changes:
        documents_for_tier_changes.delay_on_commit(
            tenant_id,
            evaluation_date.isoformat(),
            [[c.partner_id, c.old_tier_id, c.new_tier_id] for c in changes],
        )
