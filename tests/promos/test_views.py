"""Promotions & devis (promos/views.py): the promotions, the calculator, saving quotes, the list, the detail."""

import datetime as dt
import re
from decimal import Decimal
from html import escape

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django_scopes import scopes_disabled

from promos import services
from promos.effects import Effect, stored_effect
from promos.models import Quote, QuoteLine
from tests.benefits.factories import assess
from tests.partnerportal.factories import MembershipFactory
from tiers.models import RevenueCategory

from .factories import PRICED_ON, ProductFactory, ProductPriceFactory, quarter_revenue

CALCULATOR = reverse("promos:quote-calculator")
LIST = reverse("promos:quote-list")
NOW = dt.datetime(2026, 11, 15, 10, 0, tzinfo=dt.UTC)  # PRICED_ON, in the morning


@pytest.fixture(autouse=True)
def _priced_on():
    assert NOW.date() == PRICED_ON
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def client(world, client_for):
    return client_for(world.a.tenant, world.a.sales)


def at_tier(seed, partner, tier: str):
    assess(partner, seed.tiers[tier], dt.date(2026, 7, 1))
    return partner


def basket(*rows, action="calculate", flags=(), title="", total=None) -> dict:
    """The calculator's POST: ``rows`` of (product code, quantity) in the formset's first rows."""
    data = {
        "lines-TOTAL_FORMS": str(total if total is not None else max(5, len(rows))),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "60",
        "action": action,
        "title": title,
        "flags": list(flags),
    }
    for i, (code, quantity) in enumerate(rows):
        data[f"lines-{i}-product"] = code
        data[f"lines-{i}-quantity"] = str(quantity)
    return data


def section(page: str, anchor: str) -> str:
    """The HTML of the ``<section id=anchor>`` of the page ("" when there is none)."""
    match = re.search(rf'<section[^>]*id="{anchor}".*?</section>', page, re.S)
    return match.group(0) if match else ""


def line_of(page: str, name: str) -> str:
    """The result's row of the product ``name``."""
    match = re.search(
        rf'<tr class="quote-line[^"]*">\s*<th[^>]*>{re.escape(escape(name))}.*?</tr>', page, re.S
    )
    assert match, f"no line for {name!r}"
    return match.group(0)


def quotes() -> list[Quote]:
    with scopes_disabled():
        return list(Quote.objects.order_by("pk"))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def save_quote(partner, by, title, quantities=(("SIP-TOUCH", 1), ("SIP-CANAL", 5))) -> Quote:
    with scopes_disabled():  # test data, written outside a request
        return services.quote_create(partner=partner, by=by, quantities=list(quantities), title=title)


# --- the promotions ----------------------------------------------------------------------------------------


def test_the_page_lists_the_promotions_open_within_reach_and_with_the_next_tier(seed, world, client):
    partner = at_tier(seed, world.a.partner, "business")
    quarter_revenue(partner, "450.00")  # below the Business promos' 600 € of orders

    response = client.get(CALCULATOR)
    page = response.content.decode()

    assert response.status_code == 200
    assert escape(str(partner)) in page  # the isolation walker's marker (url_cases.py)
    now, reach, next_tier = (
        section(page, "promotions-now"),
        section(page, "promotions-within-reach"),
        section(page, "promotions-next-tier"),
    )
    starter = ["sip-touch-1999", "data-voip-10", "vm-voip-30"]
    for code in starter:
        assert escape(seed.promotions[code].title) in now
    business = seed.promotions["porta-business-amb"]
    assert escape(business.title) in reach and escape(business.title) not in now
    assert "450,00\xa0€" in reach and "600,00\xa0€" in reach  # the quarter's orders against the minimum
    assert "juillet 2026" in reach and "septembre 2026" in reach  # the quarter they were counted on
    premium = seed.promotions["porta-premium-amb"]
    assert escape(premium.title) in next_tier and "800,00\xa0€" in next_tier
    # An Opérateur's promotions are not an Ambassadeur's, at any tier.
    assert escape(seed.promotions["porta-premium-ope"].title) not in page
    assert escape(seed.promotions["sdsl-premium"].title) not in page


def test_a_promotion_whose_condition_is_met_is_open_with_its_figure(seed, world, client):
    partner = at_tier(seed, world.a.partner, "business")
    quarter_revenue(partner, "600.00")  # exactly the minimum

    page = client.get(CALCULATOR).content.decode()

    now = section(page, "promotions-now")
    business = seed.promotions["porta-business-amb"]
    assert escape(business.title) in now and "600,00\xa0€" in now
    assert section(page, "promotions-within-reach") == ""


