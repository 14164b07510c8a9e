"""The tenant's duty rules for the portal's pages, cached (as tiers/catalogue.py does for the tiers).

"Mon statut" says what a partner would still have to do at the next tier, which needs every duty with its
tiers, types and plans (four queries). The catalogue changes rarely; the page reads it from the cache, and
any change of a duty or of its tiers, types or plans drops the tenant's entry. Set-wise jobs (holds,
reconciliation) keep reading the database (selectors.duty_rules).
"""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from partnerportal.models import OperatorPlan, PartnerType
from partnerportal.tenancy import tenant_scope
from tiers.models import Tier

from .models import Duty
from .selectors import DutyRule, duty_rules

TTL_SECONDS = 60 * 60


def _key(tenant_id: int) -> str:
    return f"obligations:duty-rules:{tenant_id}"


def cached_duty_rules(*, tenant) -> list[DutyRule]:
    with tenant_scope(tenant):
        rules = cache.get(_key(tenant.pk))
        if rules is None:
            rules = duty_rules(tenant=tenant)
            for rule in rules:
                rule.duty._prefetched_objects_cache = {}  # the rule's sets say it; keep the entry small
            cache.set(_key(tenant.pk), rules, TTL_SECONDS)
        return rules


def forget(tenant_id: int) -> None:
    """Now, and again when the transaction commits (see tiers.catalogue._drop)."""

    def drop():
        with tenant_scope(tenant_id):
            cache.delete(_key(tenant_id))

    drop()
    transaction.on_commit(drop)


@receiver([post_save, post_delete], sender=Duty, dispatch_uid="obligations.catalogue.duty")
def _duty_changed(sender, instance, **kwargs):
    if instance.tenant_id:
        forget(instance.tenant_id)


# Deleting a tier, type or plan removes its links to duties without m2m_changed; an empty set of types or
# plans means "every one", so a duty may widen: the rules are read again.
@receiver(post_delete, sender=Tier, dispatch_uid="obligations.catalogue.tier_deleted")
@receiver(post_delete, sender=PartnerType, dispatch_uid="obligations.catalogue.type_deleted")
@receiver(post_delete, sender=OperatorPlan, dispatch_uid="obligations.catalogue.plan_deleted")
def _link_target_deleted(sender, instance, **kwargs):
    if instance.tenant_id:
        forget(instance.tenant_id)


@receiver(m2m_changed, sender=Duty.tiers.through, dispatch_uid="obligations.catalogue.tiers")
@receiver(m2m_changed, sender=Duty.partner_types.through, dispatch_uid="obligations.catalogue.types")
@receiver(m2m_changed, sender=Duty.operator_plans.through, dispatch_uid="obligations.catalogue.plans")
def _duty_links_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    # Forward (a duty's tiers) or reverse (a tier's duties): both sides belong to the same tenant.
    if action.startswith("post_") and getattr(instance, "tenant_id", None):
        forget(instance.tenant_id)
