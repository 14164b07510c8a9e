"""Writes of the tiers app: evaluations, pins, notifications. The engine is in engine.py, its rule in grading.py."""

import datetime as dt
from collections.abc import Callable

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from partnerportal.emails import partner_admin_emails, partner_email
from partnerportal.models import Membership, Partner, Tenant

from .calendar import is_evaluation_date
from .engine import RegradeResult, regrade
from .grading import RegradeError, Row
from .models import Assessment, Evaluation, Tier, TierPin
from .selectors import assessment_rows, evaluation_latest_applied
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
    After each chunk commits, ``tier_changed`` is sent with the chunk's changes (ids).
    """
    if not is_evaluation_date(tenant, evaluation_date):
        months = ", ".join(str(m) for m in sorted(tenant.evaluation_months))
        raise RegradeError(
            f"{evaluation_date} is not an evaluation date of {tenant.slug}: "
            f"use the first day of one of the months {months}."
        )
    if not dry_run:
        latest = evaluation_latest_applied(tenant=tenant)
        if latest and evaluation_date < latest:
            # Applying it would write an older result over the current tiers; a dry run replays it.
            raise RegradeError(
                f"{evaluation_date} is before the latest applied evaluation of {tenant.slug} ({latest}): "
                "applying it would take tiers back in time. Replay it with a dry run instead."
            )

    def announce(changes: list[TierChange]) -> None:
        # Receivers (the partners' e-mails, duties, diplomas) act on committed data only.
        transaction.on_commit(
            lambda: tier_changed.send(
                sender=Evaluation, tenant_id=tenant.pk, evaluation_date=evaluation_date, changes=changes
            )
        )

    result = regrade(
        tenant=tenant,
        evaluation_date=evaluation_date,
        by=by,
        dry_run=dry_run,
        on_row=on_row if dry_run else None,
        on_changes=announce,
        **options,
    )
    if on_row and not dry_run:
        for row in assessment_rows(evaluation=result.evaluation):
            on_row(row)
    return result


@transaction.atomic
def tier_pin(*, partner: Partner, tier: Tier, reason: str, ends_on: dt.date, by) -> TierPin:
    """Keep ``partner`` at ``tier`` for every evaluation up to ``ends_on``; the job records it did."""
    pin = TierPin(
        tenant=partner.tenant, partner=partner, tier=tier, reason=reason, ends_on=ends_on, created_by=by
    )
    pin.full_clean()
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
        _tier_change_email(assessment=assessment, to=email)
        for assessment in assessments
        for email in admins.get(assessment.partner_id, [])
    ]
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(messages)


def _tier_change_email(*, assessment: Assessment, to: str) -> EmailMultiAlternatives:
    up = assessment.previous_tier is None or assessment.applied_tier.rank > assessment.previous_tier.rank
    return partner_email(
        partner=assessment.partner,
        template="emails/tier_changed",
        context={"assessment": assessment, "up": up},
        to=[to],
    )
