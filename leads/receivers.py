"""The leads app's reactions to its own events: e-mails, queued after commit (never before the offer exists)."""

from django.dispatch import receiver

from .signals import leads_offered, leads_unrouted
from .tasks import notify_offers, notify_unrouted


@receiver(leads_offered, dispatch_uid="leads.notify_offers")
def queue_offer_emails(sender, *, tenant_id, offer_ids, **kwargs):
    notify_offers.delay_on_commit(tenant_id, list(offer_ids))


@receiver(leads_unrouted, dispatch_uid="leads.notify_unrouted")
def queue_unrouted_emails(sender, *, tenant_id, lead_ids, **kwargs):
    notify_unrouted.delay_on_commit(tenant_id, list(lead_ids))
