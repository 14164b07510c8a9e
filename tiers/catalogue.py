"""A tenant's grading catalogue (policy, tiers, thresholds) for the portal's pages, cached.

Every partner page that shows a tier or a gap needs the same few rows of the tenant's catalogue; they
change a few times a year. The pages read them from the cache (one entry per tenant, in the tenant's cache
partition), and any save or delete of a tier, a threshold, the grading policy or the tenant drops the entry
(the receivers below, connected by TiersConfig.ready). The engine does not use this: a regrade always
reads the catalogue from the database (grading.Grader).
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from partnerportal.models import Partner, Tenant
from partnerportal.tenancy import tenant_scope

from .grading import Grader, RegradeError
from .models import Evaluation, GradingPolicy, RevenueEntry, RevenueImport, Threshold, Tier, TierPin
from .signals import tier_changed

TTL_SECONDS = 60 * 60
NO_TIERS = "no-tiers"  # cached too: a programme without tiers yet costs its pages no query either


@dataclass
class Catalogue:
    grader: Grader
    # Each partner type's thresholds, lowest tier first, with ``tier`` set (no query to read it).
    thresholds: dict[int, list[Threshold]]

    def thresholds_for(self, partner_type_id: int) -> list[Threshold]:
        return self.thresholds.get(partner_type_id, [])


def _key(tenant_id: int) -> str:
    return f"tiers:catalogue:{tenant_id}"


def catalogue_for(tenant: Tenant) -> Catalogue:
    """The tenant's catalogue; raises grading.RegradeError when the programme has no tiers yet."""
    with tenant_scope(tenant):
        catalogue = cache.get(_key(tenant.pk))
        if catalogue == NO_TIERS:
            raise RegradeError(NO_TIERS)
        if catalogue is None:
            try:
                grader = Grader(tenant)
            except RegradeError:
                cache.set(_key(tenant.pk), NO_TIERS, TTL_SECONDS)  # until a tier is saved
                raise
            # The grader read the thresholds already (highest first): the same rows, lowest tier first.
            thresholds = {
                type_id: [
                    Threshold(tenant=tenant, partner_type_id=type_id, tier=tier, minimum_monthly=minimum)
                    for minimum, tier in sorted(bars, key=lambda bar: bar[1].rank)
                ]
                for type_id, bars in grader.thresholds.items()
            }
            catalogue = Catalogue(grader=grader, thresholds=thresholds)
            cache.set(_key(tenant.pk), catalogue, TTL_SECONDS)
        return catalogue


def _drop(tenant_id: int, keys: list[str]) -> None:
    """Drop the entries now, and again when the transaction commits: a page served meanwhile would read
    the rows as they were and put them back in the cache for an hour."""

    def drop():
        with tenant_scope(tenant_id):
            cache.delete_many(keys)

    drop()
    transaction.on_commit(drop)


def forget(tenant_id: int) -> None:
    _drop(tenant_id, [_key(tenant_id), projection_key(tenant_id), summary_key(tenant_id)])


# --- the dashboard's projection (tiers/backoffice.py) ----------------------------------------------------
# Kept here, with the receivers, because every process must drop it (the worker that runs a regrade or an
# import too), and only the web processes load the back-office modules.

PROJECTION_TTL = 5 * 60
NO_PROJECTION = "no-projection"


def projection_key(tenant_id: int) -> str:
    return f"tiers:projection:{tenant_id}"


def summary_key(tenant_id: int) -> str:
    return f"tiers:projection-summary:{tenant_id}"


def forget_projection(tenant_id: int) -> None:
    _drop(tenant_id, [projection_key(tenant_id), summary_key(tenant_id)])


@receiver([post_save, post_delete], sender=RevenueEntry, dispatch_uid="tiers.catalogue.revenue")
@receiver([post_save, post_delete], sender=TierPin, dispatch_uid="tiers.catalogue.pin")
@receiver([post_save, post_delete], sender=Evaluation, dispatch_uid="tiers.catalogue.evaluation")
@receiver([post_save, post_delete], sender=RevenueImport, dispatch_uid="tiers.catalogue.import")
@receiver([post_save, post_delete], sender=Partner, dispatch_uid="tiers.catalogue.partner")
def _projection_changed(sender, instance, **kwargs):
    if instance.tenant_id:
        forget_projection(instance.tenant_id)


@receiver(tier_changed, dispatch_uid="tiers.catalogue.tier_changed")
def _tiers_changed(sender, tenant_id, **kwargs):
    forget_projection(tenant_id)


@receiver([post_save, post_delete], sender=Tier, dispatch_uid="tiers.catalogue.tier")
@receiver([post_save, post_delete], sender=Threshold, dispatch_uid="tiers.catalogue.threshold")
@receiver([post_save, post_delete], sender=GradingPolicy, dispatch_uid="tiers.catalogue.policy")
def _catalogue_changed(sender, instance, **kwargs):
    if instance.tenant_id:
        forget(instance.tenant_id)


@receiver([post_save, post_delete], sender=Tenant, dispatch_uid="tiers.catalogue.tenant")
def _tenant_changed(sender, instance, **kwargs):
    if instance.pk:
        forget(instance.pk)


def qualifying_categories_cached(tenant: Tenant) -> list[str]:
    """The ledger categories that count towards the basis, from the cached catalogue (portal pages)."""
    from .grading import RegradeError, qualifying_categories

    try:
        return catalogue_for(tenant).grader.categories
    except RegradeError:  # no tiers yet: the policy alone
        return qualifying_categories(tenant=tenant)


def next_tier_cached(tenant: Tenant, rank: int) -> Tier | None:
    """The tier just above ``rank`` (None at the top, or without tiers), from the cached catalogue."""
    from .grading import RegradeError

    try:
        ladder = catalogue_for(tenant).grader.ladder
    except RegradeError:
        return None
    return next((tier for tier in ladder if tier.rank > rank), None)
