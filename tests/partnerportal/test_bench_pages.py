"""The pieces of ``bench_pages`` that need neither gunicorn nor wrk: the data, the session, the bare view, the
figures."""

import datetime as dt
import importlib
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import clear_url_caches
from django_scopes import scopes_disabled

from benefits.models import Claim
from documents.models import Document
from obligations.models import DutyFulfilment
from partnerportal.bench import data, serve
from partnerportal.models import Membership, Partner, User
from promos.models import Quote, QuoteLine
from tests.benefits.factories import ClaimFactory, assess
from tests.conftest import host_of
from tests.documents.factories import DocumentFactory
from tests.obligations.factories import DutyFulfilmentFactory
from tests.tiers.factories import RevenueEntryFactory, TierFactory
from tiers.models import Assessment, PartnerTier, RevenueEntry


@pytest.fixture
def source(world):
    """Tenant A's partner with a revenue ledger, a tier history, a claim, a duty, a document and a quote."""
    partner, tenant = world.a.partner, world.a.tenant
    tier = TierFactory(tenant=tenant)
    for month in (1, 2, 3):
        RevenueEntryFactory(partner=partner, month=dt.date(2026, month, 1), amount=Decimal(f"{month}00.00"))
    assess(partner, tier, dt.date(2026, 1, 1))
    assess(partner, tier, dt.date(2026, 7, 1))  # the current tier points at this one
    ClaimFactory(partner=partner, claimed_by=world.a.admin, decided_by=world.a.manager)
    DutyFulfilmentFactory(partner=partner)
    DocumentFactory(partner=partner)
    with scopes_disabled():
        quote = Quote.objects.create(
            tenant=tenant,
            partner=partner,
            reference="DEV-2026-0001",
            priced_on=dt.date(2026, 7, 2),
            monthly_total=Decimal("10.00"),
            one_off_total=Decimal("0.00"),
        )
        QuoteLine.objects.create(
            tenant=tenant,
            quote=quote,
            code="SIP",
            name="Trunk SIP",
            billing="monthly",
            unit="unit",
            quantity=2,
            list_unit_price=Decimal("5.00"),
            unit_price=Decimal("5.00"),
            total=Decimal("10.00"),
        )
    return world


def test_the_plan_copies_every_table_that_hangs_off_a_partner_parents_first():
    plan = data.clone_plan()
    order = [clone.model for clone in plan]
    for model in (RevenueEntry, Assessment, PartnerTier, Claim, DutyFulfilment, Document, Quote, QuoteLine):
        assert model in order, model
    assert order[0] is Partner and Membership not in order
    assert order.index(Assessment) < order.index(PartnerTier)  # the current tier points at an assessment
    assert order.index(Quote) < order.index(QuoteLine)


def test_build_copies_the_partners_with_their_rows_and_a_rebuild_replaces_them(source):
    world = source
    tenant, partner, other = world.a.tenant, world.a.partner, world.a.other_partner
    with scopes_disabled():
        tenant_b_rows = RevenueEntry.objects.filter(tenant=world.b.tenant).count()
        counts = data.bench_tenant_build(tenant=tenant, partners=5)
        clones = list(
            Partner.objects.filter(tenant=tenant, external_ref__startswith="BENCH-").order_by("external_ref")
        )
        assert [c.external_ref for c in clones] == [f"BENCH-{n}" for n in range(1, 6)]
        # Taken in turn from the tenant's own partners (by id): 1, 3, 5 from the first, 2, 4 from the second.
        first, second = sorted([partner, other], key=lambda p: p.pk)
        assert (
            clones[0].legal_name == f"{first.legal_name} 1"
            and clones[1].legal_name == f"{second.legal_name} 2"
        )
        copy = next(c for c in clones if c.legal_name.startswith(partner.legal_name + " "))
        assert sorted(copy.revenue.values_list("month", "amount")) == sorted(
            partner.revenue.values_list("month", "amount")
        )
        current = PartnerTier.objects.get(partner=copy)
        assert current.assessment.partner_id == copy.pk  # its own assessment, not the original's
        assert current.assessment.evaluation_date == dt.date(2026, 7, 1)
        line = QuoteLine.objects.get(quote__partner=copy)
        assert line.quote.reference.startswith("DEV-2026-0") and line.quote.reference != "DEV-2026-0001"
        document = Document.objects.get(partner=copy)
        assert document.code != Document.objects.get(partner=partner).code
        admin = Membership.objects.get(partner=copy)
        assert admin.role == Membership.Role.ADMIN
        assert admin.user.email.endswith(f"@{data.bench_email_domain(tenant)}")
        claim = Claim.objects.get(partner=copy)
        assert claim.claimed_by == admin.user  # the partner's own person, not the original's
        assert claim.decided_by == world.a.manager  # the tenant's manager stays
        assert DutyFulfilment.objects.filter(partner=copy).count() == 1
        assert counts["tiers.RevenueEntry"] == 3 * len(
            [c for c in clones if c.legal_name.startswith(partner.legal_name)]
        )
        assert RevenueEntry.objects.filter(tenant=world.b.tenant).count() == tenant_b_rows

        data.bench_tenant_build(tenant=tenant, partners=2)
        assert data.bench_partner_count(tenant=tenant) == 2
        assert Membership.objects.filter(partner__external_ref__startswith="BENCH-").count() == 2
        assert User.objects.filter(email__endswith=data.bench_email_domain(tenant)).count() == 5  # kept
        assert RevenueEntry.objects.filter(tenant=tenant).count() == 3 * 2  # the original's and one copy's

        data.bench_tenant_drop(tenant=tenant)
        assert data.bench_partner_count(tenant=tenant) == 0
        assert RevenueEntry.objects.filter(tenant=tenant).count() == 3
        assert PartnerTier.objects.get(partner=partner).assessment.partner_id == partner.pk


