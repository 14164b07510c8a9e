"""Reads of the tiers app (tiers/selectors.py): what *Mon statut* is made of."""

import datetime as dt
from decimal import Decimal

from partnerportal.tenancy import tenant_scope
from tests.tiers.factories import GradingPolicyFactory, add_revenue
from tests.tiers.helpers import JANUARY_2026, JULY_2026, evaluate
from tiers.selectors import assessment_list, monthly_revenue, partner_status

TODAY = dt.date(2026, 11, 23)  # rolling window: May–October 2026


def test_partner_status_projects_the_tier_over_the_rolling_window(dstny):
    partner = dstny.partner()
    add_revenue(partner, "600")  # January–June: Access at 1 July
    add_revenue(partner, "1200", start=dt.date(2026, 7, 1), months=4)  # July–October
    evaluate(dstny.tenant)

    with tenant_scope(dstny.tenant):
        status = partner_status(partner=partner, today=TODAY)

    assert (status.window.start, status.window.end) == (dt.date(2026, 5, 1), dt.date(2026, 10, 31))
    assert status.revenue == Decimal("600") * 2 + Decimal("1200") * 4
    assert status.basis == Decimal("1000.00")
    assert (status.tier.code, status.since, status.projected_tier.code) == ("access", JULY_2026, "business")
    # The next tier is the one above the current tier; today's basis already clears it.
    assert (status.next_tier.code, status.next_threshold) == ("business", Decimal("1000"))
    assert status.gap == Decimal("0.00")
    assert status.next_evaluation == dt.date(2027, 1, 1)
    assert [t.tier.code for t in status.thresholds] == ["starter", "access", "business", "premium"]


def test_partner_status_follows_the_grading_policy(dstny):
    GradingPolicyFactory(tenant=dstny.tenant, qualifying_categories=["recurring", "usage"])
    partner = dstny.partner()
    add_revenue(partner, "300", start=dt.date(2026, 5, 1))
    add_revenue(partner, "300", start=dt.date(2026, 5, 1), category="usage")
    add_revenue(partner, "9000", start=dt.date(2026, 5, 1), category="access_fees")

    with tenant_scope(dstny.tenant):
        status = partner_status(partner=partner, today=TODAY)

    assert status.basis == Decimal("600.00")
    assert status.projected_tier.code == "access"


def test_monthly_revenue_gives_every_month_oldest_first_with_zeros(dstny):
    partner = dstny.partner()
    add_revenue(partner, "100", start=dt.date(2026, 9, 1), months=3)  # September–November
    add_revenue(partner, "999", start=dt.date(2026, 9, 1), months=1, category="usage")

    with tenant_scope(dstny.tenant):
        months = monthly_revenue(partner=partner, categories=["recurring"], months=24, today=TODAY)

    assert len(months) == 24
    assert months[0] == (dt.date(2024, 11, 1), Decimal("0"))
    assert months[-2:] == [(dt.date(2026, 9, 1), Decimal("100")), (dt.date(2026, 10, 1), Decimal("100"))]


def test_assessment_list_is_the_partners_own_history_newest_first(dstny):
    partner, other = dstny.partner(), dstny.partner()
    for day in (JANUARY_2026, JULY_2026):
        evaluate(dstny.tenant, day)

    with tenant_scope(dstny.tenant):
        history = list(assessment_list(partner=partner))

    assert [(a.partner_id, a.evaluation_date) for a in history] == [
        (partner.pk, JULY_2026),
        (partner.pk, JANUARY_2026),
    ]
    assert other.pk not in {a.partner_id for a in history}
