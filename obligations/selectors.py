"""Reads of the duties app: the catalogue's rules, a partner's checklist and score, holds, gaps, plans."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    Count,
    DateField,
    Expression,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import GreaterThan, LessThan
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnerportal.models import Partner, Tenant
from tiers.calendar import window_for
from tiers.catalogue import qualifying_categories_cached
from tiers.models import RevenueEntry, Tier
from tiers.selectors import tier_on

from .models import (
    DONE_STATES,
    OPEN_STATES,
    UNDONE_STATES,
    Category,
    DevelopmentPlan,
    Duty,
    DutyFulfilment,
    FulfilmentState,
    PlanObjective,
    SalesForecast,
    quarter_start,
)

# --- the catalogue's rules -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DutyRule:
    """A duty with where it applies, read once so that a whole chunk of partners is matched in memory."""

    duty: Duty
    tier_ids: frozenset[int]
    type_ids: frozenset[int]  # empty: every type
    plan_ids: frozenset[int]  # empty: whatever the plan

    def applies(self, *, tier_id: int | None, type_id: int, plan_id: int | None) -> bool:
        return (
            tier_id in self.tier_ids
            and (not self.type_ids or type_id in self.type_ids)
            and (not self.plan_ids or plan_id in self.plan_ids)
        )


def duty_rules(*, tenant) -> list[DutyRule]:
    """Every duty of the tenant with its tiers, types and plans: four queries whatever the catalogue's size."""
    duties = Duty.objects.filter(tenant=tenant).prefetch_related("tiers", "partner_types", "operator_plans")
    return [
        DutyRule(
            duty=duty,
            tier_ids=frozenset(t.pk for t in duty.tiers.all()),
            type_ids=frozenset(t.pk for t in duty.partner_types.all()),
            plan_ids=frozenset(p.pk for p in duty.operator_plans.all()),
        )
        for duty in duties
    ]


def duties_for(*, rules: list[DutyRule], tier_id: int | None, partner: Partner) -> list[Duty]:
    return [
        rule.duty
        for rule in rules
        if rule.applies(tier_id=tier_id, type_id=partner.partner_type_id, plan_id=partner.operator_plan_id)
    ]


# --- a partner's checklist ------------------------------------------------------------------------------


