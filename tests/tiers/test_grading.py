"""The grading rule of the re-grading engine (tiers/grading.py, its module docstring; README "The grading
rule"). How a run behaves (idempotent, locked, resumable, set-based) is in test_grading_runs.py.

Every test grades at 1 July 2026 (window January–June 2026) unless it says otherwise; partners of
``dstny.partner()`` joined in January 2024, so the whole window counts.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import F
from django_scopes import scopes_disabled

from partnerportal.models import Partner
from tests.tiers.factories import GradingPolicyFactory, TierPinFactory, add_revenue
from tests.tiers.helpers import (
    JANUARY_2026,
    JULY_2026,
    assessment_of,
    evaluate,
    tier_of,
)
from tiers.models import Assessment, Tier

# --- the rule: thresholds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "monthly", "tier"),
    [
        ("ambassador", "0.00", "starter"),
        ("ambassador", "499.99", "starter"),
        ("ambassador", "500.00", "access"),
        ("ambassador", "999.99", "access"),
        ("ambassador", "1000.00", "business"),
        ("ambassador", "9999.99", "business"),
        ("ambassador", "10000.00", "premium"),
        ("operator", "999.99", "starter"),
        ("operator", "1000.00", "access"),
        ("operator", "1999.99", "access"),
        ("operator", "2000.00", "business"),
        ("operator", "19999.99", "business"),
        ("operator", "20000.00", "premium"),
    ],
)
def test_a_threshold_is_an_inclusive_lower_bound(dstny, kind, monthly, tier):
    partner = dstny.partner(kind)
    add_revenue(partner, monthly)

    evaluate(dstny.tenant)

    assessment = assessment_of(partner)
    assert assessment.applied_tier == dstny.tiers[tier]
    assert assessment.computed_tier == dstny.tiers[tier]
    assert assessment.reason == Assessment.Reason.COMPUTED
    assert (assessment.months_counted, assessment.basis) == (6, Decimal(monthly))
    assert assessment.revenue == Decimal(monthly) * 6
    assert tier_of(partner) == dstny.tiers[tier]


def test_the_comparison_is_exact_and_the_rounded_basis_decides_nothing(dstny):
    """2 999.99 € over 6 months is 499.998… €: shown as 500.00, but below the Access threshold."""
    partner = dstny.partner()
    add_revenue(partner, "499.99", months=5)
    add_revenue(partner, "500.04", start=dt.date(2026, 6, 1), months=1)

    evaluate(dstny.tenant)

    assessment = assessment_of(partner)
    assert assessment.revenue == Decimal("2999.99")
    assert assessment.basis == Decimal("500.00")
    assert assessment.applied_tier == dstny.tiers["starter"]


def test_revenue_outside_the_window_does_not_count(dstny):
    partner = dstny.partner()
    add_revenue(partner, "5000", start=dt.date(2025, 12, 1), months=1)  # before January
    add_revenue(partner, "5000", start=dt.date(2026, 7, 1), months=1)  # the evaluation month itself
    add_revenue(partner, "600")

    evaluate(dstny.tenant)

    assert assessment_of(partner).revenue == Decimal("3600.00")
    assert assessment_of(partner).applied_tier == dstny.tiers["access"]


# --- the rule: which revenue counts ------------------------------------------------------------------


def _revenue_with_fees_and_usage(partner):
    add_revenue(partner, "400")  # recurring
    add_revenue(partner, "200", category="access_fees")
    add_revenue(partner, "300", category="usage")


def test_only_recurring_revenue_counts_by_default(dstny):
    partner = dstny.partner()
    _revenue_with_fees_and_usage(partner)
    fees_only = dstny.partner()
    add_revenue(fees_only, "5000", category="access_fees")
    add_revenue(fees_only, "5000", category="usage")

    evaluate(dstny.tenant)

    assessment = assessment_of(partner)
    assert (assessment.revenue, assessment.basis) == (Decimal("2400.00"), Decimal("400.00"))
    assert assessment.applied_tier == dstny.tiers["starter"]
    # Access fees and minutes are not qualifying revenue at all: "no data", not a computed Starter.
    assert assessment_of(fees_only).reason == Assessment.Reason.NO_DATA
    assert assessment_of(fees_only).applied_tier == dstny.tiers["starter"]


def test_the_grading_policy_chooses_the_qualifying_categories(dstny):
    GradingPolicyFactory(tenant=dstny.tenant, qualifying_categories=["recurring", "access_fees"])
    partner = dstny.partner()
    _revenue_with_fees_and_usage(partner)

    evaluate(dstny.tenant)

    assessment = assessment_of(partner)
    assert assessment.basis == Decimal("600.00")
    assert assessment.applied_tier == dstny.tiers["access"]


# --- the rule: partial windows -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("joined", "months"),
    [
        (dt.date(2025, 12, 31), 6),
        (dt.date(2026, 1, 1), 6),
        (dt.date(2026, 5, 1), 2),
        (dt.date(2026, 5, 31), 2),  # the month of joining counts, however late in the month
        (dt.date(2026, 6, 30), 1),
    ],
)
def test_a_partner_that_joined_in_the_window_is_averaged_over_its_months(dstny, joined, months):
    partner = dstny.partner(joined=joined)
    add_revenue(partner, "1200", start=dt.date(2026, 7 - months, 1), months=months)

    evaluate(dstny.tenant)

    assessment = assessment_of(partner)
    assert (assessment.months_counted, assessment.basis) == (months, Decimal("1200.00"))
    assert assessment.applied_tier == dstny.tiers["business"]


def test_a_partner_that_joined_two_months_before_is_not_averaged_over_six(dstny):
    """Joined in May, 500 € in May and June: Access on 2 months (it would be Starter on 6)."""
    partner = dstny.partner(joined=dt.date(2026, 5, 12))
    add_revenue(partner, "500", start=dt.date(2026, 5, 1), months=2)

    evaluate(dstny.tenant)

    assert assessment_of(partner).basis == Decimal("500.00")
    assert assessment_of(partner).applied_tier == dstny.tiers["access"]


@pytest.mark.parametrize("joined", [JULY_2026, dt.date(2026, 7, 2), dt.date(2026, 9, 1)])
def test_a_partner_that_joined_on_or_after_the_date_is_not_assessed(dstny, joined):
    partner = dstny.partner(joined=joined)
    add_revenue(partner, "800")

    result = evaluate(dstny.tenant)

    assert result.partners == 0
    with scopes_disabled():
        assert not Assessment.objects.filter(partner=partner).exists()
    assert tier_of(partner) is None


def test_applicants_and_terminated_partners_are_not_graded(dstny):
    graded = {
        status: dstny.partner(status=status) for status in (Partner.Status.ACTIVE, Partner.Status.SUSPENDED)
    }
    ignored = [
        dstny.partner(status=status) for status in (Partner.Status.APPLICANT, Partner.Status.TERMINATED)
    ]

    result = evaluate(dstny.tenant)

    assert result.partners == 2
    with scopes_disabled():
        assert set(Assessment.objects.values_list("partner_id", flat=True)) == {p.pk for p in graded.values()}
    assert all(tier_of(partner) is None for partner in ignored)


def test_no_revenue_gives_the_lowest_tier_with_reason_no_data(dstny):
    partner = dstny.partner("operator")

    evaluate(dstny.tenant)

    assessment = assessment_of(partner)
    assert assessment.applied_tier == assessment.computed_tier == dstny.tiers["starter"]
    assert assessment.reason == Assessment.Reason.NO_DATA
    assert (assessment.revenue, assessment.basis, assessment.months_counted) == (
        Decimal("0"),
        Decimal("0"),
        6,
    )
    # Never assessed before counts as the lowest tier: Starter to Starter is no movement.
    assert (assessment.previous_tier, assessment.movement) == (None, Assessment.Movement.SAME)


def test_a_first_assessment_above_the_lowest_tier_is_a_move_up(dstny):
    partner = dstny.partner()
    add_revenue(partner, "1500")

    result = evaluate(dstny.tenant)

    assert assessment_of(partner).movement == Assessment.Movement.UP
    assert result.counts["up"] == 1


# --- the rule: pins ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ends_on", [JULY_2026, dt.date(2026, 12, 31)])
def test_a_pin_that_ends_on_or_after_the_date_keeps_its_tier(dstny, ends_on):
    partner = dstny.partner()  # no revenue: would be Starter
    TierPinFactory(partner=partner, tier=dstny.tiers["business"], ends_on=ends_on)

    result = evaluate(dstny.tenant)

    assessment = assessment_of(partner)
    assert assessment.applied_tier == dstny.tiers["business"]
    assert assessment.computed_tier == dstny.tiers["starter"]
    assert (assessment.movement, assessment.reason) == ("pinned", "pinned")
    assert tier_of(partner) == dstny.tiers["business"]
    assert result.counts == {"up": 0, "down": 0, "same": 0, "pinned": 1, "held": 0}


def test_an_expired_pin_does_nothing(dstny):
    partner = dstny.partner()
    add_revenue(partner, "600")
    TierPinFactory(partner=partner, tier=dstny.tiers["premium"], ends_on=dt.date(2026, 6, 30))

    evaluate(dstny.tenant)

    assessment = assessment_of(partner)
    assert assessment.applied_tier == dstny.tiers["access"]
    assert (assessment.movement, assessment.reason) == ("up", "computed")


def test_a_pin_holds_only_its_own_partner(dstny):
    pinned, other = dstny.partner(), dstny.partner()
    TierPinFactory(partner=pinned, tier=dstny.tiers["premium"], ends_on=dt.date(2026, 12, 31))

    evaluate(dstny.tenant)

    assert assessment_of(pinned).applied_tier == dstny.tiers["premium"]
    assert assessment_of(other).applied_tier == dstny.tiers["starter"]
    assert assessment_of(other).reason == Assessment.Reason.NO_DATA


# --- the rule: the demotion limit ----------------------------------------------------------------------


def _premium_in_january(dstny):
    partner = dstny.partner()
    add_revenue(partner, "10000", start=dt.date(2025, 7, 1))  # window of 1 January 2026
    evaluate(dstny.tenant, JANUARY_2026)
    assert tier_of(partner) == dstny.tiers["premium"]
    return partner


def test_the_demotion_limit_takes_away_one_tier_at_a_time(dstny):
    GradingPolicyFactory(tenant=dstny.tenant, max_demotion_steps=1)
    partner = _premium_in_january(dstny)  # and no revenue from January

    evaluate(dstny.tenant)

    assessment = assessment_of(partner)
    assert assessment.previous_tier == dstny.tiers["premium"]
    assert assessment.computed_tier == dstny.tiers["starter"]
    assert assessment.applied_tier == dstny.tiers["business"]
    assert assessment.movement == Assessment.Movement.DOWN
    assert tier_of(partner) == dstny.tiers["business"]


def test_without_a_demotion_limit_a_partner_falls_to_its_computed_tier(dstny):
    partner = _premium_in_january(dstny)

    evaluate(dstny.tenant)

    assert assessment_of(partner).applied_tier == dstny.tiers["starter"]
    assert tier_of(partner) == dstny.tiers["starter"]


def test_the_demotion_limit_counts_tiers_not_rank_numbers(dstny):
    """Ranks only order the tiers (10, 20, 30, 40 is a valid ladder): one step is one tier down."""
    with scopes_disabled():
        Tier.objects.filter(tenant=dstny.tenant).update(rank=F("rank") * 10)
    GradingPolicyFactory(tenant=dstny.tenant, max_demotion_steps=1)
    partner = _premium_in_january(dstny)

    evaluate(dstny.tenant)

    assert assessment_of(partner).applied_tier == dstny.tiers["business"]
    assert assessment_of(partner).movement == Assessment.Movement.DOWN


def test_the_demotion_limit_does_not_hold_back_promotions(dstny):
    GradingPolicyFactory(tenant=dstny.tenant, max_demotion_steps=1)
    partner = dstny.partner()
    add_revenue(partner, "10000")

    evaluate(dstny.tenant)

    assert assessment_of(partner).applied_tier == dstny.tiers["premium"]
