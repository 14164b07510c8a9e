"""A saved quote as a PDF (promos/pdf.py, QuotePdfView): its lines and totals read back, the partner's own only."""

import datetime as dt
import io

import pytest
import time_machine
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled
from pypdf import PdfReader

from promos import services
from tests.partnerportal.factories import MembershipFactory
from tiers.models import RevenueCategory

from .factories import PRICED_ON, quarter_revenue

NOW = dt.datetime(2026, 11, 15, 10, 0, tzinfo=dt.UTC)  # PRICED_ON, in the morning


@pytest.fixture(autouse=True)
def _priced_on():
    assert NOW.date() == PRICED_ON
    with time_machine.travel(NOW, tick=False):
        yield


def save_quote(partner, by, *, quantities, flags=(), title=""):
    with scopes_disabled():  # test data, written outside a request
        return services.quote_create(
            partner=partner, by=by, quantities=list(quantities), flags=list(flags), title=title
        )


def pdf_of(response) -> PdfReader:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


def text_of(reader: PdfReader) -> str:
    """The PDF's text with its line breaks and runs of spaces made single spaces."""
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def euros(amount: str, language: str = "fr") -> str:
    """An amount as the quote prints it in ``language``, spaces normalised like ``text_of``."""
    with translation.override(language):
        return " ".join(f"{floatformat(amount, '2g')} €".split())


def url(quote) -> str:
    return reverse("promos:quote-pdf", args=[quote.pk])


@pytest.fixture
def operator(seed, world):
    """An Opérateur at Business with the quarter's revenue: the FAS migration promotion is open to it."""
    partner = seed.partner("operator", tier="business", legal_name="Opérateur Provence SARL")
    quarter_revenue(partner, "1500.00", category=RevenueCategory.RECURRING)
    return partner


def test_the_quote_downloads_as_a_pdf_with_its_lines_promotions_and_totals(seed, world, client_for, operator):
    person = MembershipFactory(partner=operator, user__email="admin@operator.test").user
    quote = save_quote(
        operator,
        person,
        quantities=[("FAS", 1), ("SIP-TOUCH", 1)],
        flags=["migration-vga"],
        title="Migration VGA : mairie",
    )

    response = client_for(world.a.tenant, person).get(url(quote))

    assert response["Content-Disposition"] == f'attachment; filename="{quote.reference}.pdf"'
    reader = pdf_of(response)
    text = text_of(reader)
    assert reader.attachments == {}
    assert len(reader.pages) == 1
    assert quote.reference in text and "Opérateur Provence SARL" in text and "Migration VGA : mairie" in text
    assert "Frais d'accès aux services" in text and "SIP Trunk Touch" in text
    assert seed.promotions["fas-migration-vga"].title in text  # the promotion applied to the FAS line
    assert "Projet de migration d'un parc VGA" in text  # the order's flag, by its name
    assert euros("120.00") in text and euros("0.00") in text  # the FAS: its list price, then free
    assert euros("22.00") in text  # the monthly total: SIP Trunk Touch at the Opérateur's list price
    assert "15 novembre 2026" in text  # priced on, in the reader's language


def test_the_pdf_is_in_the_readers_language(seed, world, client_for, operator):
    person = MembershipFactory(
        partner=operator, user__email="reader@operator.test", user__preferred_language="en"
    ).user
    quote = save_quote(operator, person, quantities=[("FAS", 1), ("SIP-TOUCH", 1)], flags=["migration-vga"])

    text = text_of(pdf_of(client_for(world.a.tenant, person).get(url(quote))))

    assert "Monthly total excl. VAT" in text and "November 15, 2026" in text
    assert euros("22.00", "en") in text


def test_the_partners_text_is_printed_as_text_and_fetches_nothing(seed, world, client_for):
    hostile = '<img src="file:///etc/passwd"><link rel=attachment href="file:///proc/self/environ">'
    with scopes_disabled():
        world.a.partner.legal_name = hostile
        world.a.partner.save(update_fields=["legal_name"])
    quote = save_quote(
        world.a.partner,
        world.a.admin,
        quantities=[("SIP-TOUCH", 1)],
        title="@import url(http://169.254.169.254/);",
    )

    reader = pdf_of(client_for(world.a.tenant, world.a.admin).get(url(quote)))

    text = "".join(text_of(reader).split())  # without spaces: the narrow column wraps the name at its slashes
    assert reader.attachments == {}
    assert "".join(hostile.split()) in text and "@importurl(http://169.254.169.254/);" in text
    assert "root:" not in text


@pytest.mark.parametrize("intruder", ["other_partner", "other_tenant"])
def test_another_partners_quote_is_not_found(seed, world, client_for, intruder):
    quote = save_quote(world.a.partner, world.a.admin, quantities=[("SIP-TOUCH", 1)])
    tenant, user = (
        (world.a.tenant, world.a.other_admin)
        if intruder == "other_partner"
        else (world.b.tenant, world.b.admin)
    )

    assert client_for(tenant, user).get(url(quote)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(seed, world, client_for):
    quote = save_quote(world.a.partner, world.a.admin, quantities=[("SIP-TOUCH", 1)])

    response = client_for(world.a.tenant).get(url(quote))

    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_the_detail_page_links_to_the_pdf(seed, world, client_for):
    quote = save_quote(world.a.partner, world.a.admin, quantities=[("SIP-TOUCH", 1)])

    response = client_for(world.a.tenant, world.a.sales).get(reverse("promos:quote-detail", args=[quote.pk]))

    assert f'href="{url(quote)}"' in response.content.decode()


def test_the_query_count_does_not_grow_with_the_lines(
    seed, world, client_for, operator, django_assert_max_num_queries
):
    person = MembershipFactory(partner=operator, user__email="admin@operator.test").user
    quote = save_quote(
        operator,
        person,
        quantities=[("FAS", 1), ("SIP-TOUCH", 1), ("SIP-CANAL", 6), ("PORTABILITE", 12)],
        flags=["migration-vga"],
    )
    client = client_for(world.a.tenant, person)

    # Host, session, user and membership (middleware); the quote with its tier and author, its lines, its
    # tenant (the logo and colours), the order flags' names, its partner (the address).
    with django_assert_max_num_queries(9):
        response = client.get(url(quote))
    assert len(pdf_of(response).pages) == 1
