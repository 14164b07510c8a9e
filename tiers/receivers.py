"""The tiers app's own reactions to tier changes."""

from django.dispatch import receiver

from partnerportal.models import Membership
from partnerportal.tenancy import tenant_scope

from .signals import tier_changed
from .tasks import notify_tier_changes


@receiver(tier_changed, dispatch_uid="tiers.notify_tier_changes")
def notify_partner_admins(sender, *, tenant_id, changes, **kwargs):
    """Queue the e-mails of the partners whose tier changed; only those with an administrator to tell.

    One range query per chunk keeps the task's payload small.
    """
    partner_ids = [change.partner_id for change in changes]
    with tenant_scope(tenant_id):
        told = set(
            Membership.objects.filter(
                partner_id__gte=min(partner_ids),
                partner_id__lte=max(partner_ids),
                role=Membership.Role.ADMIN,
                user__is_active=True,
            ).values_list("partner_id", flat=True)
        )
    to_notify = [change.assessment_id for change in changes if change.partner_id in told]
    if to_notify:
        notify_tier_changes.delay_on_commit(tenant_id, to_notify)
