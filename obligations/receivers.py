"""The duties app's reactions: to tier changes (open and close duties) and to decisions (e-mails).

Receivers only queue: the regrade engine is timed without the duties' work, which the worker does.
"""

from django.dispatch import receiver

from tiers.signals import tier_changed

from .signals import duties_decided
from .tasks import apply_tier_changes, notify_decisions


@receiver(tier_changed, dispatch_uid="obligations.apply_tier_changes")
def queue_tier_changes(sender, *, tenant_id, evaluation_date, changes, **kwargs):
    payload = [[c.partner_id, c.old_tier_id, c.new_tier_id] for c in changes]
    if payload:
        apply_tier_changes.delay_on_commit(tenant_id, evaluation_date.isoformat(), payload)


@receiver(duties_decided, dispatch_uid="obligations.notify_decisions")
def queue_decision_emails(sender, *, tenant_id, fulfilment_ids, **kwargs):
    notify_decisions.delay_on_commit(tenant_id, fulfilment_ids)
