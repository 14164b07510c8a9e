"""Applying an evaluation that a manager approved (review mode): set-based and chunked like the engine.

The engine stored the evaluation as proposals (ProposedAssessment), one per partner. Approval turns them
into assessments and current tiers chunk by chunk (writers.proposals_apply: one INSERT … SELECT and the
engine's upsert per chunk), records the history of the tiers that changed and hands each chunk's changes
to the caller, which sends ``tier_changed`` after the chunk commits, as after a normal run: the same
e-mails, duties and documents follow. Partners already assessed are skipped, so an approval that dies
midway is finished by approving again. Like the engine, it sends and queues nothing itself.
"""

from collections.abc import Callable

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerportal.tenancy import tenant_scope

from .engine import DEFAULT_CHUNK_SIZE
from .grading import RegradeError
from .locks import regrade_lock
from .models import Assessment, Evaluation, ProposedAssessment, Tier
from .signals import TierChange
from .writers import ChunkContext, proposals_apply, tier_history_record


def proposal_apply(
    *,
    evaluation: Evaluation,
    by,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_changes: Callable[[list[TierChange]], None] | None = None,
) -> Evaluation:
    """Apply the proposed ``evaluation`` as it stands (overrides included) and finish it."""
    tenant = evaluation.tenant
    with tenant_scope(tenant), regrade_lock(tenant):
        evaluation.refresh_from_db()
        if evaluation.status != Evaluation.Status.PROPOSED:
            raise RegradeError(
                _("The evaluation of %(date)s is not awaiting approval.")
                % {"date": evaluation.evaluation_date}
            )
        entry_tier = Tier.objects.filter(tenant=tenant).order_by("rank").first()
        now = timezone.now()
        if evaluation.approved_at is None:  # from here on, no more overrides
            Evaluation.objects.filter(pk=evaluation.pk).update(approved_by=by, approved_at=now)
        context = ChunkContext(
            tenant_id=tenant.pk,
            evaluation_id=evaluation.pk,
            evaluation_date=evaluation.evaluation_date,
            window_start=evaluation.window_start,
            window_end=evaluation.window_end,
            applied_by_id=by.pk if by else None,
            applied_at=now,
        )
        last = 0
        while True:
            ids = list(
                ProposedAssessment.objects.filter(evaluation=evaluation, pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:chunk_size]
            )
            if not ids:
                break
            last = ids[-1]
            with transaction.atomic():
                written = proposals_apply(context=context, low=ids[0], high=ids[-1])
                changes = [
                    TierChange(partner_id, previous_id, applied_id, assessment_id)
                    for assessment_id, partner_id, previous_id, applied_id in written
                    if applied_id != (previous_id or entry_tier.pk)
                ]
                moved = [change.assessment_id for change in changes if change.old_tier_id is not None]
                if moved:
                    tier_history_record(context=context, low=min(moved), high=max(moved))
                if changes and on_changes:
                    on_changes(changes)
        with transaction.atomic():
            counts = dict.fromkeys(Assessment.Movement.values, 0)
            counts.update(
                Assessment.objects.filter(evaluation=evaluation)
                .order_by()
                .values("movement")
                .annotate(n=Count("id"))
                .values_list("movement", "n")
            )
            Evaluation.objects.filter(pk=evaluation.pk).update(
                status=Evaluation.Status.FINISHED,
                finished_at=now,
                partners=sum(counts.values()),
                **counts,
            )
            # The assessments now say everything the proposals did, overrides included.
            ProposedAssessment.objects.filter(evaluation=evaluation).delete()
        evaluation.refresh_from_db()
    return evaluation
