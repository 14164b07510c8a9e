"""Promotions & devis with htmx (promos/views.py): the basket re-prices as it is edited and the answer is
the result alone; "More rows" answers the basket card, "Save" sends the browser to the quote; the plain
form posts still answer the whole page; a bad basket comes back as errors named row by row."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from .factories import PRICED_ON, quarter_revenue
from .test_views import BAD_BASKETS, at_tier, basket, line_of, quotes

CALCULATOR = reverse("promos:quote-calculator")
NOW = dt.datetime(2026, 11, 15, 10, 0, tzinfo=dt.UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _priced_on():
    assert NOW.date() == PRICED_ON
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def client(world, client_for):
    return client_for(world.a.tenant, world.a.sales)


def live(data: dict) -> dict:
    """The POST htmx sends on a change: the form's fields, no button (so no "action")."""
    return {key: value for key, value in data.items() if key != "action"}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_form_reprices_on_change_with_htmx_and_stays_a_plain_form(seed, world, client):
    page = client.get(CALCULATOR).content.decode()
    form = re.search(r'<form[^>]*id="basket-form"[^>]*>', page).group(0)

    assert f'action="{CALCULATOR}#result"' in form and 'method="post"' in form
    assert f'hx-post="{CALCULATOR}"' in form and 'hx-target="#quote-result"' in form
    assert "change delay:" in form and "submit" in form and 'hx-sync="this:replace"' in form
    assert '<div class="quote-result" id="quote-result" aria-live="polite"' in page
    assert "hx-on" not in page


def test_a_change_answers_the_result_alone(seed, world, client):
    at_tier(seed, world.a.partner, "starter")

    response = client.post(CALCULATOR, live(basket(("SIP-TOUCH", 1), ("SIP-CANAL", 5))), headers=HTMX)
    page = response.content.decode()

    assert response.status_code == 200 and "<html" not in page and "HX-Request" in response["Vary"]
    assert page.count('id="result"') == 1 and 'id="basket-form"' not in page
    assert 'id="promotions-now"' not in page  # the promotions are not read again for the result
    touch = line_of(page, "SIP Trunk Touch")
    assert "19,99\xa0€" in touch and "27,00\xa0€" in touch
    assert "27,49\xa0€" in page  # 19,99 + 5 × 1,50 a month
    assert quotes() == []


def test_the_result_is_in_the_readers_language(seed, world, client):
    at_tier(seed, world.a.partner, "starter")
    client.cookies["django_language"] = "en"  # the language switch's choice

    page = client.post(
        CALCULATOR, live(basket(("SIP-TOUCH", 1), ("SIP-CANAL", 5))), headers=HTMX
    ).content.decode()

    assert "€19.99" in page and "€27.49" in page and "€7.01 per month" in page
    assert "November 15, 2026" in page


def test_the_plain_post_on_the_same_url_still_answers_the_page(seed, world, client):
    at_tier(seed, world.a.partner, "starter")

    response = client.post(CALCULATOR, basket(("SIP-TOUCH", 1)))

    assert response.status_code == 200 and "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("action", ["calculate", "save", None])
@pytest.mark.parametrize("case", sorted(BAD_BASKETS))
def test_a_bad_basket_answers_its_errors_in_the_result(seed, world, client, case, action):
    at_tier(seed, world.a.partner, "starter")
    data = BAD_BASKETS[case](world)
    data = live(data) if action is None else data | {"action": action}

    response = client.post(CALCULATOR, data, headers=HTMX)
    page = response.content.decode()

    # 200: htmx swaps only successful answers (the plain form gets 400, tests/promos/test_views.py).
    assert response.status_code == 200 and "<html" not in page
    assert 'class="card result-card result-card--invalid"' in page and 'class="errorlist' in page
    assert "quote-line" not in page  # no prices
    assert quotes() == [] and messages_of(response) == []
    assert ("Le devis n’est pas enregistré" in page) == (action == "save")


def test_each_rows_error_is_named_by_its_row(seed, world, client):
    response = client.post(
        CALCULATOR, live(basket(("SIP-TOUCH", 2), ("NOPE", 1), ("SIP-CANAL", ""))), headers=HTMX
    )
    page = response.content.decode()

    assert "Ligne 2 : Ce produit ne figure pas dans votre liste de prix." in page
    assert "Ligne 3 : Indiquez un nombre entier de 1 à" in page
    assert "Ligne 1" not in page


def test_more_rows_answers_the_basket_card_with_what_was_entered(seed, world, client):
    data = basket(("SIP-TOUCH", 3), action="more_rows", flags=["migration-vga"], title="Gare")

    response = client.post(CALCULATOR, data, headers=HTMX)
    page = response.content.decode()

    assert response.status_code == 200 and "<html" not in page
    assert response["HX-Retarget"] == "#basket" and response["HX-Reswap"] == "outerHTML"
    assert (
        len(re.findall(r'class="basket__row[ "]', page)) == 10
        and '<option value="SIP-TOUCH" selected>' in page
    )
    assert 'value="Gare"' in page and re.search(r'<input[^>]*value="migration-vga"[^>]*checked', page)
    assert 'id="basket-form"' in page and 'hx-post="' in page  # htmx takes over the new form too


def test_save_with_htmx_sends_the_browser_to_the_saved_quote(seed, world, client):
    at_tier(seed, world.a.partner, "starter")

    response = client.post(CALCULATOR, basket(("SIP-TOUCH", 1), action="save", title="Gare"), headers=HTMX)

    [quote] = quotes()
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("promos:quote-detail", kwargs={"pk": quote.pk})
    assert messages_of(response) == [f"Votre devis {quote.reference} est enregistré."]  # for that page


def test_another_tenants_or_types_product_is_an_error_on_the_htmx_path_too(seed, world, client):
    for case in ("another tenant's product", "a product not sold to the partner's type"):
        response = client.post(CALCULATOR, live(BAD_BASKETS[case](world)), headers=HTMX)
        page = response.content.decode()
        assert "Ce produit ne figure pas dans votre liste de prix." in page and "quote-line" not in page


def test_the_results_query_count_does_not_grow_with_the_basket(
    seed, world, client, django_assert_max_num_queries
):
    partner = at_tier(seed, world.a.partner, "business")
    quarter_revenue(partner, "600.00")

    # Middleware (4); the catalogue and order flags (the form); the standing (tenant, tier, next tier,
    # promotions and rules, grading policy, quarter's revenue) and the engine's reads (catalogue, flags,
    # product codes).
    with django_assert_max_num_queries(16):
        small = client.post(CALCULATOR, live(basket(("SIP-TOUCH", 1))), headers=HTMX)
    with django_assert_max_num_queries(16):
        big = client.post(
            CALCULATOR,
            live(
                basket(
                    ("SIP-TOUCH", 1), ("SIP-CANAL", 5), ("PORTABILITE", 12), ("FIBRE-100M", 1), ("VM-S", 2)
                )
            ),
            headers=HTMX,
        )
    assert small.status_code == big.status_code == 200
    # An invalid basket is answered without pricing: the form's reads only.
    with django_assert_max_num_queries(6):
        assert client.post(CALCULATOR, live(basket(("NOPE", 1))), headers=HTMX).status_code == 200
