"""Writes of the benefits app: claims and their decisions, and the e-mails that tell the partner.

Every decision is a guarded ``update()`` over the claims in the state it starts from, so a claim decided
twice (two managers, a double click) changes once; the e-mails are queued after commit for the claims that
did change, and the task that sends them (notifications.claim_notify) is idempotent. When a partner's tier
changes, its pending claims of benefits the new tier no longer gives are refused the same way.
"""

import datetime as dt
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnerportal.formatting import date_format
from partnerportal.history import history_record_update
from partnerportal.models import Partner, Tenant, User
from tiers.models import PartnerTier

from .models import Benefit, Claim
from .selectors import entitlement_overview
from .signals import claims_decided


class ClaimError(ValidationError):
    """A claim or a decision the rules refuse; its message is for the person who asked."""


def _queue_notification(*, tenant_id: int, claim_ids: list[int], state: str) -> None:
    # The e-mail task is queued by a receiver (receivers.py), after commit.
    if claim_ids:
        claims_decided.send(sender=Claim, tenant_id=tenant_id, claim_ids=claim_ids, state=state)


@transaction.atomic
def claim_create(
    *, partner: Partner, benefit: Benefit, by: User, note: str = "", today: dt.date | None = None
) -> Claim:
    """Claim ``benefit`` for ``partner``; raises ClaimError when the rules say no.

    The benefit must apply to the partner today (type, tier, not replaced), be claimable, within its
    validity window, with some quantity left in the current period. The partner's row is locked first, so
    that two simultaneous claims of the last seat are counted one after the other: exactly one succeeds.
    A benefit that needs no approval is approved at once and the partner e-mailed after commit.
    """
    Partner.objects.select_for_update().filter(pk=partner.pk).values_list("pk").get()
    day = today or partner.tenant.today()
    overview = entitlement_overview(partner=partner, day=day)
    entitlement = next((e for e in overview.entitlements if e.benefit.pk == benefit.pk), None)
    if entitlement is None:
        raise ClaimError(_benefit_not_yours(benefit=benefit, overview=overview))
    if not entitlement.claimable:
        raise ClaimError(_("%(benefit)s is yours already: there is nothing to claim.") % {"benefit": benefit})
    if entitlement.expired:
        raise ClaimError(
            _("%(benefit)s could be claimed until %(date)s.")
            % {"benefit": benefit, "date": date_format(entitlement.valid_until)}
        )
    if not entitlement.remaining:
        raise ClaimError(_no_more_message(benefit=benefit))
    now = timezone.now()
    approved = not benefit.requires_approval
    claim = Claim(
        tenant_id=partner.tenant_id,
        partner=partner,
        benefit=benefit,
        claimed_by=by,
        period_start=entitlement.period_start,
        note=note.strip(),
        state=Claim.State.APPROVED if approved else Claim.State.PENDING,
        decided_at=now if approved else None,
        created_at=now,
    )
    claim.full_clean()
    claim.save()
    if approved:
        _queue_notification(tenant_id=partner.tenant_id, claim_ids=[claim.pk], state=Claim.State.APPROVED)
    return claim


def _benefit_not_yours(*, benefit: Benefit, overview) -> str:
    tier = overview.standing.tier
    if benefit.is_active and benefit in overview.catalogue and tier is not None:
        if benefit.from_tier.rank > tier.rank:
            return _("%(benefit)s comes with the %(tier)s tier.") % {
                "benefit": benefit,
                "tier": benefit.from_tier.name,
            }
        replacer = next(
            (e.benefit for e in overview.entitlements if e.benefit.replaces_id == benefit.pk), None
        )
        if replacer is not None:
            return _("At your tier, %(benefit)s is replaced by %(other)s.") % {
                "benefit": benefit,
                "other": replacer,
            }
    return _("%(benefit)s is not part of your programme.") % {"benefit": benefit}


def _no_more_message(*, benefit: Benefit) -> str:
    messages = {
        Benefit.Period.ONCE: _("You have already claimed %(benefit)s for this tier."),
        Benefit.Period.YEAR: _("You have already claimed all of %(benefit)s for this year."),
        Benefit.Period.QUARTER: _("You have already claimed all of %(benefit)s for this quarter."),
        Benefit.Period.MONTH: _("You have already claimed all of %(benefit)s for this month."),
    }
    return messages[benefit.period] % {"benefit": benefit}


@transaction.atomic
def claim_cancel(*, claim: Claim) -> Claim:
    """The partner withdraws a claim while it is pending; its seat is free again. Nobody is e-mailed."""
    changed = Claim.objects.filter(pk=claim.pk, state=Claim.State.PENDING).update(
        state=Claim.State.CANCELLED, cancelled_at=timezone.now()
    )
    claim.refresh_from_db()
    if not changed:
        raise ClaimError(
            _("This claim is %(state)s: only a pending claim can be cancelled.")
            % {"state": claim.get_state_display().lower()}
        )
    return claim


@transaction.atomic
def claims_approve(*, claims: QuerySet[Claim], by: User) -> list[int]:
    """Approve the pending claims among ``claims``; returns the ids approved, whose partners are e-mailed."""
    return _decide(claims=claims, by=by, from_states=[Claim.State.PENDING], to=Claim.State.APPROVED)


@transaction.atomic
def claims_fulfil(*, claims: QuerySet[Claim], by: User) -> list[int]:
    """Mark the pending or approved claims among ``claims`` fulfilled (a pending one is approved with it)."""
    return _decide(
        claims=claims,
        by=by,
        from_states=[Claim.State.PENDING, Claim.State.APPROVED],
        to=Claim.State.FULFILLED,
    )


