"""The documents app's reactions: to tier changes (one task per committed chunk) and to a partner's status.

- ``tier_changed``: one ``documents_for_tier_changes`` task per chunk, queued on commit, never one per
  partner.
- A partner saved as suspended or terminated: its valid diplomas are revoked at once, in the same
  transaction (one UPDATE), so that the verification page says so as soon as the status is saved.
- A partner saved as active for the first time (created active, or activated): its welcome pack, through
  a task queued on commit; the task issues none to a partner that has one already. (Partners created in
  bulk, ``bulk_create``, send no signal and get theirs from the demo step or the back-office.)

The status is compared with the one the instance was loaded with (``post_init``), so that a save costs no
extra query. A queryset ``update()`` of the status sends no signal: ``tasks.diplomas_renew_due`` revokes
what it left behind, and the verification page reads a non-active partner's diploma as not valid anyway.
"""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_init, post_save
from django.dispatch import receiver

from partnerportal.models import Partner
from partnerportal.tenancy import tenant_scope
from tiers.models import Tier
from tiers.signals import tier_changed

from . import services
from .models import Document
from .tasks import documents_for_tier_changes, welcome_packs_issue

LOADED_STATUS = "_documents_loaded_status"
ENDED = {Partner.Status.SUSPENDED, Partner.Status.TERMINATED}


@receiver(tier_changed, dispatch_uid="documents.documents_for_tier_changes")
def queue_tier_change_documents(sender, *, tenant_id, evaluation_date, changes, **kwargs):
    if changes:
        documents_for_tier_changes.delay_on_commit(
            tenant_id,
            evaluation_date.isoformat(),
            [[c.partner_id, c.old_tier_id, c.new_tier_id] for c in changes],
        )


@receiver(post_init, sender=Partner, dispatch_uid="documents.remember_partner_status")
def remember_status(sender, instance, **kwargs):
    # Read from __dict__: a deferred status (``only()``) must not cost a query per instance.
    setattr(instance, LOADED_STATUS, instance.__dict__.get("status"))


@receiver(post_save, sender=Partner, dispatch_uid="documents.partner_status_documents")
def partner_status_documents(sender, instance, created, raw, update_fields, **kwargs):
    if raw or (update_fields is not None and "status" not in update_fields):
        return
    before, now = getattr(instance, LOADED_STATUS, None), instance.status
    setattr(instance, LOADED_STATUS, now)
    if not created and before == now:
        return
    # An unknown status before (it was deferred) counts as a change: both reactions are idempotent.
    if now in ENDED and not created:
        with tenant_scope(instance.tenant_id):
            services.diplomas_revoke(partner_ids=[instance.pk], reason=Document.Revocation.SUSPENDED)
    elif now == Partner.Status.ACTIVE:
        transaction.on_commit(partial(_queue_welcome_pack, instance.tenant_id, instance.pk))


def _queue_welcome_pack(tenant_id: int, partner_id: int) -> None:
    with tenant_scope(tenant_id):
        # The pack presents the partner's tier: a programme with no tier yet (the demo loads its partners
        # before its tiers) gets its packs later, from the demo or the back-office; no task for nothing.
        if Tier.objects.filter(tenant_id=tenant_id).exists():
            welcome_packs_issue.delay(tenant_id, [partner_id])
