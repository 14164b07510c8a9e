"""The managers' dashboard at /admin/ and its lists (partnerportal/dashboard*.py, the apps' backoffice.py).

Figures are checked against known data on tenant A; tenant B holds look-alike data whose names must never
show on A's pages or in A's CSV files.
"""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from obligations.backoffice import COMPLIANCE_TTL
from obligations.models import DutyFulfilment, FulfilmentState
from partnerportal.dashboard_branding import backoffice_css, contrast
from partnerportal.dashboard_export import csv_safe
from partnerportal.models import Partner
from partnerportal.tenancy import tenant_scope
from tests.benefits.factories import ClaimFactory, assess
from tests.obligations.factories import DutyFactory, DutyFulfilmentFactory
from tests.partnerportal.factories import PartnerFactory
from tests.tiers.factories import add_revenue, build_programme
from tiers.backoffice import PANEL_ROWS
from tiers.calendar import rolling_window
from tiers.catalogue import forget_projection, summary_key
from tiers.models import Evaluation

INDEX = reverse("admin:index")
LAST_EVALUATION = dt.date(2026, 7, 1)


def list_url(slug: str) -> str:
    return reverse("admin:dashboard-list", args=[slug])


def graded_partner(programme, name: str, *, kind="ambassador", tier=None, monthly=None, **kwargs) -> Partner:
    """An active partner that joined long ago, at ``tier`` (an assessment of the last evaluation), with
    ``monthly`` revenue in each month of today's rolling window."""
    partner = programme.partner(kind, legal_name=name, **kwargs)
    if tier is not None:
        assess(partner, programme.tiers[tier], LAST_EVALUATION)
    if monthly is not None:
        window = rolling_window(programme.tenant)
        add_revenue(partner, monthly, start=window.start, months=window.months)
    return partner


def populate(setup, prefix: str) -> dict:
    """On one tenant: one partner at risk, one close to promotion, one going up, one applicant, duties
    (2 done, 1 missed, 1 waiting for review) and one pending claim."""
    with scopes_disabled():
        Partner.objects.filter(tenant=setup.tenant).update(date_joined=dt.date(2024, 1, 15), status="active")
        setup.partner.refresh_from_db()
        setup.other_partner.refresh_from_db()
    programme = build_programme(
        tenant=setup.tenant, ambassador=setup.partner_type, operator=setup.operator_type
    )
    # world's two partners: the first at Access falls to Starter (300 € < 500 €), the second at the entry
    # tier is at 94 % of Access (470 € of 500 €).
    assess(setup.partner, programme.tiers["access"], LAST_EVALUATION)
    window = rolling_window(setup.tenant)
    add_revenue(setup.partner, "300", start=window.start, months=window.months)
    add_revenue(setup.other_partner, "470", start=window.start, months=window.months)
    rising = graded_partner(programme, f"{prefix} Rising Operator", kind="operator", monthly="2500")
    applicant = PartnerFactory(
        tenant=setup.tenant,
        partner_type=setup.partner_type,
        legal_name=f"{prefix} Applicant",
        status="applicant",
    )
    with scopes_disabled():
        Evaluation.objects.filter(tenant=setup.tenant, evaluation_date=LAST_EVALUATION).update(
            up=4, down=1, same=7
        )
    today = setup.tenant.today()
    past, future = today - dt.timedelta(days=10), today + dt.timedelta(days=30)
    duty = DutyFactory(tenant=setup.tenant, title=f"{prefix} charter")
    for index, (partner, state, due) in enumerate(
        [
            (setup.partner, FulfilmentState.APPROVED, past),
            (setup.other_partner, FulfilmentState.WAIVED, past),
            (rising, FulfilmentState.TO_DO, past),  # missed
            (setup.other_partner, FulfilmentState.TO_DO, future),  # not yet due: counts neither way
        ]
    ):
        DutyFulfilmentFactory(
            partner=partner, duty=duty, state=state, due_date=due, period=dt.date(2020 + index, 1, 1)
        )
    waiting = DutyFulfilmentFactory(
        partner=rising,
        duty=DutyFactory(tenant=setup.tenant, title=f"{prefix} insurance"),
        state=FulfilmentState.SUBMITTED,
        due_date=future,
        submitted_at=dt.datetime.now(dt.UTC),
    )
    claim = ClaimFactory(
        partner=setup.other_partner,
        benefit__tenant=setup.tenant,
        benefit__from_tier=programme.tiers["starter"],
        benefit__title=f"{prefix} flyers",
    )
    return {
        "programme": programme,
        "rising": rising,
        "applicant": applicant,
        "waiting": waiting,
        "claim": claim,
    }