def test_at_the_highest_tier_nothing_is_left_to_unlock(seed, world, client):
    at_tier(seed, world.a.partner, "premium")

    page = client.get(CALCULATOR).content.decode()

    assert section(page, "promotions-next-tier") == ""
    assert escape(seed.promotions["porta-premium-amb"].title) in section(page, "promotions-within-reach")


# --- calculating --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("channels", "price"), [(4, "27,00\xa0€"), (5, "19,99\xa0€")])
def test_calculate_prices_the_basket_and_saves_nothing(seed, world, client, channels, price):
    at_tier(seed, world.a.partner, "starter")

    response = client.post(CALCULATOR, basket(("SIP-TOUCH", 1), ("SIP-CANAL", channels)))
    page = response.content.decode()

    assert response.status_code == 200
    result = section(page, "result")
    touch = line_of(result, "SIP Trunk Touch")
    assert f'<td class="num quote-line__price" data-label="{_label(touch)}">{price}</td>' in touch
    monthly = Decimal(price.removesuffix("\xa0€").replace(",", ".")) + channels * Decimal("1.50")
    assert f"{monthly:.2f}\xa0€".replace(".", ",") in result
    if channels == 5:
        assert escape(seed.promotions["sip-touch-1999"].title) in touch
        assert "19,99\xa0€" in touch and "27,00\xa0€" in touch  # the effect: 19,99 € instead of 27,00 €
    else:
        assert escape(seed.promotions["sip-touch-1999"].title) not in touch
    assert quotes() == []
    # The rows are still filled in, to adjust the basket.
    assert '<option value="SIP-TOUCH" selected>' in page


def _label(row: str) -> str:
    return re.search(r'class="num quote-line__price" data-label="([^"]*)"', row).group(1)


def test_a_percentage_shows_as_a_percentage_and_totals_stay_apart(seed, world, client):
    at_tier(seed, world.a.partner, "starter")

    response = client.post(
        CALCULATOR, basket(("VOIP-LIGNE", 2), ("FIBRE-100M", 1), ("VM-S", 1), ("PORTABILITE", 3))
    )
    result = section(response.content.decode(), "result")

    fibre = line_of(result, "Fibre dédiée FTTO 100 Mb/s")
    assert "−10 %" in fibre and "351,00\xa0€" in fibre  # 390 € less 10 %
    vm = line_of(result, "Machine virtuelle S (2 vCPU, 4 Go)")
    assert "−30 %" in vm and "24,50\xa0€" in vm
    # Monthly: 2 × 15 + 351 + 24.50; one-off: 3 numbers at 9 €.
    assert "405,50\xa0€" in result and "27,00\xa0€" in result
    assert "49,50\xa0€ par mois" in result  # saved: 39 € on the fibre and 10.50 € on the VM, nothing one-off


def test_an_operator_gets_its_flag_and_subscription_promotions(seed, world, client_for):
    operator = seed.partner("operator", tier="business")
    quarter_revenue(operator, "1500.00", category=RevenueCategory.RECURRING)
    person = MembershipFactory(partner=operator, user__email="admin@operator.test").user

    response = client_for(world.a.tenant, person).post(
        CALCULATOR,
        basket(("SIP-VOLUME", 1), ("SIP-CANAL", 30), ("FAS", 1), flags=["migration-vga"]),
    )
    result = section(response.content.decode(), "result")

    assert response.status_code == 200
    assert "0,50\xa0€" in line_of(result, "Canal SIP Trunk")
    fas = line_of(result, "Frais d'accès aux services")
    assert escape(seed.promotions["fas-migration-vga"].title) in fas
    assert "0,00\xa0€" in fas and "120,00\xa0€" in fas  # waived: 0,00 € instead of 120,00 €
    assert "115,00\xa0€" in result  # 100 € + 30 × 0.50 €
    assert quotes() == []


# --- saving ------------------------------------------------------------------------------------------------


def test_save_creates_the_quote_with_its_lines_and_opens_it(seed, world, client):
    at_tier(seed, world.a.partner, "starter")

    response = client.post(
        CALCULATOR, basket(("SIP-TOUCH", 1), ("SIP-CANAL", 5), action="save", title="Mairie de Vals")
    )

    [quote] = quotes()
    assert response.status_code == 302
    assert response["Location"] == reverse("promos:quote-detail", args=[quote.pk])
    assert quote.partner == world.a.partner and quote.created_by == world.a.sales
    assert quote.title == "Mairie de Vals" and quote.monthly_total == Decimal("27.49")
    with scopes_disabled():
        lines = list(QuoteLine.objects.filter(quote=quote).order_by("position"))
    assert [(line.code, line.quantity, line.unit_price) for line in lines] == [
        ("SIP-TOUCH", 1, Decimal("19.99")),
        ("SIP-CANAL", 5, Decimal("1.50")),
    ]
    assert any(quote.reference in message for message in messages_of(response))

    detail = client.get(response["Location"]).content.decode()
    touch = line_of(detail, "SIP Trunk Touch")
    assert escape(seed.promotions["sip-touch-1999"].title) in touch
    assert "19,99\xa0€" in touch and "27,00\xa0€" in touch
    assert "Mairie de Vals" in detail and quote.reference in detail and "27,49\xa0€" in detail


