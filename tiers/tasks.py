"""Celery tasks of the tiers app: thin, idempotent, tenant id in, scope opened here."""

import datetime as dt

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.db.models import Exists, Max, OuterRef

from partnerportal.models import Tenant
from partnerportal.tenancy import tenant_scope

from . import selectors, services
from .calendar import latest_due_date
from .engine import DEFAULT_CHUNK_SIZE
from .grading import RegradeError
from .locks import RegradeInProgress
from .models import Assessment, Evaluation, Tier
from .signals import TierChange, tier_changed

# acks_late (the message is acknowledged once the task has run, so a worker killed mid-task leaves it for
# another) and reject_on_worker_lost (a pool process killed mid-task puts the message back at once instead
# of failing it) only on tasks a second run leaves unchanged: each says below why it is idempotent.
IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}
RETRY = {**IDEMPOTENT, "autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


# Idempotent: the assessments are claimed (``notified_at``) in one locked update before anything is sent.
@shared_task(**RETRY)
def notify_tier_changes(tenant_id: int, assessment_ids: list[int]) -> int:
    """E-mail the partners whose tier changed; assessments already notified are skipped."""
    with tenant_scope(tenant_id):
        return services.assessment_notify(assessment_ids=assessment_ids)


# Idempotent: one assessment per partner and evaluation (a unique index); a resumed run grades only the
# partners a killed run had not committed, and a finished evaluation writes nothing.
@shared_task(**RETRY)
def regrade_tenant(
    tenant_id: int, evaluation_date: str, user_id: int | None = None, chunk_size: int | None = None
) -> str:
    """Run (or finish) one tenant's evaluation. Idempotent: a finished evaluation writes nothing.
    ``chunk_size``: partners per committed chunk (the engine's default; ``make drill`` uses small ones)."""
    tenant = Tenant.objects.get(pk=tenant_id)
    by = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    day = dt.date.fromisoformat(evaluation_date)
    with tenant_scope(tenant):
        interrupted = _interrupted_run(tenant=tenant, evaluation_date=day)
        try:
            result = services.evaluation_run(
                tenant=tenant,
                evaluation_date=day,
                by=by,
                **({"chunk_size": chunk_size} if chunk_size else {}),
            )
        except (RegradeInProgress, RegradeError) as exc:
            # Nothing to retry: another run holds the tenant, or the programme is not set up (no tiers).
            return str(exc)
        if interrupted and not result.proposed:
            _announce_again(tenant=tenant, evaluation_date=day, up_to=interrupted)
    if result.proposed:
        return f"proposed, awaiting approval: {result.summary()}"
    return result.summary()


def _interrupted_run(*, tenant: Tenant, evaluation_date: dt.date) -> int | None:
    """The last assessment committed by a run of this evaluation that never finished (its worker killed),
    or None. That run announced each chunk's tier changes after the chunk's commit, in its own process: a
    process killed between the two lost the announcement, and the resumed run grades only the partners
    left. Found by ``make drill``: the partners of the chunk committed before the kill got no e-mail."""
    if not Evaluation.objects.filter(
        tenant=tenant, evaluation_date=evaluation_date, status=Evaluation.Status.RUNNING
    ).exists():
        return None
    return Assessment.objects.filter(tenant=tenant, evaluation_date=evaluation_date).aggregate(Max("pk"))[
        "pk__max"
    ]


def _announce_again(*, tenant: Tenant, evaluation_date: dt.date, up_to: int) -> None:
    """Send ``tier_changed`` again for the changes an interrupted run committed (assessments up to
    ``up_to``), a chunk at a time. Every receiver is idempotent (e-mails claimed once, documents and duties
    skipped when done), so changes whose announcement did get through cost a no-op task each."""
    lowest = Tier.objects.filter(tenant=tenant).order_by("rank").values_list("pk", flat=True).first()
    rows = (
        Assessment.objects.filter(tenant=tenant, evaluation_date=evaluation_date, pk__lte=up_to)
        .order_by("pk")
        .values_list("partner_id", "previous_tier_id", "applied_tier_id", "pk")
    )
    changes = [
        TierChange(partner_id, old, new, pk)
        for partner_id, old, new, pk in rows.iterator(chunk_size=DEFAULT_CHUNK_SIZE)
        if new != (old or lowest)  # the engine's rule: a first assessment at the lowest tier is no change
    ]
    for start in range(0, len(changes), DEFAULT_CHUNK_SIZE):
        tier_changed.send(
            sender=Evaluation,
            tenant_id=tenant.pk,
            evaluation_date=evaluation_date,
            changes=changes[start : start + DEFAULT_CHUNK_SIZE],
        )


# Idempotent: a resumed approval skips the partners already applied.
@shared_task(**RETRY)
def approve_evaluation(tenant_id: int, evaluation_id: int, user_id: int | None = None) -> str:
    """Apply a proposed evaluation a manager approved. Idempotent: a resumed approval skips the partners
    already applied, and an evaluation no longer awaiting approval is left alone."""
    by = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    with tenant_scope(tenant_id):
        evaluation = Evaluation.objects.filter(tenant_id=tenant_id, pk=evaluation_id).first()
        if evaluation is None or evaluation.status != Evaluation.Status.PROPOSED:
            return "nothing to approve"
        # Assessments of a proposal still awaiting approval: an approval killed part-way (see regrade_tenant).
        interrupted = Assessment.objects.filter(
            tenant_id=tenant_id, evaluation_date=evaluation.evaluation_date
        ).aggregate(Max("pk"))["pk__max"]
        try:
            evaluation = services.evaluation_approve(evaluation=evaluation, by=by)
        except (RegradeInProgress, RegradeError) as exc:
            return str(exc)
        if interrupted:
            _announce_again(
                tenant=evaluation.tenant, evaluation_date=evaluation.evaluation_date, up_to=interrupted
            )
    return f"approved: partners {evaluation.partners}, up {evaluation.up}, down {evaluation.down}"


# Idempotent: it only queues regrade_tenant for the evaluations not finished, and a regrade queued twice
# finds the tenant locked or its evaluation done.
@shared_task(**IDEMPOTENT)
def regrade_due() -> list[str]:
    """Daily catch-up (django-celery-beat): regrade every tenant whose due evaluation has not finished.

    More robust than a single trigger on 1 January and 1 July: a day the workers were down is caught up
    the next day, and a failed run is retried. A tenant whose evaluation awaits a manager's approval
    (review mode) is left alone until it is approved or discarded.
    """
    queued = []
    for tenant in Tenant.objects.filter(
        Exists(Tier.objects.with_scopes_disabled().filter(tenant=OuterRef("pk")))
    ):
        due = latest_due_date(tenant)
        with tenant_scope(tenant):
            finished = selectors.evaluation_is_applied(tenant=tenant, evaluation_date=due)
            awaiting = selectors.evaluation_awaiting_approval(tenant=tenant) is not None
        if not finished and not awaiting:
            regrade_tenant.delay(tenant.pk, due.isoformat())
            queued.append(f"{tenant.slug} {due}")
    return queued
