"""The grace period (GradingPolicy.grace_evaluations; grading.py): a partner that falls below its tier keeps
it for the next evaluations, flagged at risk, and the fall after that demotes it.

Evaluations: 1 January 2026 (window July–December 2025), 1 July 2026 (January–June 2026), 1 January 2027
(July–December 2026) and 1 July 2027 (January–June 2027).
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from partnerportal.tenancy import tenant_scope
from tests.tiers.factories import GradingPolicyFactory, TierPinFactory, add_revenue
from tests.tiers.helpers import JANUARY_2026, JANUARY_2027, JULY_2026, assessment_of, evaluate, tier_of
from tiers import selectors
from tiers.models import Assessment, Evaluation, GradingPolicy, PartnerTier

JULY_2027 = dt.date(2027, 7, 1)
H2_2025, H1_2026, H2_2026, H1_2027 = (
    dt.date(2025, 7, 1),
    dt.date(2026, 1, 1),
    dt.date(2026, 7, 1),
    dt.date(2027, 1, 1),
)


def at_risk(programme, partner) -> bool:
    with tenant_scope(programme.tenant):
        return selectors.partner_at_risk(partner=partner)


@pytest.fixture
def business(dstny):
    """A Business ambassador (1 200 € a month in the second half of 2025), graded on 1 January 2026, with a
    grace period of one evaluation."""
    GradingPolicyFactory(tenant=dstny.tenant, grace_evaluations=1)
    partner = dstny.partner()
    add_revenue(partner, "1200", start=H2_2025)
    evaluate(dstny.tenant, JANUARY_2026)
    assert tier_of(partner) == dstny.tiers["business"]
    return partner


def test_a_first_fall_keeps_the_tier_and_puts_the_partner_at_risk(dstny, business):
    add_revenue(business, "600", start=H1_2026)  # Access level

    result = evaluate(dstny.tenant, JULY_2026)

    assessment = assessment_of(business, JULY_2026)
    assert assessment.reason == Assessment.Reason.GRACE
    assert assessment.movement == Assessment.Movement.SAME
    assert (assessment.computed_tier, assessment.applied_tier) == (
        dstny.tiers["access"],
        dstny.tiers["business"],
    )
    assert tier_of(business) == dstny.tiers["business"]
    assert at_risk(dstny, business)
    assert result.counts["down"] == 0 and result.counts["same"] == 1
    with tenant_scope(dstny.tenant):
        assert list(selectors.partner_list_at_risk(tenant=dstny.tenant)) == [business]
        flagged = selectors.partners_with_at_risk(selectors.Partner.objects.filter(tenant=dstny.tenant))
        assert [(p.pk, p.at_risk) for p in flagged] == [(business.pk, True)]


def test_a_second_fall_in_a_row_demotes(dstny, business):
    add_revenue(business, "600", start=H1_2026)
    add_revenue(business, "600", start=H2_2026)
    evaluate(dstny.tenant, JULY_2026)

    evaluate(dstny.tenant, JANUARY_2027)

    assessment = assessment_of(business, JANUARY_2027)
    assert (assessment.reason, assessment.movement) == (Assessment.Reason.COMPUTED, Assessment.Movement.DOWN)
    assert tier_of(business) == dstny.tiers["access"]
    assert not at_risk(dstny, business)


def test_recovering_clears_the_risk_and_the_next_fall_is_a_first_one_again(dstny, business):
    add_revenue(business, "600", start=H1_2026)  # falls: grace
    add_revenue(business, "1500", start=H2_2026)  # back above Business
    add_revenue(business, "600", start=H1_2027)  # falls again: a new grace, not a demotion
    evaluate(dstny.tenant, JULY_2026)

    evaluate(dstny.tenant, JANUARY_2027)

    assert assessment_of(business, JANUARY_2027).reason == Assessment.Reason.COMPUTED
    assert not at_risk(dstny, business)

    evaluate(dstny.tenant, JULY_2027)

    assert assessment_of(business, JULY_2027).reason == Assessment.Reason.GRACE
    assert tier_of(business) == dstny.tiers["business"] and at_risk(dstny, business)


def test_without_a_grace_period_a_fall_demotes_at_once(dstny):
    partner = dstny.partner()
    add_revenue(partner, "1200", start=H2_2025)
    add_revenue(partner, "600", start=H1_2026)
    evaluate(dstny.tenant, JANUARY_2026)

    evaluate(dstny.tenant, JULY_2026)

    assert assessment_of(partner, JULY_2026).movement == Assessment.Movement.DOWN
    assert tier_of(partner) == dstny.tiers["access"] and not at_risk(dstny, partner)


def test_a_partner_without_revenue_gets_the_grace_too(dstny, business):
    evaluate(dstny.tenant, JULY_2026)  # nothing in the first half of 2026

    assert assessment_of(business, JULY_2026).reason == Assessment.Reason.GRACE
    assert tier_of(business) == dstny.tiers["business"]


def test_a_pin_wins_over_the_grace(dstny, business):
    add_revenue(business, "600", start=H1_2026)
    TierPinFactory(partner=business, tier=dstny.tiers["starter"], ends_on=dt.date(2026, 12, 31))

    evaluate(dstny.tenant, JULY_2026)

    assert assessment_of(business, JULY_2026).reason == Assessment.Reason.PINNED
    assert tier_of(business) == dstny.tiers["starter"] and not at_risk(dstny, business)


def test_a_grace_period_of_two_evaluations_demotes_at_the_third_fall(dstny, business):
    with scopes_disabled():
        GradingPolicy.objects.filter(tenant=dstny.tenant).update(grace_evaluations=2)
    for start in (H1_2026, H2_2026, H1_2027):
        add_revenue(business, "600", start=start)

    evaluate(dstny.tenant, JULY_2026)
    evaluate(dstny.tenant, JANUARY_2027)

    assert assessment_of(business, JANUARY_2027).reason == Assessment.Reason.GRACE
    assert tier_of(business) == dstny.tiers["business"]

    evaluate(dstny.tenant, JULY_2027)

    assert assessment_of(business, JULY_2027).movement == Assessment.Movement.DOWN
    assert tier_of(business) == dstny.tiers["access"]


def test_the_preview_shows_who_would_be_kept_by_grace(dstny, business, time_machine):
    add_revenue(business, "600", start=dt.date(2026, 5, 1))
    time_machine.move_to(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False)

    with tenant_scope(dstny.tenant):
        preview = selectors.evaluation_preview(tenant=dstny.tenant)

    assert [(row.partner_id, row.reason) for row in preview.movers] == [(business.pk, "grace")]
    with scopes_disabled():
        assert not Evaluation.objects.filter(evaluation_date__gt=JANUARY_2026).exists()


@pytest.mark.parametrize("grace", [1, 2])
def test_the_queries_of_a_run_with_grace_do_not_grow_with_the_partners(dstny, grace):
    """Every partner falls and is kept by grace: the queries of two chunks are the same for 4 partners as
    for 40 (the partners kept by grace are read per chunk, not per partner)."""
    GradingPolicyFactory(tenant=dstny.tenant, grace_evaluations=grace)
    counts = []
    for size, start in ((2, 0), (20, 2)):
        partners = [dstny.partner(external_ref=f"G{start + i:03d}") for i in range(size * 2)]
        for partner in partners:
            add_revenue(partner, "1200", start=H2_2025)
        with scopes_disabled():
            Evaluation.objects.all().delete()
            Assessment.objects.all().delete()
            PartnerTier.objects.all().delete()
        evaluate(dstny.tenant, JANUARY_2026, chunk_size=size)
        for partner in partners:
            add_revenue(partner, "600", start=H1_2026)
        with CaptureQueriesContext(connection) as queries:
            result = evaluate(dstny.tenant, JULY_2026, chunk_size=size)
        assert result.counts["same"] == result.partners  # everyone kept by grace
        counts.append(len(queries))
        with scopes_disabled():
            for partner in partners:
                partner.delete()
    assert counts[0] == counts[1]
