"""The benefits app's reactions: to its decisions (e-mails) and to tier changes (lapsed claims).

Receivers only queue, after commit: the regrade engine is timed without the benefits' work, which the
worker does.
"""

from django.dispatch import receiver

from tiers.signals import tier_changed

from .signals import claims_decided
from .tasks import notify_claim_decisions, refuse_lapsed_claims


@receiver(claims_decided, dispatch_uid="benefits.notify_claim_decisions")
def queue_decision_emails(sender, *, tenant_id, claim_ids, state, **kwargs):
    notify_claim_decisions.delay_on_commit(tenant_id, claim_ids, state)


@receiver(tier_changed, dispatch_uid="benefits.refuse_lapsed_claims")
def queue_lapsed_claims(sender, *, tenant_id, evaluation_date, changes, **kwargs):
    if changes:
        refuse_lapsed_claims.delay_on_commit(tenant_id, [c.partner_id for c in changes])
