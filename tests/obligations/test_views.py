"""Mes devoirs, the duty page, training declarations, the plan and the forecasts."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from obligations.models import DevelopmentPlan, EvidenceKind, FulfilmentState, PlanObjective, SalesForecast
from partnerportal.models import Membership
from tests.obligations.factories import DutyFactory, DutyFulfilmentFactory, TrainingDutyFactory
from tests.obligations.helpers import reload
from tests.partnerportal.factories import MembershipFactory
from tests.tiers.factories import add_revenue

TODAY = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def test_my_duties_shows_score_overdue_and_checklist(world, client_for, django_assert_max_num_queries):
    partner = world.a.partner
    DutyFulfilmentFactory(
        partner=partner, duty__title="Charte partenaire", duty__blocking=True, due_date=dt.date(2026, 5, 1)
    )
    DutyFulfilmentFactory(
        partner=partner, duty__title="Fiche de qualification", state=FulfilmentState.APPROVED
    )
    DutyFulfilmentFactory(partner=partner, duty__title="Webinar MetaCentrex", due_date=dt.date(2027, 1, 15))
    for i in range(20):
        DutyFulfilmentFactory(partner=partner, duty__title=f"Extra {i}", due_date=dt.date(2027, 3, 1))
    DutyFulfilmentFactory(partner=world.a.other_partner, duty__title="Secret de Ambre")
    client = client_for(world.a.tenant, world.a.admin)

    with django_assert_max_num_queries(20):
        response = client.get(reverse("obligations:duty-list"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "50 %" in body  # 1 done of 2 due (the charter is overdue; the webinar is not due yet)
    assert "Charte partenaire" in body and "Secret de Ambre" not in body
    assert 'class="pagination' in body  # 23 duties, 15 a page
    latest_first = client.get(reverse("obligations:duty-list") + "?sort=-due_date").content.decode()
    assert "Extra" in latest_first and "Fiche de qualification" not in latest_first  # on page 2 now


def test_nothing_due_says_so(world, client_for):
    body = client_for(world.a.tenant, world.a.admin).get(reverse("obligations:duty-list")).content.decode()
    assert "Rien d'exigible pour l'instant" in body or "Nothing due yet" in body


def test_the_refusal_reason_is_shown(world, client_for):
    f = DutyFulfilmentFactory(
        partner=world.a.partner, state=FulfilmentState.REFUSED, reason="Signature manquante"
    )
    body = client_for(world.a.tenant, world.a.admin).get(
        reverse("obligations:fulfilment-detail", args=[f.pk])
    )
    assert "Signature manquante" in body.content.decode()


def test_a_training_is_declared_for_a_person_of_the_partner(world, client_for):
    duty = TrainingDutyFactory(tenant=world.a.tenant, title="Webinar Trunk SIP")
    f = DutyFulfilmentFactory(partner=world.a.partner, duty=duty)
    url = reverse("obligations:fulfilment-training", args=[f.pk])
    client = client_for(world.a.tenant, world.a.sales)

    stranger = client.post(
        url, {"trainee": world.a.other_admin.pk, "course": "Trunk SIP", "completed_on": "2026-11-02"}
    )
    future = client.post(
        url, {"trainee": world.a.sales.pk, "course": "Trunk SIP", "completed_on": "2026-12-02"}
    )
    assert stranger.status_code == future.status_code == 400
    assert reload(f).state == FulfilmentState.TO_DO

    ok = client.post(url, {"trainee": world.a.sales.pk, "course": "Trunk SIP", "completed_on": "2026-11-02"})
    assert ok.status_code == 302
    stored = reload(f)
    assert (stored.state, stored.trainee, stored.course) == (
        FulfilmentState.SUBMITTED,
        world.a.sales,
        "Trunk SIP",
    )


def test_evidence_is_refused_on_an_approved_duty(world, client_for):
    f = DutyFulfilmentFactory(partner=world.a.partner, state=FulfilmentState.APPROVED)
    from tests.obligations.conftest import upload

    response = client_for(world.a.tenant, world.a.admin).post(
        reverse("obligations:fulfilment-upload", args=[f.pk]), {"document": upload()}
    )
    assert response.status_code == 400
    assert reload(f).state == FulfilmentState.APPROVED


# --- plan and forecasts -----------------------------------------------------------------------------


def test_the_plan_is_saved_and_fulfils_the_years_plan_duty(world, client_for):
    duty = DutyFactory(tenant=world.a.tenant, evidence=EvidenceKind.PLAN, recurrence="yearly")
    f = DutyFulfilmentFactory(partner=world.a.partner, duty=duty, period=dt.date(2026, 1, 1))
    client = client_for(world.a.tenant, world.a.admin)

    response = client.post(
        reverse("obligations:plan") + "?year=2026",
        {"q1_sip_trunk": "900", "q2_sip_trunk": "950.50", "q1_data": "", "notes": "Deux salons"},
    )

    assert response.status_code == 302
    with scopes_disabled():
        plan = DevelopmentPlan.objects.get(partner=world.a.partner, year=2026)
        assert plan.notes == "Deux salons" and plan.updated_by == world.a.admin
        assert sorted(PlanObjective.objects.filter(plan=plan).values_list("quarter", "amount")) == [
            (1, Decimal("900.00")),
            (2, Decimal("950.50")),
        ]
    assert reload(f).state == FulfilmentState.APPROVED
    page = client.get(reverse("obligations:plan") + "?year=2026").content.decode()
    assert "<svg" in page and 'value="950.50"' in page


@pytest.mark.parametrize("value", ["-5", "abc", "1e99"])
def test_a_bad_objective_is_refused(world, client_for, value):
    response = client_for(world.a.tenant, world.a.admin).post(
        reverse("obligations:plan"), {"q1_sip_trunk": value}
    )
    assert response.status_code == 400
    with scopes_disabled():
        assert not DevelopmentPlan.objects.exists()


def test_technical_people_read_the_plan_but_do_not_edit_it(world, client_for):
    tech = MembershipFactory(partner=world.a.partner, role=Membership.Role.TECHNICAL).user
    client = client_for(world.a.tenant, tech)
    assert client.get(reverse("obligations:plan")).status_code == 200
    assert client.post(reverse("obligations:plan"), {"q1_data": "10"}).status_code == 403
    assert client.post(reverse("obligations:forecasts"), {}).status_code == 403


@pytest.mark.parametrize("year", ["1999", "abc", "2040"])
def test_an_unreasonable_year_is_a_404(world, client_for, year):
    assert (
        client_for(world.a.tenant, world.a.admin)
        .get(reverse("obligations:plan") + f"?year={year}")
        .status_code
        == 404
    )


def test_a_forecast_is_submitted_and_shown_with_objective_and_actual(world, client_for):
    duty = DutyFactory(tenant=world.a.tenant, evidence=EvidenceKind.FORECAST, recurrence="quarterly")
    f = DutyFulfilmentFactory(partner=world.a.partner, duty=duty, period=dt.date(2026, 10, 1))
    add_revenue(world.a.partner, "1234", start=dt.date(2026, 10, 1), months=1)
    client = client_for(world.a.tenant, world.a.sales)

    response = client.post(
        reverse("obligations:forecasts"),
        {"quarter": "2026-10-01", "sip_trunk": "1000", "metacentrex": "500", "data": "0"},
    )

    assert response.status_code == 302
    with scopes_disabled():
        assert SalesForecast.objects.filter(partner=world.a.partner).count() == 3
    assert reload(f).state == FulfilmentState.APPROVED
    page = client.get(reverse("obligations:forecasts")).content.decode()
    assert "<td>1\xa0500\xa0€</td>" in page  # the quarter's forecast, all product lines
    assert "<td>1\xa0234\xa0€</td>" in page  # the actual, from the revenue ledger
    client.cookies["django_language"] = "en"
    page = client.get(reverse("obligations:forecasts")).content.decode()
    assert "<td>€1,500</td>" in page and "<td>€1,234</td>" in page
    assert "€1,234.00</title>" in page  # the chart's bar says the amount in cents


@pytest.mark.parametrize(
    "data",
    [
        {"quarter": "2026-07-01", "sip_trunk": "1", "metacentrex": "1", "data": "1"},  # past quarter
        {"quarter": "2026-10-01", "sip_trunk": "-1", "metacentrex": "1", "data": "1"},
        {"quarter": "2026-10-01", "sip_trunk": "", "metacentrex": "1", "data": "1"},
        {"quarter": "nonsense", "sip_trunk": "1", "metacentrex": "1", "data": "1"},
    ],
)
def test_a_bad_forecast_is_refused(world, client_for, data):
    response = client_for(world.a.tenant, world.a.admin).post(reverse("obligations:forecasts"), data)
    assert response.status_code == 400
    with scopes_disabled():
        assert not SalesForecast.objects.exists()


def test_every_duty_view_is_isolated(world, isolation):
    f = DutyFulfilmentFactory(partner=world.a.partner)
    isolation(
        [reverse("obligations:fulfilment-detail", args=[f.pk])],
        methods=["get"],
    )
    isolation(
        [
            reverse("obligations:fulfilment-upload", args=[f.pk]),
            reverse("obligations:fulfilment-training", args=[f.pk]),
        ],
        methods=["post"],
        expected=400,
        unchanged=lambda: type(f).objects.values_list("pk", "state", "document"),
    )


def test_the_url_cases_markers_are_on_the_owners_pages(world, client_for):
    # tests/test_url_isolation.py checks that intruders' pages lack these; here, that the owner's have them.
    from tests.obligations import url_cases

    client = client_for(world.a.tenant, world.a.admin)
    for name, build in (
        ("obligations:plan", url_cases._plan),
        ("obligations:forecasts", url_cases._forecasts),
    ):
        build(world)
        marker = url_cases.CASES[name].marker(world)
        assert marker in client.get(reverse(name)).content.decode()


def test_the_forecasts_page_reads_objectives_and_forecasts_once(
    world, client_for, django_assert_max_num_queries
):
    client = client_for(world.a.tenant, world.a.sales)
    client.get(reverse("obligations:forecasts"))  # warm the session and the site's caches
    with django_assert_max_num_queries(14):
        assert client.get(reverse("obligations:forecasts")).status_code == 200