def fulfilment_list(*, partner: Partner) -> QuerySet[DutyFulfilment]:
    """The partner's duties, those no longer required left out: what is left to do first (soonest due
    first), then what waits for review, then the rest, latest first."""
    urgency = Case(
        When(state__in=OPEN_STATES, then=Value(0)),
        When(state=FulfilmentState.SUBMITTED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        DutyFulfilment.objects.filter(partner=partner)
        .exclude(state=FulfilmentState.CLOSED)
        .select_related("duty")
        .annotate(urgency=urgency)
        .order_by("urgency", "due_date", "duty__position", "pk")
    )


def fulfilment_get(*, partner: Partner, pk: int) -> DutyFulfilment | None:
    return fulfilment_list(partner=partner).select_related("trainee", "decided_by").filter(pk=pk).first()


@dataclass
class Compliance:
    """``done`` ÷ ``due``; see ``compliance_for``."""

    done: int
    due: int
    overdue: list[DutyFulfilment] = field(default_factory=list)

    @property
    def score(self) -> int | None:
        """A whole percentage, rounded down (99.6 % is not 100 %); None when nothing is due."""
        return None if self.due == 0 else self.done * 100 // self.due


def _done_q() -> Q:
    return Q(state__in=DONE_STATES)


def _missed_q(*, today: dt.date | Expression, sent_on: Expression) -> Q:
    """Past due and not done: still to do, refused or expired; or evidence sent after the due date.

    ``today`` and ``sent_on`` (the day ``submitted_at`` falls on) are in the tenant's time zone; both may
    be expressions that pick each row's tenant (the superuser's partner list spans tenants)."""
    late = Q(state__in=[*OPEN_STATES, FulfilmentState.EXPIRED]) | (
        Q(state=FulfilmentState.SUBMITTED) & Q(GreaterThan(sent_on, F("due_date")))
    )
    return late & Q(LessThan(F("due_date"), today))


def _sent_on(tenant: Tenant) -> TruncDate:
    return TruncDate("submitted_at", tzinfo=ZoneInfo(tenant.timezone))


def _per_tenant(tenants: list[Tenant], value, output_field) -> Case:
    """``value(tenant)`` for each row's tenant: one CASE over a few tenants."""
    return Case(*(When(tenant_id=t.pk, then=value(t)) for t in tenants), output_field=output_field)


def compliance_for(*, partner: Partner, today: dt.date) -> Compliance:
    """The compliance score of ``partner`` on ``today``: duties done ÷ duties due.

    - *done*: approved or waived (a waived duty was excused by a manager: it counts as fulfilled);
    - *missed*: a due date before ``today`` (the due date itself is still on time) and still to do,
      refused, or expired (a recurring period that ended unfulfilled), or evidence sent after the due date
      and not yet approved;
    - *due* = done + missed. Evidence sent on time and waiting for review counts neither way (the partner
      did its part; the manager has not decided), nor do duties not yet due and not done; duties "no
      longer required" (the partner left the tier) never count. Nothing due: no score (None), not 100 %.

    ``overdue`` lists the missed duties that can still be fulfilled (not the expired periods).
    Promotion holds are stricter (``promotion_holds``): a blocking duty must be approved by then.
    """
    rows = fulfilment_list(partner=partner)
    missed = _missed_q(today=today, sent_on=_sent_on(partner.tenant))
    counts = rows.aggregate(done=Count("pk", filter=_done_q()), missed=Count("pk", filter=missed))
    overdue = list(rows.filter(missed).exclude(state=FulfilmentState.EXPIRED))
    return Compliance(done=counts["done"], due=counts["done"] + counts["missed"], overdue=overdue)


def _count_subquery(condition: Q) -> Coalesce:
    counted = (
        DutyFulfilment.objects.filter(condition, partner_id=OuterRef("pk"))
        .order_by()
        .values("partner_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def partners_with_compliance(queryset: QuerySet[Partner], *, tenants: list[Tenant]) -> QuerySet[Partner]:
    """``duties_done`` and ``duties_due`` on each partner (see ``compliance_for``), as two correlated
    subqueries: one query for the whole list, and no join that would multiply other apps' counts.

    ``tenants``: those the list may show (the superuser's spans them all); each fulfilment is judged on its
    own tenant's today and time zone, picked by a CASE on its tenant."""
    today = _per_tenant(tenants, lambda t: Value(t.today()), DateField())
    sent_on = _per_tenant(tenants, _sent_on, DateField())
    return queryset.annotate(
        duties_done=_count_subquery(_done_q()),
        duties_due=_count_subquery(_done_q() | _missed_q(today=today, sent_on=sent_on)),
    )


# --- hooks of the tiers engine and "Mon statut" --------------------------------------------------------


def promotion_holds(*, tenant, evaluation_date: dt.date) -> list[tuple[int, str]]:
    """(partner id, why) for each partner with a blocking duty undone (to do, refused, or submitted but not
    approved) whose due date is before ``evaluation_date``, or *expired* (a recurring period that ended
    unfulfilled) when that period ended inside the evaluation's window: a year's missed charter holds the
    promotion of that year's evaluation, not every one after. The earliest due one is the reason.

    One query over the (tenant, state, due_date) index joined to the small catalogue.
    """
    window = window_for(evaluation_date, tenant.evaluation_period_months)
    undone = Q(state__in=UNDONE_STATES) | Q(
        state=FulfilmentState.EXPIRED, period_end__gte=window.start, period_end__lte=window.end
    )
    rows = (
        DutyFulfilment.objects.filter(
            undone, tenant=tenant, due_date__lt=evaluation_date, duty__blocking=True
        )
        .order_by("partner_id", "due_date", "duty__position")
        .values_list("partner_id", "duty__code", "duty__title", "due_date")
    )
    # Read whole with a client-side cursor: a server-side one (iterator()) makes PostgreSQL plan for the
    # first rows rather than for all of them.
    template = _("%(code)s — %(title)s, due %(date)s")
    held, seen = [], set()
    for partner_id, code, title, due in rows:
        if partner_id not in seen:
            seen.add(partner_id)
            held.append(
                (partner_id, template % {"code": code.upper(), "title": title, "date": due.isoformat()})
            )
    return held


def tier_gap(*, partner: Partner, tier: Tier) -> list[str]:
    """What ``partner`` would still have to do at ``tier``: "2 trainings", "1 document"… (not yet done).

    Trainings are counted by the duty's ``count``: "3 webinars" is 3 trainings to attend, though one
    fulfilment proves the duty; the other categories count duties."""
    from .catalogue import cached_duty_rules  # the portal's page: the cached catalogue

    today = partner.tenant.today()
    duties = duties_for(rules=cached_duty_rules(tenant=partner.tenant), tier_id=tier.pk, partner=partner)
    done = set(
        DutyFulfilment.objects.filter(partner=partner, duty__in=duties, state__in=DONE_STATES).values_list(
            "duty_id", "period"
        )
    )
    missing: dict[str, int] = {}
    for duty in duties:
        if (duty.pk, duty.period_for(today)[0]) not in done:
            weight = duty.count if duty.category == Category.TRAINING else 1
            missing[duty.category] = missing.get(duty.category, 0) + weight
    phrases = {
        Category.TRAINING: lambda n: ngettext("%(count)d training", "%(count)d trainings", n),
        Category.DOCUMENT: lambda n: ngettext("%(count)d document", "%(count)d documents", n),
        Category.SALES: lambda n: ngettext("%(count)d sales duty", "%(count)d sales duties", n),
        Category.COMMUNICATION: lambda n: ngettext(
            "%(count)d communication duty", "%(count)d communication duties", n
        ),
    }
    return [phrases[c](missing[c]) % {"count": missing[c]} for c in Category.values if c in missing]


def entitlements_duties(*, partner: Partner, as_of: dt.date) -> list[dict]:
    """The ``duties`` section of ``manage.py entitlements``: the duties of the partner's tier on ``as_of``,
    each with the state and due date of its fulfilment for the period containing ``as_of`` (``todo`` and
    null when none has been opened yet)."""
    tier = tier_on(partner=partner, day=as_of)
    duties = duties_for(
        rules=duty_rules(tenant=partner.tenant), tier_id=tier.pk if tier else None, partner=partner
    )
    rows = {
        (f.duty_id, f.period): f
        for f in DutyFulfilment.objects.filter(partner=partner, duty__in=duties).only(
            "duty_id", "period", "due_date", "state"
        )
    }
    result = []
    for duty in duties:
        found = rows.get((duty.pk, duty.period_for(as_of)[0]))
        result.append(
            {
                "code": duty.code,
                "title": duty.title,
                "category": duty.category,
                "profile": duty.profile or None,
                "product_line": duty.product_line or None,
                "format": duty.format or None,
                "count": duty.count if duty.category == Category.TRAINING else None,
                "recurrence": duty.recurrence,
                "blocking": duty.blocking,
                "due": found.due_date.isoformat() if found else None,
                "state": found.state if found else FulfilmentState.TO_DO.value,
            }
        )
    return result


# --- plan and forecasts ---------------------------------------------------------------------------------


def plan_get(*, partner: Partner, year: int) -> DevelopmentPlan | None:
    return DevelopmentPlan.objects.filter(partner=partner, year=year).first()


def plan_objectives(*, partner: Partner, year: int) -> dict[tuple[int, str], Decimal]:
    return {
        (q, line): amount
        for q, line, amount in PlanObjective.objects.filter(
            plan__partner=partner, plan__year=year
        ).values_list("quarter", "product_line", "amount")
    }


def forecast_amounts(*, partner: Partner, year: int) -> dict[tuple[int, str], Decimal]:
    return {
        ((start.month - 1) // 3 + 1, line): amount
        for start, line, amount in SalesForecast.objects.filter(
            partner=partner, quarter_start__year=year
        ).values_list("quarter_start", "product_line", "amount")
    }


@dataclass
class QuarterFigures:
    quarter: int
    start: dt.date
    objective: Decimal | None
    forecast: Decimal | None
    actual: Decimal | None  # None for a quarter that has not started
    # Per product line, for the forecasts' table and form (read with the totals, not again).
    objectives: dict[str, Decimal] = field(default_factory=dict)
    forecasts: dict[str, Decimal] = field(default_factory=dict)


def plan_quarters(
    *, partner: Partner, year: int, today: dt.date, objectives: dict[tuple[int, str], Decimal] | None = None
) -> list[QuarterFigures]:
    """Objective, forecast and actual per quarter of ``year``, all product lines together.

    The revenue ledger has no product line, so the actual is the partner's qualifying revenue (the
    grading policy's categories) over the quarter's three months, compared with the totals of objectives
    and forecasts. Three queries (two when the caller already read ``objectives``).
    """
    if objectives is None:
        objectives = plan_objectives(partner=partner, year=year)
    forecasts = forecast_amounts(partner=partner, year=year)
    categories = qualifying_categories_cached(partner.tenant)  # the portal's page: the cached catalogue
    by_month = dict(
        RevenueEntry.objects.filter(partner=partner, month__year=year, category__in=categories)
        .values("month")
        .annotate(total=Sum("amount"))
        .values_list("month", "total")
    )
    figures = []
    for q in range(1, 5):
        start = dt.date(year, 3 * q - 2, 1)

        def total(values: dict, q=q) -> Decimal | None:
            found = [amount for (quarter, _line), amount in values.items() if quarter == q]
            return sum(found, Decimal("0")) if found else None

        actual = None
        if start <= today:
            actual = sum(
                (amount for month, amount in by_month.items() if quarter_start(month) == start), Decimal("0")
            )
        figures.append(
            QuarterFigures(
                q,
                start,
                total(objectives),
                total(forecasts),
                actual,
                objectives={line: amount for (quarter, line), amount in objectives.items() if quarter == q},
                forecasts={line: amount for (quarter, line), amount in forecasts.items() if quarter == q},
            )
        )
    return figures
