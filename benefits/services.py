"""Writes of the benefits app: claims and their decisions, and the e-mails that tell the partner.

Every decision is a guarded ``update()`` over the claims in the state it starts from, so a claim decided
twice (two managers, a double click) changes once; the e-mails are queued after commit for the claims that
did change, and the task that sends them (notifications.claim_notify) is idempotent.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from partnerportal.models import Partner, User

from .models import Benefit, Claim
from .selectors import entitlement_overview
from .tasks import notify_claim_decisions


class ClaimError(ValidationError):
    """A claim or a decision the rules refuse; its message is for the person who asked."""


def _queue_notification(*, tenant_id: int, claim_ids: list[int], state: str) -> None:
    if claim_ids:
        notify_claim_decisions.delay_on_commit(tenant_id, claim_ids, state)


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
def claim_cancel(*, claim: Claim, by: User) -> Claim:
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


def _decide(*, claims: QuerySet[Claim], by: User, from_states: list[str], to: str, **values) -> list[int]:
    now = timezone.now()
    ids = list(
        claims.filter(state__in=from_states).select_for_update().order_by("pk").values_list("pk", flat=True)
    )
    if not ids:
        return []
    targets = Claim.objects.filter(pk__in=ids)
    if to == Claim.State.FULFILLED:
        # A claim fulfilled straight from pending is approved by the same act.
        targets.filter(decided_at__isnull=True).update(decided_at=now, decided_by=by)
        targets.update(state=to, fulfilled_at=now)
    else:
        targets.update(state=to, decided_at=now, decided_by=by, **values)
    tenant_id = targets.values_list("tenant_id", flat=True).first()
    _queue_notification(tenant_id=tenant_id, claim_ids=ids, state=to)
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
