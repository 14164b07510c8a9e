"""Writes of the tiers app: evaluations, pins, notifications. The engine is in engine.py, its rule in grading.py."""

import datetime as dt
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerportal.emails import Recipient, partner_admin_emails, partner_emails
from partnerportal.models import Membership, Partner, Tenant

from .calendar import is_evaluation_date
from .engine import RegradeResult, regrade
from .grading import RegradeError, Row
from .locks import regrade_lock
from .models import Assessment, Evaluation, ProposedAssessment, Tier, TierPin
from .review import proposal_apply
from .selectors import assessment_rows, evaluation_awaiting_approval, evaluation_latest_applied
from .signals import TierChange, tier_changed


def evaluation_run(
    *,
    tenant: Tenant,
    evaluation_date: dt.date,
    by=None,
    dry_run: bool = False,
    on_row: Callable[[Row], None] | None = None,
    **options,
) -> RegradeResult:
    """Apply (or, with ``dry_run``, simulate) the evaluation of ``evaluation_date``.

    Only a tenant's evaluation dates (1 January and 1 July by default), past or future, may be run; a
    date before the latest applied evaluation may only be replayed as a dry run. See engine.regrade for
    what is written. ``on_row`` gets every partner's row (for reports), also of a run already done.
    After each chunk commits, ``tier_changed`` is sent with the chunk's changes (ids). In review mode the
    evaluation is stored as a proposal and nothing changes until ``evaluation_approve``; while one awaits
    approval, no other evaluation may be applied or proposed.
    """
    if not is_evaluation_date(tenant, evaluation_date):
        months = ", ".join(str(m) for m in sorted(tenant.evaluation_months))
        raise RegradeError(
            _(
                "%(date)s is not an evaluation date of %(tenant)s: use the first day of one of the months %(months)s."
            )
            % {"date": evaluation_date, "tenant": tenant.slug, "months": months}
        )
    if not dry_run:
        latest = evaluation_latest_applied(tenant=tenant)
        if latest and evaluation_date < latest:
            # Applying it would write an older result over the current tiers; a dry run replays it.
            raise RegradeError(
                _(
                    "%(date)s is before the latest applied evaluation of %(tenant)s (%(latest)s): "
                    "applying it would take tiers back in time. Replay it with a dry run instead."
                )
                % {"date": evaluation_date, "tenant": tenant.slug, "latest": latest}
            )
        pending = evaluation_awaiting_approval(tenant=tenant)
        if pending and pending.evaluation_date != evaluation_date:
            raise RegradeError(
                _(
                    "The evaluation of %(date)s of %(tenant)s awaits approval: approve or discard it in the "
                    "back-office first."
                )
                % {"date": pending.evaluation_date, "tenant": tenant.slug}
            )

    result = regrade(
        tenant=tenant,
        evaluation_date=evaluation_date,
        by=by,
        dry_run=dry_run,
        on_row=on_row if dry_run else None,
        on_changes=_announcer(tenant_id=tenant.pk, evaluation_date=evaluation_date),
        **options,
    )
    if on_row and not dry_run:
        for row in assessment_rows(evaluation=result.evaluation):
            on_row(row)
    return result


def _announcer(*, tenant_id: int, evaluation_date: dt.date) -> Callable[[list[TierChange]], None]:
    def announce(changes: list[TierChange]) -> None:
        # Receivers (the partners' e-mails, duties, diplomas) act on committed data only.
        transaction.on_commit(
            lambda: tier_changed.send(
                sender=Evaluation, tenant_id=tenant_id, evaluation_date=evaluation_date, changes=changes
            )
        )

    return announce


def _awaiting_approval(evaluation: Evaluation) -> None:
    if evaluation.status != Evaluation.Status.PROPOSED or evaluation.approved_at is not None:
        raise ValidationError(_("This evaluation is no longer awaiting approval."), code="not_proposed")


