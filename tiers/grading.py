"""The grading rule (README, "The grading rule"), in one place.

At an evaluation date D the window is the N complete calendar months before D (N = the tenant's evaluation
period, 6). A partner's basis is its qualifying revenue in the window divided by the months of the window
during which it was a member (the month it joined counts). Its tier is the highest tier whose threshold
for its partner type is ≤ the basis. The comparison is exact: ``revenue ≥ threshold × months``, so no
rounding decides a tier; the basis is rounded to the cent (half up) only to be stored and shown. No
qualifying revenue at all gives the lowest tier. A tenant may limit how many tiers one evaluation can take
away. A promotion is held back while the partner has an undone blocking duty past its due date (the
duties app says which, through ``tiers.hooks``): it keeps its tier. A tenant may grant a grace period of
G evaluations: a partner that falls below its tier keeps it (reason "grace", shown as at risk) unless the
G evaluations before were already grace, so with G = 1 a second fall in a row demotes; any evaluation
that is not a fall ends the streak. A pin whose end date is on or after D keeps its tier, whatever else.

The engine that applies the rule to a whole tenant is in engine.py; "Mon statut" applies it to one
partner (selectors.partner_status).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from partnerportal.models import Partner, Tenant

from .calendar import Window, months_between
from .models import Assessment, GradingPolicy, Threshold, Tier

CENT = Decimal("0.01")
# Partners in the programme at the evaluation; applicants have not joined, terminated ones have left.
GRADED_STATUSES = (Partner.Status.ACTIVE, Partner.Status.SUSPENDED)


class RegradeError(Exception):
    """A run that cannot start; the message is for the person who asked for it."""


def months_counted(date_joined: dt.date, window: Window) -> int:
    """The months of the window during which the partner was a member (the month it joined counts)."""
    return max(1, min(window.months, months_between(date_joined, window.evaluation_date)))


def monthly_basis(revenue: Decimal, months: int) -> Decimal:
    """The basis as stored and shown: the monthly average, rounded to the cent once, here."""
    return (revenue / months).quantize(CENT, ROUND_HALF_UP)


@dataclass(slots=True)
class Row:
    """One partner's result, for reports and previews."""

    partner_id: int
    partner_ref: str
    partner_name: str
    partner_type: str
    months: int
    revenue: Decimal
    basis: Decimal
    previous_tier: Tier | None
    computed_tier: Tier
    applied_tier: Tier
    reason: str
    movement: str
    note: str = ""  # why a promotion was held back
    # The applied tier differs from the one the partner had (the entry tier if never assessed).
    changed: bool = False


DEFAULT_QUALIFYING_CATEGORIES = ["recurring"]  # the seeds: recurring revenue, no access fees or minutes


def policy_categories(policy: GradingPolicy | None) -> list[str]:
    """The ledger categories that count towards the basis (and any other revenue the programme compares)."""
    return policy.qualifying_categories if policy else list(DEFAULT_QUALIFYING_CATEGORIES)


def qualifying_categories(*, tenant: Tenant) -> list[str]:
    return policy_categories(GradingPolicy.objects.filter(tenant=tenant).first())


class Grader:
    """Everything a tenant's grading needs that does not depend on the partner, loaded once."""

    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        policy = GradingPolicy.objects.filter(tenant=tenant).first()
        self.categories = policy_categories(policy)
        self.max_demotion = policy.max_demotion_steps if policy else None
        self.grace = policy.grace_evaluations if policy else 0
        # Review mode: the evaluation is stored as a proposal for a manager to approve (engine.regrade).
        self.review = policy.evaluation_review if policy else False
        self.tiers = {t.pk: t for t in Tier.objects.filter(tenant=tenant).order_by("rank")}
        if not self.tiers:
            raise RegradeError(
                _("The programme %(tenant)s has no tiers: add them in the back-office first.")
                % {"tenant": tenant.slug}
            )
        self.ladder = sorted(self.tiers.values(), key=lambda t: t.rank)
        self.position = {tier.pk: index for index, tier in enumerate(self.ladder)}
        self.lowest = self.ladder[0]
        self.thresholds: dict[int, list[tuple[Decimal, Tier]]] = {}
        self._bars: dict[tuple[int, int], list[tuple[Decimal, Tier]]] = {}
        for threshold in Threshold.objects.filter(tenant=tenant).order_by("-minimum_monthly"):
            self.thresholds.setdefault(threshold.partner_type_id, []).append(
                (threshold.minimum_monthly, self.tiers[threshold.tier_id])
            )

    def computed_tier(self, partner_type_id: int, revenue: Decimal, months: int) -> Tier:
        # Highest threshold first; the comparison is exact (no rounded average decides a tier).
        key = (partner_type_id, months)
        bars = self._bars.get(key)
        if bars is None:  # threshold × months, computed once per type and month count, not per partner
            bars = self._bars[key] = [
                (minimum * months, tier) for minimum, tier in self.thresholds.get(partner_type_id, [])
            ]
        for bar, tier in bars:
            if revenue >= bar:
                return tier
        return self.lowest

    def grade(
        self, *, partner_type_id, revenue, months, previous_tier_id, pin_tier_id, held=False, grace_streak=0
    ):
        """(computed tier, applied tier, reason, movement) for one partner; ``held``: its promotion is
        held back (an undone blocking duty); ``grace_streak``: how many evaluations in a row it has
        already been kept at its tier by the grace period."""
        previous = self.tiers.get(previous_tier_id) if previous_tier_id else None
        if revenue is None:
            computed, reason = self.lowest, Assessment.Reason.NO_DATA
            revenue = Decimal("0")
        else:
            computed, reason = (
                self.computed_tier(partner_type_id, revenue, months),
                Assessment.Reason.COMPUTED,
            )
        applied = computed
        baseline = previous or self.lowest  # a partner never assessed is at the entry tier
        if self.max_demotion is not None:
            # Counted in tiers of the ladder, whatever numbers the ranks use.
            floor = self.position[baseline.pk] - self.max_demotion
            if self.position[applied.pk] < floor:
                applied = self.ladder[floor]
        if pin_tier_id:
            applied, reason = self.tiers[pin_tier_id], Assessment.Reason.PINNED
            movement = Assessment.Movement.PINNED
        elif held and applied.rank > baseline.rank:
            applied, reason, movement = baseline, Assessment.Reason.HELD, Assessment.Movement.HELD
        elif applied.rank > baseline.rank:
            movement = Assessment.Movement.UP
        elif applied.rank < baseline.rank:
            if grace_streak < self.grace:
                applied, reason, movement = baseline, Assessment.Reason.GRACE, Assessment.Movement.SAME
            else:
                movement = Assessment.Movement.DOWN
        else:
            movement = Assessment.Movement.SAME
        return computed, applied, reason, movement


def assessment_row(a: Assessment) -> Row:
    """A stored assessment as a row of the report (with partner, its type and the tiers selected)."""
    return Row(
        partner_id=a.partner_id,
        partner_ref=a.partner.external_ref,
        partner_name=a.partner.legal_name,
        partner_type=a.partner.partner_type.name,
        months=a.months_counted,
        revenue=a.revenue,
        basis=a.basis,
        previous_tier=a.previous_tier,
        computed_tier=a.computed_tier,
        applied_tier=a.applied_tier,
        reason=a.reason,
        movement=a.movement,
        note=a.note,
    )