def _decide(
    *, claims: QuerySet[Claim], by: User | None, from_states: list[str], to: str, **values
) -> list[int]:
    now = timezone.now()
    # The superuser's back-office is unscoped: a bulk decision may span tenants, and each tenant's task
    # opens its own scope, so the e-mails are queued per tenant.
    rows = list(
        claims.filter(state__in=from_states).select_for_update().order_by("pk").values_list("pk", "tenant_id")
    )
    if not rows:
        return []
    ids = [pk for pk, _tenant_id in rows]
    targets = Claim.objects.filter(pk__in=ids)
    if to == Claim.State.FULFILLED:
        # A claim fulfilled straight from pending is approved by the same act.
        targets.filter(decided_at__isnull=True).update(decided_at=now, decided_by=by)
        targets.update(state=to, fulfilled_at=now)
    else:
        targets.update(state=to, decided_at=now, decided_by=by, **values)
    # update() leaves no history of its own. A person's decisions are recorded; the refusals of a lapsed
    # tier are the job's, and their reason says so.
    if by is not None:
        history_record_update(model=Claim, ids=ids, by=by)
    by_tenant: dict[int, list[int]] = defaultdict(list)
    for pk, tenant_id in rows:
        by_tenant[tenant_id].append(pk)
    for tenant_id, claim_ids in by_tenant.items():
        _queue_notification(tenant_id=tenant_id, claim_ids=claim_ids, state=to)
    return ids


def _one(claim: Claim, ids: list[int], *, refused: str) -> Claim:
    claim.refresh_from_db()
    if not ids:
        raise ClaimError(refused % {"state": claim.get_state_display().lower()})
    return claim


def claim_approve(*, claim: Claim, by: User) -> Claim:
    """Approve one pending claim; the partner is e-mailed after commit."""
    ids = claims_approve(claims=Claim.objects.filter(pk=claim.pk), by=by)
    return _one(claim, ids, refused=_("This claim is %(state)s: only a pending claim can be approved."))


def claim_fulfil(*, claim: Claim, by: User) -> Claim:
    """Mark one pending or approved claim fulfilled; the partner is e-mailed after commit."""
    ids = claims_fulfil(claims=Claim.objects.filter(pk=claim.pk), by=by)
    return _one(
        claim, ids, refused=_("This claim is %(state)s: only a pending or approved claim can be fulfilled.")
    )


@transaction.atomic
def claim_refuse(*, claim: Claim, by: User, reason: str) -> Claim:
    """Refuse a pending or approved claim, with a reason the partner reads; its seat is free again."""
    reason = (reason or "").strip()
    if not reason:
        raise ClaimError(_("Say why the claim is refused: the partner reads it."))
    ids = _decide(
        claims=Claim.objects.filter(pk=claim.pk),
        by=by,
        from_states=[Claim.State.PENDING, Claim.State.APPROVED],
        to=Claim.State.REFUSED,
        refusal_reason=reason[:500],
    )
    return _one(claim, ids, refused=_("This claim is %(state)s: it can no longer be refused."))


@transaction.atomic
def claims_refuse_lapsed(*, tenant: Tenant, partner_ids: list[int]) -> list[int]:
    """Refuse the pending claims of ``partner_ids`` for benefits their current tier no longer gives.

    A benefit lapses when the partner is now below its tier, or when a benefit of the partner's type at or
    below its tier replaces it. The reason is written in each partner's language (the partner reads it on
    its portal and in the e-mail, queued after commit). A few queries whatever the number of partners;
    running it again refuses nothing more. Returns the ids refused.
    """
    claims = list(
        Claim.objects.filter(
            tenant=tenant, partner_id__in=partner_ids, state=Claim.State.PENDING
        ).values_list("pk", "partner_id", "benefit_id", "benefit__from_tier__rank")
    )
    if not claims:
        return []
    partners = {
        current.partner_id: current
        for current in PartnerTier.objects.filter(
            tenant=tenant, partner_id__in={partner_id for _pk, partner_id, _b, _r in claims}
        ).select_related("partner__tenant", "tier")
    }
    replacers = list(
        Benefit.objects.filter(
            tenant=tenant, is_active=True, replaces_id__in={benefit_id for _pk, _p, benefit_id, _r in claims}
        ).values_list("pk", "replaces_id", "from_tier__rank")
    )
    types: dict[int, set[int]] = defaultdict(set)
    for benefit_id, type_id in Benefit.partner_types.through.objects.filter(
        benefit_id__in=[pk for pk, _replaces, _rank in replacers]
    ).values_list("benefit_id", "partnertype_id"):
        types[benefit_id].add(type_id)

    def lapsed(partner_id: int, benefit_id: int, rank: int) -> bool:
        current = partners.get(partner_id)
        if current is None:  # never assessed: at the entry tier since it joined, nothing changed
            return False
        if rank > current.tier.rank:
            return True
        return any(
            replaces_id == benefit_id
            and replacer_rank <= current.tier.rank
            and (not types[pk] or current.partner.partner_type_id in types[pk])
            for pk, replaces_id, replacer_rank in replacers
        )

    by_language: dict[str, list[int]] = defaultdict(list)
    for pk, partner_id, benefit_id, rank in claims:
        if lapsed(partner_id, benefit_id, rank):
            by_language[partners[partner_id].partner.language].append(pk)
    refused = []
    for language, claim_ids in by_language.items():
        with translation.override(language):
            reason = _("Your status no longer entitles you to this benefit.")
        refused += _decide(
            claims=Claim.objects.filter(pk__in=claim_ids),
            by=None,
            from_states=[Claim.State.PENDING],
            to=Claim.State.REFUSED,
            refusal_reason=reason,
        )
    return refused