def _foreign_product(world):
    product = ProductFactory(tenant=world.b.tenant, code="B-ONLY")
    ProductPriceFactory(product=product, partner_type=world.b.partner_type)
    return "B-ONLY"


BAD_BASKETS = {
    "quantity zero": lambda w: basket(("SIP-TOUCH", 0)),
    "negative quantity": lambda w: basket(("SIP-TOUCH", -3)),
    "quantity not a number": lambda w: basket(("SIP-TOUCH", "abc")),
    "decimal quantity": lambda w: basket(("SIP-TOUCH", "2.5")),
    "quantity too large": lambda w: basket(("SIP-TOUCH", 100_001)),
    "product without quantity": lambda w: basket(("SIP-TOUCH", "")),
    "quantity without product": lambda w: basket(("", 3)),
    "unknown product": lambda w: basket(("NOPE", 1)),
    "another tenant's product": lambda w: basket((_foreign_product(w), 1)),
    "a product not sold to the partner's type": lambda w: basket(("SIP-VOLUME", 1)),
    "empty basket": lambda w: basket(),
    "two rows adding up to too much": lambda w: basket(("SIP-CANAL", 60_000), ("SIP-CANAL", 50_000)),
    "unknown flag": lambda w: basket(("SIP-TOUCH", 1), flags=["nope"]),
    "title too long": lambda w: basket(("SIP-TOUCH", 1), title="x" * 151),
    "too many rows": lambda w: basket(("SIP-TOUCH", 1), total=61),
    "no management form": lambda w: {"action": "save", "lines-0-product": "SIP-TOUCH"},
}


@pytest.mark.parametrize("action", ["calculate", "save"])
@pytest.mark.parametrize("case", sorted(BAD_BASKETS))
def test_a_bad_basket_gives_a_form_error_and_saves_nothing(seed, world, client, case, action):
    at_tier(seed, world.a.partner, "starter")
    data = BAD_BASKETS[case](world) | {"action": action}

    response = client.post(CALCULATOR, data)
    page = response.content.decode()

    assert response.status_code == 400
    assert 'class="errorlist' in page and 'id="result"' in page  # the errors, where the page scrolls to
    assert section(page, "result") == ""  # no prices
    assert quotes() == []
    # "Save" lands at the top of the page: a message there says the quote is not saved.
    assert len(messages_of(response)) == (1 if action == "save" else 0)


def test_the_error_is_at_the_row_at_fault(seed, world, client):
    response = client.post(CALCULATOR, basket(("SIP-TOUCH", 2), ("NOPE", 1)))
    page = response.content.decode()
    rows = re.split(r'<div class="basket__row(?=[ "])', page.split('id="basket-rows"')[1])[1:]

    assert rows[0].startswith('">') and "errorlist" not in rows[0]
    assert rows[1].startswith(' has-errors">') and "errorlist" in rows[1]
    assert "errorlist" not in rows[2]


def test_more_rows_keeps_what_was_entered(seed, world, client):
    data = basket(
        ("SIP-TOUCH", 3), ("FIBRE-100M", 1), action="more_rows", flags=["migration-vga"], title="Gare"
    )

    response = client.post(CALCULATOR, data)
    page = response.content.decode()

    assert response.status_code == 200
    assert 'name="lines-TOTAL_FORMS" value="10"' in page
    assert page.count('name="lines-9-product"') == 1 and 'name="lines-10-product"' not in page
    assert '<option value="SIP-TOUCH" selected>' in page and 'name="lines-0-quantity" value="3"' in page
    assert '<option value="FIBRE-100M" selected>' in page and 'name="lines-1-quantity" value="1"' in page
    assert 'value="migration-vga"' in page and "checked" in page and 'value="Gare"' in page
    assert section(page, "result") == "" and 'class="errorlist' not in page
    assert quotes() == []


