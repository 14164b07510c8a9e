"""Reads of the tiers app: a partner's status as "Mon statut" shows it."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum

from partnerportal.models import Partner, Tenant

from .calendar import Window, add_months, next_evaluation_date, rolling_window, tenant_today
from .catalogue import catalogue_for
from .engine import RegradeResult, regrade
from .grading import RegradeError, Row, assessment_row, monthly_basis, months_counted
from .models import Assessment, Evaluation, PartnerTier, ProposedAssessment, RevenueEntry, Threshold, Tier


@dataclass
class PartnerStatus:
    tier: Tier
    since: dt.date | None
    window: Window
    months: int
    revenue: Decimal
    basis: Decimal
    projected_tier: Tier
    next_tier: Tier | None
    next_threshold: Decimal | None
    gap: Decimal | None
    next_evaluation: dt.date
    thresholds: list[Threshold]
    categories: list[str]
    # The current tier was kept by the grace period at the last evaluation: another fall demotes.
    kept_by_grace: bool = False


def tier_list(*, tenant) -> QuerySet[Tier]:
    return Tier.objects.filter(tenant=tenant).order_by("rank")


def partner_status(*, partner: Partner, today: dt.date | None = None) -> PartnerStatus | None:
    """Current tier, the basis over the rolling window, the gap to the next tier, the next evaluation.

    None when the programme has no tiers yet.
    """
    tenant = partner.tenant
    try:
        catalogue = catalogue_for(tenant)  # cached: no query on most pages
    except RegradeError:  # the programme has no tiers yet
        return None
    grader = catalogue.grader
    today = today or tenant_today(tenant)
    window = rolling_window(tenant, today)
    # One query, read as plain values: the current tier (and whether the grace period kept it) and the
    # qualifying revenue of the window.
    revenue_in_window = (
        RevenueEntry.objects.filter(
            partner=OuterRef("pk"),
            month__gte=window.start,
            month__lte=window.end,
            category__in=grader.categories,
        )
        .order_by()
        .values("partner")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    tier_id, since, reason, revenue = (
        Partner.objects.filter(pk=partner.pk)
        .annotate(window_revenue=Subquery(revenue_in_window))
        .values_list(
            "current_tier__tier_id",
            "current_tier__since",
            "current_tier__assessment__reason",
            "window_revenue",
        )
        .get()
    )
    revenue = revenue or Decimal("0")
    months = months_counted(partner.date_joined, window)
    projected = grader.computed_tier(partner.partner_type_id, revenue, months)
    thresholds = catalogue.thresholds_for(partner.partner_type_id)
    tier = grader.tiers.get(tier_id, grader.lowest) if tier_id else grader.lowest
    # The next tier above the current one; when today's basis already clears it, the gap is zero and the
    # page says so ("keep it up until the next evaluation").
    next_threshold = next((t for t in thresholds if t.tier.rank > tier.rank), None)
    basis = monthly_basis(revenue, months)
    gap = None
    if next_threshold is not None:
        gap = monthly_basis(max(Decimal("0"), next_threshold.minimum_monthly * months - revenue), months)
    return PartnerStatus(
        tier=tier,
        since=since,
        window=window,
        months=months,
        revenue=revenue,
        basis=basis,
        projected_tier=projected,
        next_tier=next_threshold.tier if next_threshold else None,
        next_threshold=next_threshold.minimum_monthly if next_threshold else None,
        gap=gap,
        next_evaluation=next_evaluation_date(tenant, today),
        thresholds=thresholds,
        categories=grader.categories,
        kept_by_grace=reason == Assessment.Reason.GRACE,
    )


def assessment_list(*, partner: Partner) -> QuerySet[Assessment]:
    return (
        Assessment.objects.filter(partner=partner)
        .select_related("previous_tier", "applied_tier", "computed_tier")
        .order_by("-evaluation_date")
    )


def monthly_revenue(
    *, partner: Partner, categories: list[str], months: int = 24, today: dt.date | None = None
) -> list[tuple[dt.date, Decimal]]:
    """Revenue of ``categories`` in each of the last ``months`` complete months, oldest first (0 when none)."""
    tenant = partner.tenant
    today = today or tenant_today(tenant)
    end = dt.date(today.year, today.month, 1)
    start = add_months(end, -months)
    totals = dict(
        RevenueEntry.objects.filter(partner=partner, month__gte=start, month__lt=end, category__in=categories)
        .values("month")
        .annotate(total=Sum("amount"))
        .values_list("month", "total")
    )
    return [(add_months(start, i), totals.get(add_months(start, i), Decimal("0"))) for i in range(months)]


def evaluation_latest_applied(*, tenant) -> dt.date | None:
    """The date of the tenant's latest finished evaluation (filtered by tenant: the superuser's admin is
    unscoped)."""
    return (
        Evaluation.objects.filter(tenant=tenant, status=Evaluation.Status.FINISHED)
        .order_by("-evaluation_date")
        .values_list("evaluation_date", flat=True)
        .first()
    )


def evaluation_awaiting_approval(*, tenant) -> Evaluation | None:
    """The tenant's evaluation stored as a proposal and not yet applied (review mode), if any."""
    return Evaluation.objects.filter(tenant=tenant, status=Evaluation.Status.PROPOSED).first()


