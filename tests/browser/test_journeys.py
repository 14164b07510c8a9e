"""The portal and the back-office as people use them, in Chromium: every page checked (no console error,
no failed request, no serious axe-core violation) and photographed (tests/browser/portal.py).

Selectors go by role, label and text, in the words of the French catalogue (``fr`` below), so that a
page rebuilt with other markup, or reworded in the catalogue, is still found.
"""

import io
import re

import pytest
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled
from playwright.sync_api import Locator, expect
from pypdf import PdfWriter

from benefits.models import Benefit, Claim
from benefits.selectors import entitlement_overview
from documents.models import Document
from obligations.models import DutyFulfilment, FulfilmentState
from tests.documents.factories import pdf_text

from .conftest import UPLOAD_DUTY
from .portal import Visitor

pytestmark = pytest.mark.browser


def fr(message: str, **values) -> str:
    """``message`` as the French portal shows it (the catalogues' translation, placeholders filled)."""
    with translation.override("fr"):
        text = str(translation.gettext(message))
    return text % values if values else text


def en(message: str) -> str:
    with translation.override("en"):
        return str(translation.gettext(message))


def label(choice) -> str:
    with translation.override("fr"):
        return str(choice.label)


def a_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def claimable(partner, *, requires_approval: bool) -> Benefit:
    """The first benefit ``partner`` can claim today that does (or does not) wait for a manager."""
    with scopes_disabled():
        overview = entitlement_overview(partner=partner, day=partner.tenant.today())
    return next(
        e.benefit
        for e in overview.claimables
        if e.can_claim and e.benefit.requires_approval == requires_approval
    )


def claim(visitor: Visitor, benefit: Benefit, *, expected: str) -> Locator:
    """Claim ``benefit`` from "Mes avantages"; return the claim's row, checked to be in state ``expected``."""
    page = visitor.page
    visitor.open(reverse("benefits:benefit-list"), "benefits")
    item = (
        page.get_by_role("listitem")
        .filter(has_text=benefit.title)
        .filter(has=page.get_by_role("button", name=fr("Claim")))
    )
    item.get_by_label(fr("Note for your channel manager (optional)")).fill("Pour le salon de mai")
    item.get_by_role("button", name=fr("Claim")).click()
    row = page.get_by_role("row").filter(has_text=benefit.title)
    expect(row.filter(has_text=label(Claim.State(expected)))).to_be_visible()
    visitor.check("benefits, claimed")
    return row


def decide_claim(manager: Visitor, partner, benefit: Benefit, *, state: str, button: str, done: str) -> None:
    """In the back-office's claims, press ``button`` on ``partner``'s claim of ``benefit`` in ``state``."""
    page = manager.page
    manager.open(reverse("admin:benefits_claim_changelist"), "claims")
    row = (
        page.get_by_role("row")
        .filter(has_text=str(partner))
        .filter(has_text=benefit.title)
        .filter(has_text=label(Claim.State(state)))
    )
    row.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_text(fr(done, partner=partner, benefit=benefit))).to_be_visible()
    manager.check("claim decided")