@transaction.atomic
def proposal_override(*, proposal: ProposedAssessment, tier: Tier, reason: str, by) -> ProposedAssessment:
    """Set the tier one partner gets when the proposed evaluation is approved, for a reason (required).

    The engine's proposal is kept (``proposed_tier``); the reason and the manager go on to the assessment
    at approval, and its history record. Refused once the evaluation is approved or discarded.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you override the proposed tier.")}, code="required")
    if tier.tenant_id != proposal.tenant_id:
        raise ValidationError({"tier": _("Choose a tier of this programme.")}, code="invalid")
    evaluation = Evaluation.objects.select_for_update().get(pk=proposal.evaluation_id)
    _awaiting_approval(evaluation)
    proposal.refresh_from_db()
    baseline = (
        proposal.previous_tier or Tier.objects.filter(tenant_id=proposal.tenant_id).order_by("rank").first()
    )
    if tier.rank > baseline.rank:
        movement = Assessment.Movement.UP
    elif tier.rank < baseline.rank:
        movement = Assessment.Movement.DOWN
    else:
        movement = Assessment.Movement.SAME
    old_movement = proposal.movement
    if proposal.proposed_tier_id is None:
        proposal.proposed_tier_id = proposal.applied_tier_id
    proposal.applied_tier = tier
    proposal.reason = Assessment.Reason.OVERRIDDEN
    proposal.movement = movement
    proposal.note = reason[:300]
    proposal.overridden_by = by
    proposal.overridden_at = timezone.now()
    proposal.save()
    if old_movement != movement:  # the evaluation's counts show the proposal as it stands
        Evaluation.objects.filter(pk=evaluation.pk).update(
            **{old_movement: F(old_movement) - 1, movement: F(movement) + 1}
        )
    return proposal


def evaluation_approve(*, evaluation: Evaluation, by, **options) -> Evaluation:
    """Apply a proposed evaluation as a whole, overrides included (review.proposal_apply), and finish it.

    As after a normal run, ``tier_changed`` is sent after each committed chunk with its changes, so the
    partners are e-mailed and their duties and documents follow; the history records name ``by`` (or the
    manager who overrode a partner).
    """
    return proposal_apply(
        evaluation=evaluation,
        by=by,
        on_changes=_announcer(tenant_id=evaluation.tenant_id, evaluation_date=evaluation.evaluation_date),
        **options,
    )


def evaluation_discard(*, evaluation: Evaluation) -> None:
    """Drop a proposed evaluation, so that it can be computed again (after a revenue correction, say)."""
    with regrade_lock(evaluation.tenant), transaction.atomic():
        evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        _awaiting_approval(evaluation)
        ProposedAssessment.objects.filter(evaluation=evaluation).delete()
        evaluation.delete()


@transaction.atomic
def tier_pin(*, partner: Partner, tier: Tier, reason: str, ends_on: dt.date, by) -> TierPin:
    """Keep ``partner`` at ``tier`` for every evaluation up to ``ends_on``; the job records it did."""
    pin = TierPin(
        tenant=partner.tenant, partner=partner, tier=tier, reason=reason, ends_on=ends_on, created_by=by
    )
    pin.full_clean()
    pin._history_user = by  # its history names the manager, also outside a request (a command)
    pin.save()
    return pin


def assessment_notify(*, assessment_ids: list[int]) -> int:
    """One e-mail per administrator of each partner whose tier changed, in the partner's language.

    Set-based and guarded by ``notified_at``: the pending assessments are claimed in one locked update
    before anything is sent, so running it twice (a retried task) sends nothing twice. The price is
    at-most-once delivery: a crash between the claim and the send loses that e-mail, which the partner
    still sees on "Mon statut".
    """
    with transaction.atomic():
        claimed = list(
            Assessment.objects.filter(
                Exists(
                    Membership.objects.filter(
                        partner_id=OuterRef("partner_id"), role=Membership.Role.ADMIN, user__is_active=True
                    )
                ),
                pk__in=assessment_ids,
                notified_at__isnull=True,
            )
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        Assessment.objects.filter(pk__in=claimed).update(notified_at=timezone.now())
    if not claimed:
        return 0
    assessments = list(
        Assessment.objects.filter(pk__in=claimed).select_related(
            "partner", "partner__tenant", "previous_tier", "applied_tier"
        )
    )
    admins = partner_admin_emails(partner_ids={a.partner_id for a in assessments})
    messages = [
        message
        for assessment in assessments
        for recipient in admins.get(assessment.partner_id, [])
        for message in _tier_change_emails(assessment=assessment, to=recipient)
    ]
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(messages)


def _tier_change_emails(*, assessment: Assessment, to: Recipient) -> list[EmailMultiAlternatives]:
    up = assessment.previous_tier is None or assessment.applied_tier.rank > assessment.previous_tier.rank
    return partner_emails(
        partner=assessment.partner,
        template="emails/tier_changed",
        context={"assessment": assessment, "up": up},
        to=[to],
    )
