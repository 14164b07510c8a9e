"""Mon statut's simulator (tiers/standing.py): the grading rule over the next evaluations, nothing saved."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JULY_2026, evaluate
from tiers.models import Assessment, RevenueEntry

STATUS = reverse("tiers:status")
TODAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # October is the last complete month
STATUS_QUERIES = 10


@pytest.fixture
def graded(world, programmes, time_machine):
    """A's partner: 737.00 € a month, January to October 2026, Access (Business from 1 000 €)."""
    add_revenue(world.a.partner, "737.00", months=10)
    evaluate(world.a.tenant, JULY_2026)
    time_machine.move_to(TODAY, tick=False)
    return programmes


def simulate(client, extra, **headers):
    response = client.get(STATUS, {"extra": extra}, **headers)
    assert response.status_code == 200
    return response, response.content.decode()


def test_the_simulator_finds_the_evaluation_that_reaches_the_next_tier(world, graded, client_for):
    response, html = simulate(client_for(world.a.tenant, world.a.admin), "300")

    simulation = response.context["simulation"]
    assert simulation.run_rate == Decimal("737.00")  # August–October
    # 1 January 2027, window July–December 2026: four real months at 737 and November–December at
    # 737 + 300: 5 022 < 6 × 1 000, Access. 1 July 2027: six months at 1 037: 6 222 ≥ 6 000, Business.
    assert [(p.evaluation_date, p.revenue, p.tier.code) for p in simulation.projections[:2]] == [
        (dt.date(2027, 1, 1), Decimal("5022.00"), "access"),
        (dt.date(2027, 7, 1), Decimal("6222.00"), "business"),
    ]
    assert simulation.reached.evaluation_date == dt.date(2027, 7, 1)
    # The rule compares revenue ≥ threshold × months: 6 000 − 4 422 over the two months left, 789.00.
    assert simulation.needed_for_next == Decimal("789.00")
    assert "vous atteindriez le statut Business à l’évaluation du 1er juillet 2027" in html
    assert "il vous faudrait 789,00\xa0€ de plus par mois" in html


def test_the_extra_needed_is_exactly_enough(world, graded, client_for):
    response, _ = simulate(client_for(world.a.tenant, world.a.admin), "789")
    assert response.context["simulation"].reached.evaluation_date == dt.date(2027, 1, 1)

    response, _ = simulate(client_for(world.a.tenant, world.a.admin), "788.99")
    assert response.context["simulation"].reached.evaluation_date == dt.date(2027, 7, 1)


def test_the_simulator_accepts_a_french_decimal_and_saves_nothing(world, graded, client_for):
    with scopes_disabled():
        before = (Assessment.objects.count(), RevenueEntry.objects.count())

    response, _ = simulate(client_for(world.a.tenant, world.a.admin), "1 500,50")

    assert response.context["simulation"].extra == Decimal("1500.50")
    with scopes_disabled():
        assert (Assessment.objects.count(), RevenueEntry.objects.count()) == before


@pytest.mark.parametrize("extra", ["-5", "abc", "1e400", "123456789012"])
def test_bad_input_gets_a_message_and_no_simulation(world, graded, client_for, extra):
    response, html = simulate(client_for(world.a.tenant, world.a.admin), extra)

    assert "simulation" not in response.context
    assert response.context["form"].errors["extra"]
    assert 'class="errorlist' in html


def test_an_htmx_request_gets_the_simulators_card_alone(world, graded, client_for):
    response, html = simulate(
        client_for(world.a.tenant, world.a.admin), "300", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="simulator"
    )

    assert html.lstrip().startswith('<section class="card simulator" id="simulator"')
    assert "<html" not in html
    assert "1er juillet 2027" in html
    assert "HX-Request" in response["Vary"]


def test_the_simulated_page_stays_within_ten_queries(
    world, graded, client_for, django_assert_max_num_queries
):
    client = client_for(world.a.tenant, world.a.admin)
    simulate(client, "300")  # the catalogues into the cache

    with django_assert_max_num_queries(STATUS_QUERIES):
        simulate(client, "300")


def test_the_simulator_uses_only_the_signed_in_partners_figures(world, graded, client_for):
    add_revenue(world.a.other_partner, "50000", months=10)
    response, _ = simulate(client_for(world.a.tenant, world.a.admin), "0")
    assert response.context["simulation"].run_rate == Decimal("737.00")


def test_a_saved_quote_leads_to_the_simulator_with_its_monthly_total(world, graded, client_for):
    from promos.models import Quote

    with scopes_disabled():
        quote = Quote.objects.create(
            tenant=world.a.tenant,
            partner=world.a.partner,
            reference="Q-TEST-1",
            priced_on=dt.date(2026, 11, 20),
            monthly_total=Decimal("300.00"),
            one_off_total=Decimal("0"),
        )
    client = client_for(world.a.tenant, world.a.admin)

    detail = client.get(reverse("promos:quote-detail", args=[quote.pk])).content.decode()

    link = f"{STATUS}?extra=300.00#simulator"
    assert f'href="{link}"' in detail
    response, _ = simulate(client, "300.00")
    assert response.context["simulation"].reached.evaluation_date == dt.date(2027, 7, 1)
