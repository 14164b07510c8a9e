"""The portal's cached catalogues (tiers/catalogue.py, obligations/catalogue.py): read once, dropped on any
change, so a manager's edit shows on the next page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from obligations.catalogue import cached_duty_rules
from partnerportal.tenancy import tenant_scope
from tests.obligations.factories import DutyFactory
from tests.tiers.factories import TierFactory
from tiers.catalogue import catalogue_for
from tiers.grading import RegradeError
from tiers.models import GradingPolicy, RevenueEntry, Threshold, Tier


def test_the_catalogue_is_read_once_then_from_the_cache(world, programmes):
    catalogue_for(world.a.tenant)
    with CaptureQueriesContext(connection) as queries:
        catalogue = catalogue_for(world.a.tenant)
    assert len(queries) == 0
    assert [t.code for t in catalogue.grader.ladder] == ["starter", "access", "business", "premium"]


def test_a_threshold_saved_in_the_back_office_shows_at_once(world, programmes):
    before = catalogue_for(world.a.tenant)
    business = [t for t in before.thresholds_for(world.a.partner_type.pk) if t.tier.code == "business"][0]
    assert business.minimum_monthly == Decimal("1000")

    with scopes_disabled():
        threshold = Threshold.objects.get(
            tenant=world.a.tenant, partner_type=world.a.partner_type, tier__code="business"
        )
        threshold.minimum_monthly = Decimal("1200")
        threshold.save()

    after = catalogue_for(world.a.tenant)
    business = [t for t in after.thresholds_for(world.a.partner_type.pk) if t.tier.code == "business"][0]
    assert business.minimum_monthly == Decimal("1200")
    assert after.grader.computed_tier(world.a.partner_type.pk, Decimal("1100"), 1).code == "access"


def test_each_tenant_has_its_own_entry(world, programmes):
    with scopes_disabled():
        Tier.objects.filter(tenant=world.b.tenant, code="premium").update(name="Platine")
        GradingPolicy.objects.filter(tenant=world.b.tenant).delete()  # a save elsewhere drops B's entry
    names_a = [t.name for t in catalogue_for(world.a.tenant).grader.ladder]
    names_b = [t.name for t in catalogue_for(world.b.tenant).grader.ladder]
    assert "Platine" not in names_a and "Platine" in names_b


def test_a_programme_without_tiers_is_remembered_until_a_tier_is_added(world):
    for _ in range(2):
        with pytest.raises(RegradeError):
            catalogue_for(world.a.tenant)
    with CaptureQueriesContext(connection) as queries, pytest.raises(RegradeError):
        catalogue_for(world.a.tenant)
    assert len(queries) == 0

    with scopes_disabled():
        TierFactory(tenant=world.a.tenant, code="starter", rank=0)
    assert [t.code for t in catalogue_for(world.a.tenant).grader.ladder] == ["starter"]


def test_the_duty_rules_follow_every_change_of_a_duty(world, programmes):
    tenant = world.a.tenant
    with scopes_disabled():
        duty = DutyFactory(tenant=tenant, title="Charte")
    with tenant_scope(tenant):
        assert [r.duty.title for r in cached_duty_rules(tenant=tenant)] == ["Charte"]
        assert cached_duty_rules(tenant=tenant)[0].tier_ids == frozenset()

    with scopes_disabled():
        tier = Tier.objects.get(tenant=tenant, code="access")
        duty.tiers.add(tier)  # a many-to-many change drops the entry too
    with tenant_scope(tenant):
        assert cached_duty_rules(tenant=tenant)[0].tier_ids == frozenset({tier.pk})

    with scopes_disabled():
        duty.delete()
    with tenant_scope(tenant):
        assert cached_duty_rules(tenant=tenant) == []


def test_the_dashboards_projection_is_kept_until_its_data_changes(world, programmes):
    from tests.tiers.helpers import JULY_2026, evaluate
    from tiers.backoffice import cached_tier_projection

    first = cached_tier_projection(tenant=world.a.tenant)
    assert first.counts["up"] == 0 and first.computed_at is not None
    with CaptureQueriesContext(connection) as queries:
        assert cached_tier_projection(tenant=world.a.tenant).computed_at == first.computed_at
    assert len(queries) == 0

    with scopes_disabled():  # entries saved one by one, as the back-office does (an import's record too)
        for month in range(1, 11):
            RevenueEntry.objects.create(
                tenant=world.a.tenant,
                partner=world.a.partner,
                month=dt.date(2026, month, 1),
                category="recurring",
                amount=Decimal("20000"),
            )
    moved = cached_tier_projection(tenant=world.a.tenant)
    assert moved.counts["up"] == 1
    assert [r.partner_id for r in moved.close_to_promotion() + moved.at_risk()] == []  # Premium: no next tier
    assert (
        world.b.tenant.pk != world.a.tenant.pk
        and cached_tier_projection(tenant=world.b.tenant).counts["up"] == 0
    )

    kept = cached_tier_projection(tenant=world.a.tenant)
    evaluate(world.a.tenant, JULY_2026)  # an evaluation drops it (its record, and tier_changed per chunk)
    assert cached_tier_projection(tenant=world.a.tenant).computed_at > kept.computed_at