def test_a_partner_uses_the_portal_and_the_manager_reviews_its_claim_and_document(demo, visit):
    partner = visit("partner@dstny.demo", phone=True)
    page = partner.page

    # Every section of the main navigation, then the pages below them.
    nav = page.get_by_role("navigation", name=fr("Main navigation"))
    sections = [(link.inner_text(), link.get_attribute("href")) for link in nav.get_by_role("link").all()]
    assert len(sections) >= 7, sections
    for name, href in sections:
        partner.open(href, name)
    for url_name in ("obligations:plan", "obligations:forecasts", "promos:quote-list", "account_email"):
        partner.open(reverse(url_name), url_name)

    # Claim a benefit the catalogue grants at once (the manager then marks it fulfilled).
    benefit = claimable(demo.partner, requires_approval=False)
    claim_row = claim(partner, benefit, expected=Claim.State.APPROVED)

    # Send the document a duty asks for.
    partner.open(reverse("obligations:duty-list"), "duties")
    page.get_by_role("row").filter(has_text=UPLOAD_DUTY).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(UPLOAD_DUTY)
    partner.check("duty to send")
    evidence = a_pdf()
    # The field's own label ("Document :"), not the upload's progress bar ("Envoi du document").
    page.get_by_label(re.compile(rf"^{re.escape(fr('Document'))}\W*$")).set_input_files(
        files=[{"name": "attestation-rc-pro.pdf", "mimeType": "application/pdf", "buffer": evidence}]
    )
    page.get_by_role("button", name=fr("Send for review")).click()
    expect(page.get_by_text(label(FulfilmentState.SUBMITTED), exact=True).first).to_be_visible()
    partner.check("duty sent")

    # Price a basket of two products, save it as a quote, download its PDF.
    partner.open(reverse("promos:quote-calculator"), "quote calculator")
    for row, quantity in ((1, "12"), (2, "3")):
        product = page.get_by_label(fr("Product of row %(n)s", n=row), exact=True)
        product.select_option(index=row)  # option 0 is "Choose a product…"
        page.get_by_label(fr("Quantity of row %(n)s", n=row), exact=True).fill(quantity)
    page.get_by_role("button", name=fr("Calculate")).click()
    expect(page.get_by_role("heading", name=fr("Your prices for this basket"))).to_be_visible()
    partner.check("quote calculated")
    page.get_by_label(fr("Title of the quote")).fill("Cabinet Le Goff — migration VGA")
    page.get_by_role("button", name=fr("Save the quote")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cabinet Le Goff")
    partner.check("quote saved")
    name, pdf = partner.download(page.get_by_role("link", name=fr("Download the PDF")))
    assert pdf.startswith(b"%PDF-") and "Cabinet Le Goff" in pdf_text(pdf), name

    # Mes documents: the welcome pack.
    partner.open(reverse("documents:document-list"), "documents")
    pack = label(Document.Kind.WELCOME_PACK)
    name, pdf = partner.download(page.get_by_role("link", name=f"{fr('Download')} {pack}"))
    assert pdf.startswith(b"%PDF-") and demo.partner.legal_name in pdf_text(pdf), name

    # English and back, from the top bar.
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(en("My documents"))
    partner.check("documents in English")
    page.get_by_role("button", name="FR", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(fr("My documents"))

    # The manager reviews and approves both in the back-office.
    manager = visit("manager@dstny.demo")
    back = manager.page
    manager.open(reverse("admin:index"), "back-office")
    decide_claim(
        manager,
        demo.partner,
        benefit,
        state=Claim.State.APPROVED,
        button=fr("Fulfil"),
        done="%(partner)s: %(benefit)s fulfilled.",
    )

    manager.open(reverse("admin:obligations_dutyfulfilment_changelist"), "duties to review")
    row = back.get_by_role("row").filter(has_text=str(demo.partner)).filter(has_text=UPLOAD_DUTY)
    name, received = manager.download(row.get_by_role("link", name="attestation-rc-pro.pdf"))
    assert received == evidence, name
    row.get_by_role("button", name=fr("Approve"), exact=True).click()
    approved = fr("Approved: %(duty)s.", duty="@").split("@")[0]
    expect(
        back.get_by_role("listitem").filter(has_text=approved).filter(has_text=UPLOAD_DUTY)
    ).to_be_visible()
    manager.check("duty approved")

    with scopes_disabled():
        assert (
            Claim.objects.filter(partner=demo.partner, benefit=benefit).latest("pk").state
            == Claim.State.FULFILLED
        )
        fulfilment = DutyFulfilment.objects.get(partner=demo.partner, duty=demo.upload_duty)
        assert fulfilment.state == FulfilmentState.APPROVED

    # The partner sees both decisions.
    partner.open(reverse("benefits:benefit-list"), "benefits, fulfilled")
    expect(claim_row.filter(has_text=label(Claim.State.FULFILLED))).to_be_visible()
    partner.open(reverse("obligations:fulfilment-detail", args=[fulfilment.pk]), "duty approved")
    expect(page.get_by_text(label(FulfilmentState.APPROVED), exact=True).first).to_be_visible()


def test_a_premium_partner_claims_a_benefit_and_downloads_its_diploma_which_anyone_can_verify(demo, visit):
    premium = visit("premium@dstny.demo", phone=True)
    page = premium.page
    benefit = claimable(demo.premium, requires_approval=True)
    claim_row = claim(premium, benefit, expected=Claim.State.PENDING)

    premium.open(reverse("documents:document-list"), "documents with a diploma")
    name, pdf = premium.download(page.get_by_role("link", name=fr("Download the diploma")))
    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF-") and demo.premium.legal_name in text and demo.diploma.code in text, name

    manager = visit("manager@dstny.demo")
    decide_claim(
        manager,
        demo.premium,
        benefit,
        state=Claim.State.PENDING,
        button=fr("Approve"),
        done="%(partner)s: %(benefit)s approved.",
    )
    with scopes_disabled():
        assert (
            Claim.objects.filter(partner=demo.premium, benefit=benefit).latest("pk").state
            == Claim.State.APPROVED
        )
    premium.open(reverse("benefits:benefit-list"), "benefits, approved")
    expect(claim_row.filter(has_text=label(Claim.State.APPROVED))).to_be_visible()

    anyone = visit(None, phone=True)
    anyone.open(reverse("documents:verify", args=[demo.diploma.code]), "verification")
    expect(anyone.page.get_by_text(demo.premium.legal_name).first).to_be_visible()