def evaluation_is_applied(*, tenant, evaluation_date: dt.date) -> bool:
    return Evaluation.objects.filter(
        tenant=tenant, evaluation_date=evaluation_date, status=Evaluation.Status.FINISHED
    ).exists()


def tier_on(*, partner: Partner, day: dt.date) -> Tier | None:
    """The partner's tier on ``day``: the one applied by its latest assessment on or before it (None
    before its first; the current tier is the latest assessment's, so today's answer matches "Mon statut")."""
    assessment = (
        Assessment.objects.filter(partner=partner, evaluation_date__lte=day)
        .select_related("applied_tier")
        .order_by("-evaluation_date")
        .first()
    )
    if assessment is not None:
        return assessment.applied_tier
    return Tier.objects.filter(tenant=partner.tenant).order_by("rank").first()  # the entry tier


def entitlements_tier(*, partner: Partner, as_of: dt.date) -> str | None:
    """The ``tier`` section of ``manage.py entitlements``: the tier's code on ``as_of``."""
    tier = tier_on(partner=partner, day=as_of)
    return tier.code if tier else None


def assessment_rows(*, evaluation: Evaluation) -> Iterator[Row]:
    """The rows of a finished (or proposed) evaluation, streamed, for reports."""
    model = ProposedAssessment if evaluation.status == Evaluation.Status.PROPOSED else Assessment
    queryset = (
        model.objects.filter(evaluation=evaluation)
        .select_related("partner", "partner__partner_type", "previous_tier", "computed_tier", "applied_tier")
        .order_by("partner_id")
    )
    for assessment in queryset.iterator(chunk_size=2000):
        yield assessment_row(assessment)


@dataclass
class EvaluationPreview:
    window: Window
    result: RegradeResult
    movers: list[Row]  # those who would go up or down, or be held back


def evaluation_preview(*, tenant) -> EvaluationPreview:
    """ "If we evaluated today": the engine's dry run over the rolling window; nothing is written."""
    window = rolling_window(tenant)
    rows: list[Row] = []
    result = regrade(tenant=tenant, evaluation_date=window.evaluation_date, dry_run=True, on_row=rows.append)
    return EvaluationPreview(
        window=window,
        result=result,
        movers=[r for r in rows if r.movement in ("up", "down", "held") or r.reason == "grace"],
    )


# --- at risk: kept at its tier by the grace period -----------------------------------------------------

# A partner is at risk when the assessment that set its current tier kept it there by grace: it fell
# below the tier's threshold, and another fall at the next evaluation demotes it (grading.py).
AT_RISK = Q(current_tier__assessment__reason=Assessment.Reason.GRACE)


def partner_at_risk(*, partner: Partner) -> bool:
    """Whether ``partner`` is at risk of losing its tier at the next evaluation (one query)."""
    return PartnerTier.objects.filter(partner=partner, assessment__reason=Assessment.Reason.GRACE).exists()


def partner_list_at_risk(*, tenant: Tenant) -> QuerySet[Partner]:
    """The tenant's partners at risk of losing their tier at the next evaluation."""
    return Partner.objects.filter(AT_RISK, tenant=tenant)


def partners_with_at_risk(queryset: QuerySet[Partner]) -> QuerySet[Partner]:
    """``queryset`` with an ``at_risk`` boolean on each partner, for lists (no query per row)."""
    return queryset.annotate(
        at_risk=Exists(
            PartnerTier.objects.filter(partner_id=OuterRef("pk"), assessment__reason=Assessment.Reason.GRACE)
        )
    )


# --- review mode: a proposed evaluation ----------------------------------------------------------------


def proposal_list(
    *, evaluation: Evaluation, movers_only: bool = False, search: str = ""
) -> QuerySet[ProposedAssessment]:
    """The proposal's rows, by partner name, with what the review page shows; ``movers_only``: those whose
    tier would change, be kept by grace or a pin, or be held back, and the overrides."""
    queryset = ProposedAssessment.objects.filter(evaluation=evaluation)
    if movers_only:
        queryset = queryset.exclude(
            movement=Assessment.Movement.SAME,
            reason__in=[Assessment.Reason.COMPUTED, Assessment.Reason.NO_DATA],
        )
    if search:
        queryset = queryset.filter(
            Q(partner__external_ref__icontains=search) | Q(partner__legal_name__icontains=search)
        )
    return queryset.select_related(
        "partner",
        "partner__partner_type",
        "previous_tier",
        "computed_tier",
        "applied_tier",
        "proposed_tier",
        "overridden_by",
    ).order_by("partner__legal_name", "partner_id")


def proposal_counts(*, evaluation: Evaluation) -> dict[str, int]:
    """The proposal's rows per movement, and the overrides and graces among them."""
    rows = ProposedAssessment.objects.filter(evaluation=evaluation).order_by()
    counts = dict.fromkeys(Assessment.Movement.values, 0)
    counts.update(rows.values("movement").annotate(n=Count("id")).values_list("movement", "n"))
    counts["partners"] = sum(counts.values())
    counts.update(
        rows.aggregate(
            overridden=Count("id", filter=Q(reason=Assessment.Reason.OVERRIDDEN)),
            grace=Count("id", filter=Q(reason=Assessment.Reason.GRACE)),
        )
    )
    return counts