def test_the_session_made_for_the_bench_signs_the_partner_in_on_its_tenant_only(world):
    cookie = serve.session_cookie(user=world.a.admin, tenant=world.a.tenant)
    client = Client(HTTP_HOST=host_of(world.a.tenant))
    client.cookies.load(cookie)
    response = client.get(serve.HOME_PATH)
    assert response.status_code == 200
    assert world.a.partner.legal_name in response.content.decode()
    elsewhere = Client(HTTP_HOST=host_of(world.b.tenant))
    elsewhere.cookies.load(cookie)
    assert elsewhere.get(serve.HOME_PATH).status_code == 302  # to the sign-in: bound to tenant A


def _reload_urls():
    importlib.reload(importlib.import_module("partnerportal.bench.urls"))
    importlib.reload(importlib.import_module("partnerportal.urls"))
    clear_url_caches()


@pytest.fixture
def bench_server_urls(settings):
    """The URLs as the bench's server has them (partnerportal.bench.settings)."""
    settings.BENCH_BARE_VIEW = True
    _reload_urls()
    yield
    del settings.BENCH_BARE_VIEW
    _reload_urls()


def test_the_bare_view_does_not_exist_in_the_projects_settings(world, client_for):
    client = client_for(world.a.tenant, world.a.admin)
    assert client.get(serve.BARE_PATH).status_code == 404


def test_the_bench_settings_turn_the_bare_view_on():
    bench_settings = importlib.import_module(serve.BENCH_SETTINGS)
    assert bench_settings.BENCH_BARE_VIEW is True
    assert bench_settings.ROOT_URLCONF == "partnerportal.urls"


def test_the_bare_view_answers_through_the_whole_middleware_stack(bench_server_urls, world, client_for):
    response = client_for(world.a.tenant, world.a.admin).get(serve.BARE_PATH)
    assert response.status_code == 200 and response.content == b"bare"
    assert "Content-Security-Policy" in response.headers  # the middleware ran
    assert Client(HTTP_HOST="unknown.localhost").get(serve.BARE_PATH).status_code == 404  # tenant first


def test_the_last_line_has_the_issues_format():
    assert serve.pages_line(home=412.46, bare=3517.5) == "pages: home 412 req/s, bare 3518 req/s, ratio 0.12"
    assert serve.pages_line(home=16.64, bare=26.4) == "pages: home 16.6 req/s, bare 26.4 req/s, ratio 0.63"
    pattern = r"pages: home \d+(\.\d)? req/s, bare \d+(\.\d)? req/s, ratio \d+\.\d\d"
    assert re.fullmatch(pattern, serve.pages_line(home=99.99, bare=100.0))


WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:41234/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    35.10ms    4.01ms  60.12ms   80.00%
    Req/Sec   228.10     20.32   260.00     70.00%
  1141 requests in 5.01s, 10.52MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
Requests/sec:    227.74
Transfer/sec:      2.10MB
not-200: 2
"""


def test_wrk_output_is_read_with_the_answers_that_were_not_200():
    result = serve.parse_wrk(WRK_OUTPUT)
    assert (result.requests, result.seconds, result.not_ok, result.socket_errors) == (1141, 5.01, 2, 4)
    assert round(result.per_second, 1) == 227.7