def test_the_product_list_is_the_partners_price_list(seed, world, client):
    page = client.get(CALCULATOR).content.decode()

    assert '<option value="SIP-TOUCH">' in page
    assert "27,00\xa0€" in page  # the Ambassadeur's list price, in the option
    assert '<option value="SIP-VOLUME"' not in page  # sold to Opérateurs only


# --- the quotes --------------------------------------------------------------------------------------------


def test_the_list_shows_only_the_partners_own_quotes(seed, world, client):
    own = save_quote(world.a.partner, world.a.admin, "Cabinet Morel")
    save_quote(world.a.other_partner, world.a.other_admin, "Groupe scolaire")

    response = client.get(LIST)
    page = response.content.decode()

    assert response.status_code == 200
    assert "Cabinet Morel" in page and own.reference in page
    assert reverse("promos:quote-detail", args=[own.pk]) in page
    assert "Groupe scolaire" not in page
    assert "Admin Azur" in page  # who saved it


@pytest.mark.parametrize("intruder", ["other_partner", "other_tenant"])
def test_another_partners_quote_is_not_found(seed, world, client_for, intruder):
    quote = save_quote(world.a.partner, world.a.admin, "Cabinet Morel")
    tenant, user = (
        (world.a.tenant, world.a.other_admin)
        if intruder == "other_partner"
        else (world.b.tenant, world.b.admin)
    )

    response = client_for(tenant, user).get(reverse("promos:quote-detail", args=[quote.pk]))

    assert response.status_code == 404


def test_the_detail_shows_the_flags_and_totals_it_was_saved_with(seed, world, client_for):
    operator = seed.partner("operator", tier="business")
    quarter_revenue(operator, "1500.00", category=RevenueCategory.RECURRING)
    person = MembershipFactory(partner=operator, user__email="admin@operator.test").user
    with scopes_disabled():
        quote = services.quote_create(
            partner=operator, by=person, quantities=[("FAS", 1), ("SIP-TOUCH", 1)], flags=["migration-vga"]
        )

    response = client_for(world.a.tenant, person).get(reverse("promos:quote-detail", args=[quote.pk]))
    page = response.content.decode()

    assert response.status_code == 200
    assert "Projet de migration d&#x27;un parc VGA" in page and quote.reference in page
    fas = line_of(page, "Frais d'accès aux services")
    assert escape(seed.promotions["fas-migration-vga"].title) in fas
    assert "0,00\xa0€" in fas and "120,00\xa0€" in fas
    assert "22,00\xa0€" in page  # the monthly total: SIP Trunk Touch at the Opérateur's list price


def test_a_stored_effect_is_read_back_or_shown_as_saved():
    percent = {"title": "A", "kind": "percent", "before": "24.30", "after": "21.87", "percent": "10"}
    assert stored_effect(percent) == Effect("A", "percent", Decimal("24.30"), Decimal("21.87"), Decimal("10"))
    price = {"title": "B", "kind": "price", "before": "27.00", "after": "19.99", "percent": None}
    assert stored_effect(price) == Effect("B", "price", Decimal("27.00"), Decimal("19.99"))
    assert stored_effect(
        {"title": "C", "kind": "price", "before": "x", "effect": "19.99 instead of 27.00"}
    ) == (Effect("C", "", text="19.99 instead of 27.00"))


# --- query counts ------------------------------------------------------------------------------------------


def test_the_calculator_query_count_does_not_grow_with_the_promotions(
    seed, world, client, django_assert_max_num_queries
):
    partner = at_tier(seed, world.a.partner, "business")
    quarter_revenue(partner, "600.00")

    # Host, session, user and membership (middleware); the partner's tenant, its tier, the next tier, the
    # promotions and their rules, the grading policy and the quarter's revenue (the standing); the catalogue
    # and the order flags (the form).
    with django_assert_max_num_queries(13):
        response = client.get(CALCULATOR)
    assert response.status_code == 200

    # The same, and the engine's own reads of the catalogue, the flags and the product codes.
    with django_assert_max_num_queries(16):
        response = client.post(CALCULATOR, basket(("SIP-TOUCH", 1), ("SIP-CANAL", 5), ("PORTABILITE", 12)))
    assert response.status_code == 200


def test_the_list_query_count_does_not_grow_with_the_quotes(
    seed, world, client, django_assert_max_num_queries
):
    for n in range(20):
        save_quote(world.a.partner, world.a.admin, f"Quote {n}")

    # Host, session, user and membership; the quotes counted, and one page of them with tiers and authors.
    with django_assert_max_num_queries(6):
        response = client.get(LIST)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="?page=2"' in page  # paginated: 15 a page
    assert "Quote 19" in page and "Quote 4" not in page
