"""The audit trail of tiers: the engine records each tier change set-wise (writers.tier_history_record),
with the user who ran the evaluation; pins are recorded with the manager; the back-office shows a current
tier's history to its own tenant's managers only."""

import datetime as dt

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JANUARY_2026, JULY_2026, evaluate
from tiers.models import PartnerTier, TierPin


def tier_history(partner) -> list[tuple]:
    with scopes_disabled():
        return list(
            PartnerTier.history.filter(partner_id=partner.pk)
            .order_by("history_date", "history_id")
            .values_list("history_type", "tier__code", "history_user", "history_change_reason")
        )


def test_a_run_records_the_tier_changes_only_with_who_ran_it(dstny, world):
    up, stays = dstny.partner(), dstny.partner()
    add_revenue(up, "600", start=dt.date(2025, 7, 1))  # Access in January, Business in July
    add_revenue(up, "1500")
    evaluate(dstny.tenant, JANUARY_2026)  # the scheduled job: nobody

    evaluate(dstny.tenant, JULY_2026, by=world.a.manager)  # a manual run

    # Its first tier (Access in January) is its first assessment's, not a change of a tier it had.
    assert tier_history(up) == [("~", "business", world.a.manager.pk, "computed")]
    assert tier_history(stays) == []


def test_a_run_that_changes_nothing_records_nothing(dstny):
    partner = dstny.partner()
    add_revenue(partner, "600", start=dt.date(2025, 7, 1), months=12)
    evaluate(dstny.tenant, JANUARY_2026)

    evaluate(dstny.tenant, JULY_2026)

    with scopes_disabled():
        assert not PartnerTier.history.exists()


@pytest.fixture
def assessed(world, programmes):
    """Each tenant's partner at Starter in January, Business in July: one change each."""
    for setup in (world.a, world.b):
        add_revenue(setup.partner, "1500")
        evaluate(setup.tenant, JANUARY_2026)
        evaluate(setup.tenant, JULY_2026)
    return world


def test_the_back_office_shows_a_current_tiers_history_to_its_tenant_only(assessed, client_for):
    world = assessed
    manager_a = client_for(world.a.tenant, world.a.manager)
    with scopes_disabled():
        theirs = PartnerTier.history.get(partner_id=world.b.partner.pk)

    own = manager_a.get(reverse("admin:tiers_partnertier_history", args=[world.a.partner.pk]))
    assert own.status_code == 200 and len(own.context["page_obj"].object_list) == 1

    assert (
        manager_a.get(reverse("admin:tiers_partnertier_history", args=[world.b.partner.pk])).status_code
        == 404
    )
    one = reverse("admin:tiers_partnertier_simple_history", args=[world.b.partner.pk, theirs.history_id])
    assert manager_a.get(one).status_code == 404
    assert client_for(world.b.tenant, world.b.manager).get(one).status_code == 200


def test_a_pin_is_recorded_with_the_manager_who_set_it(world, programmes, client_for):
    manager = client_for(world.a.tenant, world.a.manager)
    premium = programmes["a"].tiers["premium"]

    response = manager.post(
        reverse("admin:tiers_tierpin_add"),
        {"partner": world.a.partner.pk, "tier": premium.pk, "reason": "Strategic", "ends_on": "2026-12-31"},
    )

    assert response.status_code == 302
    with scopes_disabled():
        pin = TierPin.objects.get()
        record = TierPin.history.get(id=pin.pk)
    assert (record.history_type, record.history_user, record.tier_id) == ("+", world.a.manager, premium.pk)
    manager_b = client_for(world.b.tenant, world.b.manager)
    assert manager_b.get(reverse("admin:tiers_tierpin_history", args=[pin.pk])).status_code == 404
