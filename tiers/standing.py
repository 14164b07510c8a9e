"""A partner's standing as the portal shows it (home and "Mon statut"), and the tier simulator.

The simulator answers "if I bill X € more per month from now on, at which evaluation do I reach the next
tier?" with the grading rule itself (grading.Grader.computed_tier over each future evaluation's window),
from the partner's own month-by-month revenue. Nothing is saved.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from partnerportal.models import Partner

from .calendar import add_months, next_evaluation_date, window_for
from .catalogue import catalogue_for
from .grading import monthly_basis, months_counted
from .models import Tier
from .selectors import PartnerStatus, partner_status

# Future months are assumed to bring what the last complete months brought, on average, plus the extra.
RUN_RATE_MONTHS = 3
SIMULATED_EVALUATIONS = 4


@dataclass
class Standing:
    status: PartnerStatus
    # How far today's monthly basis is towards the next tier's threshold, 0–100 (100 at the top tier).
    progress: int
    # Kept at its tier by the grace period, or evaluated today it would fall to a lower tier.
    at_risk: bool


def progress_percent(basis: Decimal, threshold: Decimal | None) -> int | None:
    """``basis`` as a whole percentage of the next tier's ``threshold``, capped at 100 (None: no next tier)."""
    if not threshold:
        return None
    return min(100, int(basis * 100 / threshold))


def partner_standing(*, partner: Partner, today: dt.date) -> Standing | None:
    status = partner_status(partner=partner, today=today)
    if status is None:
        return None
    progress = progress_percent(status.basis, status.next_threshold)
    if progress is None:
        progress = 100  # at the top tier
    falling = status.projected_tier.rank < status.tier.rank
    return Standing(status=status, progress=progress, at_risk=status.kept_by_grace or falling)


@dataclass
class Projection:
    evaluation_date: dt.date
    window_start: dt.date
    window_end: dt.date
    months: int
    revenue: Decimal
    basis: Decimal
    tier: Tier
    above_current: bool


@dataclass
class Simulation:
    extra: Decimal
    run_rate: Decimal
    projections: list[Projection]
    # The first evaluation at which the rule gives a tier above the current one (None: not within reach).
    reached: Projection | None
    # The monthly extra that would reach the next tier at the next evaluation (None: at the top, or no
    # month of that window is still ahead).
    needed_for_next: Decimal | None


def simulate(
    *,
    partner: Partner,
    status: PartnerStatus,
    history: list[tuple[dt.date, Decimal]],
    extra: Decimal,
    today: dt.date,
    evaluations: int = SIMULATED_EVALUATIONS,
) -> Simulation:
    """Project the next ``evaluations`` evaluations with ``extra`` € more per month from this month on.

    ``history`` is the partner's qualifying revenue month by month, oldest first, up to last month
    (selectors.monthly_revenue): the months already past keep their real figures.
    """
    tenant = partner.tenant
    grader = catalogue_for(tenant).grader
    actual = dict(history)
    recent = [amount for _, amount in history[-RUN_RATE_MONTHS:]]
    run_rate = (sum(recent, Decimal("0")) / len(recent)).quantize(Decimal("0.01")) if recent else Decimal("0")
    this_month = dt.date(today.year, today.month, 1)

    def revenue_of(window) -> tuple[Decimal, int]:
        total, future = Decimal("0"), 0
        for i in range(window.months):
            month = add_months(window.start, i)
            if month < dt.date(partner.date_joined.year, partner.date_joined.month, 1):
                continue  # not yet a member: the rule counts only its months
            if month >= this_month:
                total += run_rate + extra
                future += 1
            else:
                total += actual.get(month, Decimal("0"))
        return total, future

    projections, day = [], today
    needed = None
    for index in range(evaluations):
        evaluation_date = next_evaluation_date(tenant, day)
        window = window_for(evaluation_date, tenant.evaluation_period_months)
        months = months_counted(partner.date_joined, window)
        revenue, future = revenue_of(window)
        tier = grader.computed_tier(partner.partner_type_id, revenue, months)
        projections.append(
            Projection(
                evaluation_date=evaluation_date,
                window_start=window.start,
                window_end=window.end,
                months=months,
                revenue=revenue,
                basis=monthly_basis(revenue, months),
                tier=tier,
                above_current=tier.rank > status.tier.rank,
            )
        )
        if index == 0 and status.next_threshold is not None and future:
            # The extra per future month that makes revenue ≥ threshold × months (the rule's comparison).
            short = status.next_threshold * months - (revenue - extra * future)
            needed = max(Decimal("0"), short / future).quantize(Decimal("0.01"), rounding="ROUND_UP")
        day = evaluation_date
    reached = next((p for p in projections if p.above_current), None)
    return Simulation(
        extra=extra, run_rate=run_rate, projections=projections, reached=reached, needed_for_next=needed
    )
