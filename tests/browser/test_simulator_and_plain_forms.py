"""The simulator of "Mon statut" (with htmx, and from a priced basket), and the portal without JavaScript:
the simulator, a claim, a basket and the language switch work as plain forms (issue 10)."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from .test_journeys import claimable, fr

pytestmark = pytest.mark.browser


def price_a_basket(page) -> None:
    page.get_by_label(fr("Product of row %(n)s", n=1), exact=True).select_option(index=1)
    page.get_by_label(fr("Quantity of row %(n)s", n=1), exact=True).fill("40")
    page.get_by_role("button", name=fr("Calculate")).click()
    expect(page.get_by_role("heading", name=fr("Your prices for this basket"))).to_be_visible()


def test_the_simulator_updates_in_place_and_takes_a_basket(demo, visit):
    partner = visit("partner@dstny.demo", phone=True)
    page = partner.page

    partner.open(reverse("tiers:status"), "status")
    page.get_by_label(fr("Extra revenue per month (€ excl. VAT)")).fill("1500")
    with page.expect_response(
        lambda r: "/status/" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.get_by_role("button", name=fr("Simulate")).click()
    expect(page.locator("#simulator [role=status]")).to_contain_text("1\u00a0500,00\u00a0€")
    expect(page).to_have_url(re.compile(r"/status/\?extra=1500"))  # the result has its own address
    partner.check("status, simulated")

    # A basket priced in the calculator, turned monthly, goes to the simulator.
    partner.open(reverse("promos:quote-calculator"), "quote calculator")
    price_a_basket(page)
    page.get_by_role(
        "link", name=fr("When would this basket, signed every month, take me to the next tier?")
    ).click()
    expect(page).to_have_url(re.compile(r"/status/\?extra=\d+\.\d\d#simulator"))
    expect(page.locator("#simulator [role=status]")).to_be_visible()
    partner.check("status, a basket simulated")


def test_without_javascript_the_forms_still_work(demo, visit):
    partner = visit("partner@dstny.demo", javascript=False)
    page = partner.page

    partner.open(reverse("tiers:status"), "status")
    page.get_by_label(fr("Extra revenue per month (€ excl. VAT)")).fill("1 500,50")
    page.get_by_role("button", name=fr("Simulate")).click()
    expect(page.locator("#simulator [role=status]")).to_contain_text("1\u00a0500,50\u00a0€")
    partner.check("status, simulated")

    benefit = claimable(demo.partner, requires_approval=False)
    partner.open(reverse("benefits:benefit-list"), "benefits")
    item = (
        page.get_by_role("listitem")
        .filter(has_text=benefit.title)
        .filter(has=page.get_by_role("button", name=fr("Claim")))
    )
    item.get_by_role("button", name=fr("Claim")).click()
    expect(page.get_by_role("row").filter(has_text=benefit.title).first).to_be_visible()
    partner.check("benefits, claimed")

    partner.open(reverse("promos:quote-calculator"), "quote calculator")
    price_a_basket(page)
    partner.check("quote calculated")

    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    partner.check("in English")
