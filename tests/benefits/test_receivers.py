"""Claims lapse with the tiers: through the real evaluation (tier_changed → task → service → e-mails)."""

import datetime as dt

import pytest
from django_scopes import scope, scopes_disabled

from benefits import services
from benefits.models import Claim
from tests.partnerportal.factories import PartnerFactory
from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JANUARY_2026, JULY_2026, evaluate, tier_of

from .factories import ClaimFactory, assess

LAPSED = "Votre statut ne donne plus droit à cet avantage."


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """The evaluation with its after-commit work run as a committed chunk's would be (signal, tasks)."""

    def evaluate_committed(tenant, evaluation_date):
        with django_capture_on_commit_callbacks(execute=True):
            return evaluate(tenant, evaluation_date)

    return evaluate_committed


def states(*claims) -> list[tuple[str, str]]:
    with scopes_disabled():
        by_pk = dict(Claim.objects.filter(pk__in=[c.pk for c in claims]).values_list("pk", "state"))
        reasons = dict(
            Claim.objects.filter(pk__in=[c.pk for c in claims]).values_list("pk", "refusal_reason")
        )
    return [(by_pk[c.pk], reasons[c.pk]) for c in claims]


def test_falling_below_a_benefits_tier_refuses_its_pending_claims_and_tells_the_partner(
    world, catalogues, run, mailoutbox
):
    cat, partner, riser = catalogues["a"], world.a.partner, world.a.other_partner
    add_revenue(partner, "12000", start=dt.date(2025, 7, 1))  # Premium in January
    add_revenue(partner, "600")  # Access in July
    add_revenue(riser, "600", start=dt.date(2025, 7, 1))  # Access in January
    add_revenue(riser, "1500")  # Business in July: Access's benefits still apply
    run(world.a.tenant, JANUARY_2026)
    training = ClaimFactory(partner=partner, benefit=cat.training, claimed_by=world.a.sales)
    booster = ClaimFactory(partner=partner, benefit=cat.bizbooster_premium, claimed_by=world.a.sales)
    approved = ClaimFactory(
        partner=partner, benefit=cat.training, state="approved", period_start=dt.date(2025, 1, 1)
    )
    kept = ClaimFactory(partner=riser, benefit=cat.bizbooster, claimed_by=world.a.other_admin)
    theirs = ClaimFactory(partner=world.b.partner, benefit=catalogues["b"].training)
    mailoutbox.clear()  # the tier e-mails of January

    run(world.a.tenant, JULY_2026)

    assert tier_of(partner).code == "access" and tier_of(riser).code == "business"
    assert states(training, booster) == [("refused", LAPSED)] * 2
    assert states(approved, kept, theirs) == [("approved", ""), ("pending", ""), ("pending", "")]
    told = [m for m in mailoutbox if LAPSED in m.body]
    assert len(told) == 2
    assert all(sorted(m.to) == sorted([world.a.sales.email, world.a.admin.email]) for m in told)
    assert {m.subject for m in told} == {
        "Votre demande « Free training seat » est refusée",
        "Votre demande « BizBooster 500 € » est refusée",
    }


def test_climbing_to_a_replacing_benefit_refuses_the_replaced_ones_pending_claim(world, cat, run):
    partner = world.a.partner
    add_revenue(partner, "600", start=dt.date(2025, 7, 1))  # Access in January
    add_revenue(partner, "12000")  # Premium in July: BizBooster 500 € replaces BizBooster 150 €
    run(world.a.tenant, JANUARY_2026)
    replaced = ClaimFactory(partner=partner, benefit=cat.bizbooster, claimed_by=world.a.sales)

    run(world.a.tenant, JULY_2026)

    assert states(replaced) == [("refused", LAPSED)]


def test_a_replay_refuses_nothing_more_and_the_reason_is_in_the_partners_language(world, cat, mailoutbox):
    with scopes_disabled():
        type(world.a.partner).objects.filter(pk=world.a.partner.pk).update(preferred_language="en")
    assess(world.a.partner, cat.tiers["access"], JULY_2026)
    claim = ClaimFactory(partner=world.a.partner, benefit=cat.training, claimed_by=world.a.sales)

    with scope(tenant=world.a.tenant.pk):
        assert services.claims_refuse_lapsed(tenant=world.a.tenant, partner_ids=[world.a.partner.pk]) == [
            claim.pk
        ]
        assert services.claims_refuse_lapsed(tenant=world.a.tenant, partner_ids=[world.a.partner.pk]) == []

    assert states(claim) == [("refused", "Your status no longer entitles you to this benefit.")]


def test_a_chunk_is_refused_in_a_few_queries_whatever_its_size(world, cat, django_assert_max_num_queries):
    partners = [world.a.partner, world.a.other_partner] + [
        PartnerFactory(tenant=world.a.tenant, partner_type=world.a.partner_type) for _ in range(6)
    ]
    for partner in partners:
        assess(partner, cat.tiers["access"], JULY_2026)
        ClaimFactory(partner=partner, benefit=cat.training)
        ClaimFactory(partner=partner, benefit=cat.bizbooster)  # Access's own: kept

    # Pending claims, current tiers, replacing benefits and their types; lock and refuse (one language);
    # the savepoint and its release.
    with scope(tenant=world.a.tenant.pk), django_assert_max_num_queries(8):
        refused = services.claims_refuse_lapsed(tenant=world.a.tenant, partner_ids=[p.pk for p in partners])

    assert len(refused) == len(partners)
