"""The partner home (partnerportal.views.HomeView): the tier standing, what needs doing, what changed
lately, the way to each section; in a fixed number of queries, whatever the partner's history."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from benefits.models import Claim
from obligations.models import Category, FulfilmentState
from partnerportal.models import Partner
from tests.benefits.factories import BenefitFactory, ClaimFactory
from tests.documents.factories import DocumentFactory
from tests.obligations.factories import DutyFactory, DutyFulfilmentFactory
from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JULY_2026, evaluate
from tiers.models import RevenueEntry

HOME = reverse("partnerportal:home")
TODAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
# Tenant, session, user, membership; current tier and revenue (one); what needs doing; what changed lately (one
# UNION of every app's events). The tiers' catalogue comes from the cache after the first visit.
HOME_QUERIES = 7


@pytest.fixture
def graded(world, programmes, time_machine):
    """A's partner: 737.00 € a month from January 2026, Access at 1 July 2026; today is 23 November."""
    add_revenue(world.a.partner, "737.00", months=10)
    add_revenue(world.a.other_partner, "9876.54", months=10)
    evaluate(world.a.tenant, JULY_2026)
    time_machine.move_to(TODAY, tick=False)
    return programmes


def home(client, language=None):
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(HOME)
    assert response.status_code == 200
    return response, response.content.decode()


def grow_history(partner, n: int) -> None:
    """``n`` more of everything the home reads: claims, reviewed duties, open duties, documents."""
    with scopes_disabled():
        for i in range(n):
            ClaimFactory(partner=partner, state=Claim.State.APPROVED, decided_at=timezone.now())
            DutyFulfilmentFactory(
                partner=partner,
                state=FulfilmentState.APPROVED,
                decided_at=timezone.now(),
                period=dt.date(2020 + i, 1, 1),
            )
            DutyFulfilmentFactory(partner=partner, due_date=dt.date(2027, 1, 1 + i))
            DocumentFactory(partner=partner, kind="diploma", issued_on=dt.date(2026, 7, 1))


def test_the_home_shows_the_tier_its_progress_and_the_next_evaluation(world, graded, client_for):
    response, html = home(client_for(world.a.tenant, world.a.admin))

    standing = response.context["standing"]
    assert (standing.status.tier.code, standing.progress, standing.at_risk) == ("access", 73, False)
    assert 'tier-badge--access">Access</p>' in html
    assert '<progress id="tier-progress" class="progress" max="100" value="73">' in html
    assert "737,00\xa0€ par mois sur les 1\xa0000\xa0€ du statut Business" in html
    assert "Encore 263,00\xa0€ par mois pour atteindre le statut Business." in html
    assert "Prochaine évaluation : 1er janvier 2027" in html


def test_a_partner_below_its_threshold_is_flagged_at_risk(world, graded, client_for):
    response, html = home(client_for(world.a.tenant, world.a.other_admin))  # Business on 9 876.54 €
    assert response.context["standing"].at_risk is False

    with scopes_disabled():
        RevenueEntry.objects.filter(partner=world.a.other_partner, month__gte=dt.date(2026, 5, 1)).update(
            amount=10
        )
    response, html = home(client_for(world.a.tenant, world.a.other_admin), "en")

    assert response.context["standing"].at_risk is True
    assert "At risk: evaluated today, you would move to Starter." in html


def test_what_needs_doing_lists_the_partners_open_duties_overdue_first(world, graded, client_for):
    with scopes_disabled():
        charter = DutyFactory(tenant=world.a.tenant, title="Charte signée", category=Category.DOCUMENT)
        training = DutyFactory(tenant=world.a.tenant, title="Webinaire", category=Category.TRAINING)
        DutyFulfilmentFactory(partner=world.a.partner, duty=training, due_date=dt.date(2026, 12, 15))
        DutyFulfilmentFactory(partner=world.a.partner, duty=charter, due_date=dt.date(2026, 10, 1))
        DutyFulfilmentFactory(
            partner=world.a.partner, duty=training, period=dt.date(2025, 1, 1), state=FulfilmentState.APPROVED
        )
        DutyFulfilmentFactory(partner=world.a.other_partner, duty=charter, due_date=dt.date(2026, 1, 1))

    response, html = home(client_for(world.a.tenant, world.a.admin))

    todos = response.context["todos"]
    assert [(t.text, t.overdue) for t in todos] == [
        ("Document à signer et envoyer : Charte signée", True),
        ("Webinaire", False),
    ]
    assert "en retard depuis le 1er octobre 2026" in html
    assert "à faire pour le 15 décembre 2026" in html


