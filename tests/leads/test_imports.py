"""The lead import: all or nothing, every bad line named with its field and value, the revenue import's
reading rules (encodings, delimiters, decimal comma, formulas refused, size limits)."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse

from leads.imports import leads_import
from leads.models import Lead
from partnerportal.tenancy import tenant_scope

from .factories import ProductLineFactory

HEADER = (
    "customer;contact_name;contact_email;contact_phone;postal_code;city;product_lines;monthly_value;source\n"
)


@pytest.fixture
def a(world):
    with tenant_scope(world.a.tenant):
        ProductLineFactory(tenant=world.a.tenant, code="sip-trunk")
        ProductLineFactory(tenant=world.a.tenant, code="data")
        yield world.a


def run(setup, text: str, encoding="utf-8", **kwargs):
    return leads_import(tenant=setup.tenant, stream=io.BytesIO(text.encode(encoding)), **kwargs)


def test_a_good_file_in_windows_1252_with_decimal_commas(a):
    text = HEADER + (
        "Crêperie Le Bihan;Maëlle Le Bihan;m@creperie.test;02 99 00 00 01;35 000;Rennes;sip-trunk|data;1 234,50;website\n"
        "\n"
        "Garage Océan;Jean Roux;;;20090;Ajaccio;;99;Event\n"
    )
    result = run(a, text, encoding="cp1252", by=a.manager)
    assert result.ok, [str(e) for e in result.errors]
    leads = list(Lead.objects.filter(tenant=a.tenant).order_by("pk"))
    assert [(x.customer, x.departement, x.region, x.monthly_value, x.source) for x in leads] == [
        ("Crêperie Le Bihan", "35", "Bretagne", Decimal("1234.50"), "website"),
        ("Garage Océan", "2A", "Corse", Decimal("99"), "event"),
    ]
    assert sorted(leads[0].product_lines.values_list("code", flat=True)) == ["data", "sip-trunk"]
    assert leads[0].postal_code == "35000"  # stored as the column holds it (5 characters), not as typed
    assert all(x.state == Lead.State.NEW and x.created_by == a.manager for x in leads)


def test_a_file_with_bad_lines_is_rejected_whole_each_line_named(a):
    text = (
        "customer,contact_name,contact_email,contact_phone,postal_code,city,product_lines,monthly_value,source\n"
        "Good SARL,Ann Good,a@good.test,,35000,Rennes,data,100,website\n"
        "Bad One,,not-an-email,,99999,Nowhere,fax,12.345,carrier pigeon\n"
        "=HYPERLINK(1),Bob,,,35000,Rennes,,-5,website\n"
        "Short,line\n"
    )
    result = run(a, text)
    assert not result.ok
    assert Lead.objects.filter(tenant=a.tenant).count() == 0
    texts = [str(e) for e in result.errors]
    assert [(e.line, e.code) for e in result.errors] == [
        (3, "empty"),
        (3, "bad_email"),
        (3, "bad_postal_code"),
        (3, "unknown_product_line"),
        (3, "bad_value"),
        (3, "unknown_source"),
        (4, "formula"),
        (4, "negative_value"),
        (5, "column_count"),
    ]
    joined = "\n".join(e.message for e in result.errors)
    for shown in (
        "contact_name",
        "'not-an-email'",
        "'99999'",
        "'fax'",
        "'12.345'",
        "'carrier pigeon'",
        "'=HYPERLINK(1)'",
    ):
        assert shown in joined
    assert texts[0].startswith(("line 3", "ligne 3"))


def test_limits_and_header(a, settings):
    settings.LEAD_IMPORT_MAX_BYTES = 100
    assert [e.code for e in run(a, HEADER + "x;" * 60).errors] == ["file_too_large"]
    assert [e.code for e in run(a, "x", size=101).errors] == ["file_too_large"]
    settings.LEAD_IMPORT_MAX_BYTES = 10_000
    settings.LEAD_IMPORT_MAX_LINES = 1
    line = "A;B;;;35000;Rennes;;1;website\n"
    assert [e.code for e in run(a, HEADER + line * 2).errors] == ["too_many_lines"]
    assert [e.code for e in run(a, "customer;city\nA;B\n").errors] == ["missing_columns"]
    assert [e.code for e in run(a, HEADER).errors] == ["no_lines"]
    assert Lead.objects.filter(tenant=a.tenant).count() == 0


def test_the_back_office_upload(world, client_for):
    with tenant_scope(world.a.tenant):
        ProductLineFactory(tenant=world.a.tenant, code="data")
    client = client_for(world.a.tenant, world.a.manager)
    url = reverse("admin:leads_lead_import")
    bad = io.BytesIO((HEADER + "A;B;;;35000;Rennes;data;abc;website\n").encode())
    bad.name = "leads.csv"
    response = client.post(url, {"file": bad})
    assert response.status_code == 400 and "&#x27;abc&#x27;" in response.content.decode()
    good = io.BytesIO((HEADER + "A;B;;;35000;Rennes;data;12;website\n").encode())
    good.name = "leads.csv"
    assert client.post(url, {"file": good}).status_code == 302
    assert Lead.objects.with_scopes_disabled().filter(tenant=world.a.tenant).count() == 1
    assert Lead.objects.with_scopes_disabled().filter(tenant=world.b.tenant).count() == 0
