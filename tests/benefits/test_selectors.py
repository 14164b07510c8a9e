"""What a partner has on a day (benefits/selectors.py): cumulative tiers, replacements, types, claims left."""

import datetime as dt

from django_scopes import scope

from benefits import selectors
from benefits.models import Claim
from tests.partnerportal.factories import PartnerFactory

from .factories import BenefitFactory, ClaimFactory, assess

AUG_15 = dt.date(2026, 8, 15)


def codes(partner, day=AUG_15):
    with scope(tenant=partner.tenant_id):
        return {e.benefit.code for e in selectors.entitlement_overview(partner=partner, day=day).entitlements}


def entitlement(partner, code, day=AUG_15):
    with scope(tenant=partner.tenant_id):
        overview = selectors.entitlement_overview(partner=partner, day=day)
    return next(e for e in overview.entitlements if e.benefit.code == code)


def test_a_partner_never_assessed_has_the_entry_tier_benefits(world, cat):
    assert codes(world.a.partner) == {"wiki"}


def test_tiers_are_cumulative(world, cat):
    assess(world.a.partner, cat.tiers["access"], dt.date(2026, 7, 1))

    assert codes(world.a.partner) == {"wiki", "bizbooster-150"}


def test_a_higher_benefit_replaces_the_lower_one(world, cat):
    assess(world.a.partner, cat.tiers["premium"], dt.date(2026, 7, 1))

    assert codes(world.a.partner) == {"wiki", "bizbooster-500", "training"}


def test_benefits_differ_by_partner_type(world, cat):
    operator = PartnerFactory(
        tenant=world.a.tenant, partner_type=world.a.operator_type, date_joined=dt.date(2024, 1, 15)
    )
    assess(operator, cat.tiers["business"], dt.date(2026, 7, 1))
    assess(world.a.partner, cat.tiers["business"], dt.date(2026, 7, 1))

    assert codes(operator) == {"wiki", "bizbooster-150", "sip-volume"}
    assert codes(world.a.partner) == {"wiki", "bizbooster-150"}


def test_inactive_benefits_and_other_tenants_catalogues_are_not_shown(world, catalogues):
    BenefitFactory(
        tenant=world.a.tenant, code="old", from_tier=catalogues["a"].tiers["starter"], is_active=False
    )

    assert codes(world.a.partner) == {"wiki"}
    assert codes(world.b.partner) == {"wiki"}  # B has its own wiki, not A's


def test_the_tier_is_read_on_the_day_asked(world, cat):
    assess(world.a.partner, cat.tiers["access"], dt.date(2026, 1, 1))
    assess(world.a.partner, cat.tiers["premium"], dt.date(2026, 7, 1))

    assert codes(world.a.partner, dt.date(2026, 3, 1)) == {"wiki", "bizbooster-150"}
    assert codes(world.a.partner, dt.date(2025, 12, 31)) == {"wiki"}


def test_a_claimable_is_valid_for_its_months_after_reaching_the_tier(world, cat):
    assess(world.a.partner, cat.tiers["access"], dt.date(2026, 7, 1))

    during = entitlement(world.a.partner, "bizbooster-150", dt.date(2026, 9, 30))
    after = entitlement(world.a.partner, "bizbooster-150", dt.date(2026, 10, 1))

    assert (during.valid_until, during.remaining, during.can_claim) == (dt.date(2026, 9, 30), 1, True)
    assert (after.expired, after.remaining, after.can_claim) == (True, 0, False)


def test_staying_above_the_tier_keeps_the_date_it_was_reached(world, cat):
    assess(world.a.partner, cat.tiers["access"], dt.date(2026, 1, 1))
    assess(world.a.partner, cat.tiers["business"], dt.date(2026, 7, 1))

    bizbooster = entitlement(world.a.partner, "bizbooster-150")

    assert bizbooster.reached_on == dt.date(2026, 1, 1)
    assert bizbooster.expired  # valid until 31 March 2026


def test_claims_that_count_use_up_the_period(world, cat):
    assess(world.a.partner, cat.tiers["premium"], dt.date(2026, 1, 1))
    for state in (Claim.State.REFUSED, Claim.State.CANCELLED):
        ClaimFactory(
            partner=world.a.partner,
            benefit=cat.training,
            state=state,
            refusal_reason="Full",
            period_start=dt.date(2026, 1, 1),
        )
    ClaimFactory(
        partner=world.a.partner, benefit=cat.training, state="fulfilled", period_start=dt.date(2025, 1, 1)
    )
    assert entitlement(world.a.partner, "training").remaining == 1

    ClaimFactory(partner=world.a.partner, benefit=cat.training, period_start=dt.date(2026, 1, 1))
    training = entitlement(world.a.partner, "training")

    assert training.period_start == dt.date(2026, 1, 1)
    assert (training.used, training.remaining) == (1, 0)
    assert entitlement(world.a.partner, "training", dt.date(2027, 1, 4)).remaining == 1


def test_another_partners_claims_do_not_count(world, cat):
    assess(world.a.partner, cat.tiers["premium"], dt.date(2026, 1, 1))
    ClaimFactory(partner=world.a.other_partner, benefit=cat.training, period_start=dt.date(2026, 1, 1))

    assert entitlement(world.a.partner, "training").remaining == 1


def test_the_comparison_shows_every_tier_for_the_partners_type(world, cat):
    with scope(tenant=world.a.tenant.pk):
        overview = selectors.entitlement_overview(partner=world.a.partner, day=AUG_15)
        rows = {b.code: cells for b, cells in overview.comparison()}

    assert [t.code for t in overview.standing.tiers] == ["starter", "access", "business", "premium"]
    assert overview.standing.next_tier.code == "access"
    assert set(rows) == {"wiki", "bizbooster-150", "bizbooster-500", "training"}  # no operator promotion
    assert rows["bizbooster-150"][3].replaced_by == cat.bizbooster_premium


def test_portal_pages_link_where_they_exist_and_are_coming_otherwise(world, cat):
    history = BenefitFactory(
        tenant=world.a.tenant, code="history", from_tier=cat.tiers["starter"], portal_page="tier_history"
    )
    diploma = BenefitFactory(
        tenant=world.a.tenant, code="diploma", from_tier=cat.tiers["starter"], portal_page="diploma"
    )

    found = {
        history.code: entitlement(world.a.partner, "history"),
        diploma.code: entitlement(world.a.partner, "diploma"),
    }

    assert (found["history"].link, found["history"].coming) == ("/status/", False)
    assert (found["diploma"].link, found["diploma"].coming) == (None, True)


def test_the_overview_costs_four_queries_whatever_the_catalogue(world, cat, django_assert_num_queries):
    assess(world.a.partner, cat.tiers["premium"], dt.date(2026, 1, 1))
    for n in range(10):
        BenefitFactory(
            tenant=world.a.tenant, from_tier=cat.tiers["access"], claimable=True, code=f"extra-{n}"
        )

    with scope(tenant=world.a.tenant.pk), django_assert_num_queries(4):
        selectors.entitlement_overview(partner=world.a.partner, day=AUG_15)