def test_what_changed_lately_merges_every_apps_events_newest_first(world, graded, client_for, time_machine):
    with scopes_disabled():
        benefit = BenefitFactory(tenant=world.a.tenant, title="Kit de démonstration")
        time_machine.move_to(dt.datetime(2026, 9, 2, 9, 0, tzinfo=dt.UTC), tick=False)
        ClaimFactory(partner=world.a.partner, benefit=benefit)
        time_machine.move_to(dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC), tick=False)
        refused = DutyFulfilmentFactory(
            partner=world.a.partner,
            duty__title="Plan annuel",
            state=FulfilmentState.REFUSED,
            decided_at=timezone.now(),
        )
        time_machine.move_to(TODAY, tick=False)
        DocumentFactory(partner=world.a.partner, kind="diploma")
        # Another partner's events never show.
        ClaimFactory(partner=world.a.other_partner, benefit__title="Secret d'un autre")

    response, html = home(client_for(world.a.tenant, world.a.admin), "en")

    events = response.context["events"]
    assert [(e.kind, e.tone) for e in events] == [
        ("document", "good"),
        ("review", "bad"),
        ("claim", "neutral"),
        ("tier", "good"),  # Starter → Access at 1 July 2026
    ]
    assert events[1].url == reverse("obligations:fulfilment-detail", args=[refused.pk])
    assert "You claimed Kit de démonstration" in html
    assert "Refused, to send again: Plan annuel" in html
    assert "Promoted to Access at the evaluation" in html
    assert "Secret d" not in html


def test_the_home_links_to_every_section(world, graded, client_for):
    response, html = home(client_for(world.a.tenant, world.a.admin))

    for name in (
        "tiers:status",
        "benefits:benefit-list",
        "obligations:duty-list",
        "promos:quote-calculator",
        "documents:document-list",
        "partnerportal:team",
        "partnerportal:company",
    ):
        assert f'class="tile" href="{reverse(name)}"' in html


@pytest.mark.parametrize("history", [0, 12])
def test_the_home_takes_a_fixed_number_of_queries_whatever_the_history(
    world, graded, client_for, django_assert_max_num_queries, history
):
    grow_history(world.a.partner, history)
    client = client_for(world.a.tenant, world.a.admin)
    home(client)  # the first visit puts the tiers' catalogue in the cache

    with django_assert_max_num_queries(HOME_QUERIES):
        response, _ = home(client)

    assert len(response.context["events"]) == (1 if history == 0 else 8)
    assert len(response.context["todos"]) == (0 if history == 0 else 6)


def test_a_manager_has_no_home_and_goes_to_the_back_office(world, client_for):
    response = client_for(world.a.tenant, world.a.manager).get(HOME)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_a_suspended_partner_sees_its_status(world, graded, client_for):
    with scopes_disabled():
        Partner.objects.filter(pk=world.a.partner.pk).update(status=Partner.Status.SUSPENDED)
    _, html = home(client_for(world.a.tenant, world.a.admin))
    assert 'class="status status--suspended"' in html


def test_a_partner_kept_by_the_grace_period_is_at_risk_on_its_home_and_status(
    world, graded, client_for, time_machine
):
    """Business on 9 876.54 € at 1 July 2026; nothing from July on: at 1 January 2027 the grace period keeps
    it at Business, flagged at risk."""
    from tiers.models import GradingPolicy

    with scopes_disabled():
        GradingPolicy.objects.update_or_create(tenant=world.a.tenant, defaults={"grace_evaluations": 1})
        RevenueEntry.objects.filter(partner=world.a.other_partner, month__gte=dt.date(2026, 7, 1)).delete()
    time_machine.move_to(dt.datetime(2027, 1, 1, 6, 0, tzinfo=dt.UTC), tick=False)
    evaluate(world.a.tenant, dt.date(2027, 1, 1))
    time_machine.move_to(dt.datetime(2027, 1, 5, 9, 0, tzinfo=dt.UTC), tick=False)
    client = client_for(world.a.tenant, world.a.other_admin)

    response, html = home(client, "en")
    status_html = client.get(reverse("tiers:status")).content.decode()

    standing = response.context["standing"]
    assert (standing.status.tier.code, standing.status.kept_by_grace, standing.at_risk) == (
        "business",
        True,
        True,
    )
    for page in (html, status_html):
        assert "kept your tier for a grace period" in page
    # The managers' dashboard lists it at risk too, with the same rule.
    from partnerportal.tenancy import tenant_scope
    from tiers.backoffice import tier_projection

    with tenant_scope(world.a.tenant):
        at_risk = {row.partner_id: row for row in tier_projection(tenant=world.a.tenant).at_risk()}
    assert at_risk[world.a.other_partner.pk].kept_by_grace


def test_the_union_is_scoped_like_every_query(world, graded):
    """Another tenant's scope finds nothing of this partner; no scope at all is refused."""
    from django_scopes.exceptions import ScopeError

    from partnerportal import activity
    from partnerportal.tenancy import tenant_scope

    grow_history(world.a.partner, 2)
    with tenant_scope(world.a.tenant):
        assert len(activity.recent_events(world.a.partner)) == 7
    with tenant_scope(world.b.tenant):
        assert activity.recent_events(world.a.partner) == []
    with pytest.raises(ScopeError):
        activity.recent_events(world.a.partner)