@pytest.fixture
def data(world):
    return {"a": populate(world.a, "Alpha"), "b": populate(world.b, "Bravo")}


@pytest.fixture
def manager_a(world, client_for):
    client = client_for(world.a.tenant, world.a.manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the tests read the figures' English labels
    return client


def cards_of(response) -> dict[str, str]:
    return {str(card.label): card.value for card in response.context["dashboard"].cards}


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- the figures -----------------------------------------------------------------------------------------


def test_dashboard_figures_match_the_data(world, data, manager_a):
    with translation.override("en"):
        response = manager_a.get(INDEX)

    assert response.status_code == 200
    cards = cards_of(response)
    # Graded: world's two partners and the rising operator; the applicant is counted apart.
    assert cards["Partners in the programme"] == "3"
    assert cards["Close to promotion"] == "1"
    assert cards["At risk of demotion"] == "1"
    # Done: approved + waived = 2; due = done + missed (1) = 3; 2/3 rounds down to 66 %.
    assert cards["Compliance rate"] == "66 %"
    assert cards["Pending reviews"] == "2"

    sections = {str(s.title): s.context for s in response.context["dashboard"].sections}
    close = [item["label"] for item in sections["Close to promotion"]["items"]]
    risk = [item["label"] for item in sections["At risk of demotion"]["items"]]
    assert close == [world.a.other_partner.legal_name]
    assert sections["Close to promotion"]["items"][0]["progress"] == 94
    assert risk == [world.a.partner.legal_name]
    per_tier = {row["tier"].code: row["counts"] for row in sections["Partners per tier"]["table"]}
    # Columns: the ambassador type, then the operator type.
    assert per_tier == {"premium": [0, 0], "business": [0, 0], "access": [1, 0], "starter": [1, 1]}
    reviews = {row.item for row in sections["Waiting for your review"]["rows"]}
    assert reviews == {"Alpha insurance", "Alpha flyers"}
    content = response.content.decode()
    assert "<svg" in content and "Last evaluation (" in content


def test_the_panel_reads_a_summary_of_the_projection(world, data, manager_a):
    """The panel's cache entry keeps the first PANEL_ROWS partners of each list and the lists' lengths (a few
    kilobytes, not every partner of both lists); the list behind the panel has them all."""
    programme, window = data["a"]["programme"], rolling_window(world.a.tenant)
    for index in range(7):  # 470 € of Access's 500 €, as world's other partner: close to promotion
        partner = programme.partner("ambassador", legal_name=f"Close {index}")
        add_revenue(partner, "470", start=window.start, months=window.months)

    with translation.override("en"):
        response = manager_a.get(INDEX)

    assert cards_of(response)["Close to promotion"] == "8"
    sections = {str(s.title): s.context for s in response.context["dashboard"].sections}
    assert len(sections["Close to promotion"]["items"]) == PANEL_ROWS
    assert sections["Close to promotion"]["total"] == 8
    with tenant_scope(world.a.tenant):
        summary = cache.get(summary_key(world.a.tenant.pk))
    assert summary.totals == {"close": 8, "risk": 1}
    assert len(summary.rows) == PANEL_ROWS + 1
    listed = manager_a.get(list_url("promotion")).content.decode()
    assert all(f"Close {index}" in listed for index in range(7))


def test_the_compliance_figures_are_kept_a_minute(world, data, manager_a):
    with translation.override("en"):
        assert cards_of(manager_a.get(INDEX))["Compliance rate"] == "66 %"
    with scopes_disabled():  # the missed duty approved: 3 of 3
        missed = DutyFulfilment.objects.filter(
            tenant=world.a.tenant, state=FulfilmentState.TO_DO, due_date__lt=world.a.tenant.today()
        )
        assert missed.update(state=FulfilmentState.APPROVED) == 1

    with translation.override("en"):
        kept = manager_a.get(INDEX)
        assert cards_of(kept)["Compliance rate"] == "66 %"
        assert "Figures of " in kept.content.decode()
        with time_machine.travel(timezone.now() + dt.timedelta(seconds=COMPLIANCE_TTL + 1), tick=False):
            assert cards_of(manager_a.get(INDEX))["Compliance rate"] == "100 %"


def test_movements_last_and_projected(world, data):
    from tiers.backoffice import tier_projection

    with scopes_disabled():
        projection = tier_projection(tenant=world.a.tenant)
    counts = projection.counts
    assert (counts["up"], counts["down"], counts["same"]) == (1, 1, 1)
    by_name = {row.name: row for row in projection.rows}
    assert by_name["Alpha Rising Operator"].projected.code == "business"
    assert by_name[world.a.other_partner.legal_name].gap == Decimal("30.00")


def test_the_dashboard_has_no_inline_style_or_script(data, manager_a):
    content = manager_a.get(INDEX).content.decode()
    assert " style=" not in content
    assert "<script>" not in content


# --- isolation -------------------------------------------------------------------------------------------

B_NAMES = ("Bleu Connect", "Basalte Télécom", "Bravo Rising Operator", "Bravo insurance", "Bravo flyers")


def test_manager_of_a_sees_nothing_of_b(world, data, manager_a):
    content = manager_a.get(INDEX).content.decode()
    for name in B_NAMES:
        assert name not in content
    assert world.a.other_partner.legal_name in content


@pytest.mark.parametrize("slug", ["partners", "promotion", "at-risk", "reviews"])
def test_lists_and_their_csv_stay_in_the_tenant(world, data, manager_a, slug):
    page = manager_a.get(list_url(slug))
    exported = manager_a.get(list_url(slug), {"export": "csv"})

    assert page.status_code == 200
    text = "\n".join(",".join(row) for row in read_csv(exported))
    for name in B_NAMES:
        assert name not in page.content.decode()
        assert name not in text
    assert len(read_csv(exported)) > 1  # a header and tenant A's rows


def test_the_tier_filter_cannot_reach_another_tenants_tier(world, data, manager_a):
    b_tier = data["b"]["programme"].tiers["starter"]
    response = manager_a.get(list_url("partners"), {"tier": b_tier.pk})
    # Not a choice of tenant A: the filter is invalid, and the list shows nothing rather than B's rows.
    assert "Bleu Connect" not in response.content.decode()
    assert response.context["filter"].errors


@pytest.mark.parametrize("who", ["admin", "sales"])
def test_partner_people_cannot_open_the_lists(world, data, client_for, who):
    client = client_for(world.a.tenant, getattr(world.a, who))
    response = client.get(list_url("partners"), {"export": "csv"})
    assert response.status_code == 302
    assert not response["Content-Type"].startswith("text/csv")


def test_an_unknown_list_is_a_404(data, manager_a):
    assert manager_a.get(list_url("nothing-here")).status_code == 404


# --- the lists' filters, sorting and export ------------------------------------------------------------


def test_partners_list_filters_by_tier_type_status_and_search(world, data, manager_a):
    programme = data["a"]["programme"]

    def names(**query) -> set[str]:
        response = manager_a.get(list_url("partners"), query)
        return {row.record.legal_name for row in response.context["table"].rows}

    # Never assessed: at the entry tier.
    assert names(tier=programme.tiers["starter"].pk) == {
        world.a.other_partner.legal_name,
        "Alpha Rising Operator",
        "Alpha Applicant",
    }
    assert names(tier=programme.tiers["access"].pk) == {world.a.partner.legal_name}
    assert names(partner_type=world.a.operator_type.pk) == {"Alpha Rising Operator"}
    assert names(status="applicant") == {"Alpha Applicant"}
    assert names(q="rising") == {"Alpha Rising Operator"}


def test_promotion_list_is_narrowed_by_the_filter(world, data, manager_a):
    response = manager_a.get(list_url("promotion"), {"partner_type": world.a.operator_type.pk})
    assert list(response.context["table"].rows) == []
    response = manager_a.get(list_url("promotion"), {"partner_type": world.a.partner_type.pk})
    assert [row.record.name for row in response.context["table"].rows] == [world.a.other_partner.legal_name]


def test_partners_list_sorts(world, data, manager_a):
    response = manager_a.get(list_url("partners"), {"sort": "-legal_name"})
    names = [row.record.legal_name for row in response.context["table"].rows]
    assert names == sorted(names, reverse=True)


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_safe_neutralises_formula_prefixes(prefix):
    assert csv_safe(f"{prefix}cmd|' /C calc'!A0") == f"'{prefix}cmd|' /C calc'!A0"


def test_csv_safe_keeps_plain_text_and_numbers():
    assert csv_safe("Azur Réseaux") == "Azur Réseaux"
    assert csv_safe(Decimal("-5.00")) == Decimal("-5.00")
    assert csv_safe(3) == 3
    assert csv_safe(None) == ""


def test_exported_csv_neutralises_a_hostile_partner_name(world, data, manager_a):
    PartnerFactory(
        tenant=world.a.tenant,
        partner_type=world.a.partner_type,
        legal_name='=HYPERLINK("http://evil.test","x")',
        city="@SUM(A1)",
    )
    rows = read_csv(manager_a.get(list_url("partners"), {"export": "csv", "q": "evil"}))

    assert len(rows) == 2
    assert '\'=HYPERLINK("http://evil.test","x")' in rows[1]
    assert "'@SUM(A1)" in rows[1]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_review_list_links_to_the_decisions(world, data, manager_a):
    response = manager_a.get(list_url("reviews"))
    content = response.content.decode()
    assert reverse("admin:obligations_dutyfulfilment_change", args=[data["a"]["waiting"].pk]) in content
    assert reverse("admin:benefits_claim_change", args=[data["a"]["claim"].pk]) in content


# --- queries: bounded, whatever the number of partners ------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def add_partners(setup, programme, count: int) -> None:
    window = rolling_window(setup.tenant)
    for index in range(count):
        partner = programme.partner("operator" if index % 2 else "ambassador", legal_name=f"Extra {index}")
        add_revenue(partner, str(100 * index), start=window.start, months=window.months)
        if index % 3 == 0:
            assess(partner, programme.tiers["access"], LAST_EVALUATION)
        DutyFulfilmentFactory(partner=partner, state=FulfilmentState.SUBMITTED, due_date=window.end)
        ClaimFactory(
            partner=partner, benefit__tenant=setup.tenant, benefit__from_tier=programme.tiers["starter"]
        )


@pytest.mark.parametrize("url", [INDEX, list_url("partners"), list_url("promotion"), list_url("reviews")])
def test_dashboard_queries_do_not_grow_with_the_partners(
    world, data, manager_a, url, django_assert_max_num_queries
):
    def cold_and_warm() -> tuple[int, int]:
        forget_projection(world.a.tenant.pk)  # the projection computed again (the engine's dry run)…
        cold = count_queries(manager_a, url)
        return cold, count_queries(manager_a, url)  # …then read from the cache

    manager_a.get(url)  # warm up: session, content types
    before = cold_and_warm()
    add_partners(world.a, data["a"]["programme"], 12)
    after = cold_and_warm()

    assert after == before
    assert before[1] <= before[0]
    with django_assert_max_num_queries(45):
        manager_a.get(url)


# --- the platform superuser and the branding ------------------------------------------------------------


def test_superuser_sees_the_hosts_programme_and_every_programme(world, data, client_for):
    client = client_for(world.a.tenant, world.superuser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(INDEX)

    assert response.status_code == 200
    assert cards_of(response)["Partners in the programme"] == "3"  # tenant A's, not both tenants'
    summary = {row["tenant"].slug: row for row in response.context["programmes"]}
    assert summary["alpha"]["reviews"] == 2 and summary["bravo"]["reviews"] == 2
    assert summary["bravo"]["partners"] == 4


def test_managers_do_not_get_the_programmes_summary(data, manager_a):
    assert manager_a.get(INDEX).context["programmes"] is None


def test_branding_css_sets_the_admin_variables_from_the_tenant(world, client_for):
    world.a.tenant.primary_colour = "#2b1a64"
    world.a.tenant.save()
    response = client_for(world.a.tenant).get(reverse("admin:branding-css"))

    css = response.content.decode()
    assert response["Content-Type"].startswith("text/css")
    assert "--primary: #2b1a64;" in css and "--header-bg: #2b1a64;" in css
    assert "--header-color: #ffffff;" in css


@pytest.mark.parametrize("primary", ["#2b1a64", "#ffe14d", "#00636e", "#7fdbff", "#000000", "#ffffff"])
def test_branding_keeps_text_readable(primary):
    css = backoffice_css(primary=primary, accent="#e4007c")
    values = dict(
        line.strip().rstrip(";").split(": ", 1)
        for line in css.split("}\n")[0].splitlines()
        if line.strip().startswith("--")
    )
    assert contrast(values["--header-bg"], values["--header-color"]) >= 4.5
    assert contrast(values["--button-bg"], values["--button-fg"]) >= 4.5
    assert contrast(values["--breadcrumbs-bg"], values["--breadcrumbs-fg"]) >= 4.5
    light_links = css.split('html[data-theme="light"], :root:not([data-theme]) {')[1].split("}")[0]
    link = light_links.split("--link-fg: ")[1].split(";")[0]
    assert contrast(link, "#ffffff") >= 4.5


def test_back_office_pages_carry_the_logo_and_stylesheets(world, manager_a):
    content = manager_a.get(INDEX).content.decode()
    assert reverse("admin:branding-css") in content
    assert "css/backoffice.css" in content


def test_the_review_panel_reads_only_the_oldest_items(world, data):
    from partnerportal import dashboard
    from partnerportal.tenancy import tenant_scope

    with tenant_scope(world.a.tenant):
        every = dashboard.review_rows(tenant=world.a.tenant)
        assert len(every) >= 2
        for limit in (1, 2, len(every) + 5):
            assert dashboard.review_rows(tenant=world.a.tenant, limit=limit) == every[:limit]
