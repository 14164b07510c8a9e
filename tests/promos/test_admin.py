"""The promotions' back-office (promos/admin.py): the price list, promotions whose rules are validated on
save with their promotion's tenant, read-only quotes, and the calculator managers price baskets with."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from promos import services
from promos.models import Product, ProductPrice, Promotion, PromotionRule, Quote
from tests.promos.factories import (
    PRICED_ON,
    OrderFlagFactory,
    ProductFactory,
    PromotionFactory,
    PromotionRuleFactory,
    quarter_revenue,
)
from tests.tiers.factories import TierFactory

CALCULATOR = reverse("admin:promos_quote_calculator")
PROMOTION_ADD = reverse("admin:promos_promotion_add")
PRODUCT_ADD = reverse("admin:promos_product_add")


@pytest.fixture
def manager(world, client_for):
    return client_for(world.a.tenant, world.a.manager)


@pytest.fixture
def business_ambassador(seed):
    """A Business Ambassadeur with 600 € of orders in the quarter before PRICED_ON: the Business
    portability grid is open to it (more than 10 numbers: 7 €)."""
    partner = seed.partner("ambassador", tier="business")
    quarter_revenue(partner, "600")
    return partner


def quote_for(partner, by=None, basket=(("PORTABILITE", 11),), **kwargs) -> Quote:
    with scopes_disabled():  # test data, priced by the service as the portal would
        return services.quote_create(
            partner=partner, by=by, quantities=list(basket), as_of=PRICED_ON, **kwargs
        )


def other_tenants_quote(world) -> Quote:
    with scopes_disabled():  # test data
        return Quote.objects.create(
            tenant=world.b.tenant,
            partner=world.b.partner,
            reference="DEV-2026-BRAVO",
            priced_on=PRICED_ON,
            monthly_total=Decimal("0"),
            one_off_total=Decimal("9.00"),
        )


def result_pks(response) -> set:
    return {obj.pk for obj in response.context["cl"].result_list}


def assert_not_reachable(response, text: str = "") -> None:
    # Django's admin answers a missing object with a redirect to the index ("does not exist").
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response["Location"] == reverse("admin:index")
    if text:
        assert text not in response.content.decode()


# --- what a manager sees --------------------------------------------------------------------------------


def test_a_manager_sees_the_tenants_catalogue_promotions_and_quotes_only(
    world, seed, manager, business_ambassador
):
    theirs = {
        "product": ProductFactory(tenant=world.b.tenant, code="BRAVO-ONLY", name="Produit Bravo"),
        "orderflag": OrderFlagFactory(tenant=world.b.tenant, code="bravo-flag", name="Drapeau Bravo"),
        "promotion": PromotionFactory(tenant=world.b.tenant, title="Promotion Bravo"),
        "quote": other_tenants_quote(world),
    }
    mine = quote_for(business_ambassador)

    for model, obj in theirs.items():
        response = manager.get(reverse(f"admin:promos_{model}_changelist"))
        assert response.status_code == 200
        assert obj.pk not in result_pks(response)
        assert str(obj) not in response.content.decode()
        for view in ("change", "delete", "history"):
            assert_not_reachable(
                manager.get(reverse(f"admin:promos_{model}_{view}", args=[obj.pk])), str(obj)
            )

    with scopes_disabled():
        assert result_pks(manager.get(reverse("admin:promos_product_changelist"))) == set(
            Product.objects.filter(tenant=world.a.tenant).values_list("pk", flat=True)
        )
    assert result_pks(manager.get(reverse("admin:promos_promotion_changelist"))) == {
        p.pk for p in seed.promotions.values()
    }
    assert result_pks(manager.get(reverse("admin:promos_quote_changelist"))) == {mine.pk}


def test_another_tenants_quote_cannot_be_deleted(world, seed, manager):
    theirs = other_tenants_quote(world)

    manager.post(reverse("admin:promos_quote_delete", args=[theirs.pk]), {"post": "yes"})
    manager.post(
        reverse("admin:promos_quote_changelist"),
        {"action": "delete_selected", "_selected_action": [theirs.pk], "post": "yes"},
    )

    with scopes_disabled():
        assert Quote.objects.filter(pk=theirs.pk).exists()


def test_the_product_list_shows_a_price_column_per_partner_type(
    world, seed, manager, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = manager.get(reverse("admin:promos_product_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "column-price_ambassador" in page and "column-price_operator" in page
    row = next(p for p in response.context["cl"].result_list if p.code == "PORTABILITE")
    assert {p.partner_type_id: p.list_price for p in row.prices.all()} == {
        world.a.partner_type.pk: Decimal("9.00"),
        world.a.operator_type.pk: Decimal("5.00"),
    }


def test_the_promotion_list_reads_in_a_few_queries(seed, manager, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = manager.get(reverse("admin:promos_promotion_changelist"))

    assert response.status_code == 200
    rows = {p.code: p for p in response.context["cl"].result_list}
    assert rows["sip-volume"].rule_count == 2


def test_a_new_product_gets_a_price_row_per_partner_type_and_saves_in_the_tenant(world, seed, manager):
    form = manager.get(PRODUCT_ADD).context["inline_admin_formsets"][0].formset
    assert [f.initial.get("partner_type") for f in form.forms] == [
        world.a.partner_type.pk,
        world.a.operator_type.pk,
    ]
    assert {str(v) for v, _label in form.forms[0].fields["partner_type"].choices if v} == {
        str(world.a.partner_type.pk),
        str(world.a.operator_type.pk),
    }

    response = manager.post(
        PRODUCT_ADD,
        {
            "code": "VM-L",
            "name": "Machine virtuelle L",
            "family": "vm",
            "subfamily": "",
            "unit": "monthly",
            "billing": "monthly",
            "position": "0",
            "is_active": "on",
            "prices-TOTAL_FORMS": "2",
            "prices-INITIAL_FORMS": "0",
            "prices-0-partner_type": world.a.partner_type.pk,
            "prices-0-list_price": "70.00",
            "prices-1-partner_type": world.a.operator_type.pk,
            "prices-1-list_price": "",  # not sold to operators: the untouched row is skipped
        },
    )

    assert response.status_code == 302
    with scopes_disabled():
        product = Product.objects.get(code="VM-L")
        prices = list(ProductPrice.objects.filter(product=product))
    assert product.tenant == world.a.tenant
    assert [(p.tenant, p.partner_type, p.list_price) for p in prices] == [
        (world.a.tenant, world.a.partner_type, Decimal("70.00"))
    ]


# --- promotions and their rules -------------------------------------------------------------------------


def promotion_data(seed, *, code="new-promo", rules=(), **overrides) -> dict:
    """The add page's POST: a Business promotion for Ambassadeurs, with ``rules`` (dicts of fields)."""
    data = {
        "code": code,
        "title": "Nouvelle promotion",
        "description": "",
        "position": "0",
        "is_active": "on",
        "min_tier": seed.tiers["business"].pk,
        "partner_types": [seed.programme.ambassador.pk],
        "valid_from": "",
        "valid_until": "",
        "quarter_basis": "",
        "quarter_minimum": "",
        "stackable": "on",
        "rules-TOTAL_FORMS": str(len(rules)),
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
    }
    for i, rule in enumerate(rules):
        row = {
            "kind": "",
            "position": str(i + 1),
            "targets": "",
            "excluded": "",
            "conditions": "",
            "match": "all",
            "unit_price": "",
            "percent": "",
            "steps": "",
            "unlocked_by": "",
            "flag": "",
            **rule,
        }
        data.update({f"rules-{i}-{name}": value for name, value in row.items()})
    return {**data, **overrides}


def product_pk(tenant, code: str) -> int:
    with scopes_disabled():
        return Product.objects.get(tenant=tenant, code=code).pk


def model_errors(tenant, language: str, **fields) -> dict:
    """What ``PromotionRule.clean()`` says about a rule with ``fields``, in the page's language."""
    rule = PromotionRule(tenant=tenant, **fields)
    with translation.override(language), scopes_disabled():
        try:
            rule.clean()
        except ValidationError as error:
            return error.message_dict
    return {}


BAD_RULES = {
    "a misspelt family in a condition": (
        {
            "kind": "fixed_price",
            "targets": "SIP-TOUCH",
            "unit_price": "19.99",
            "conditions": "quantity chanel > 4",
        },
        "conditions",
        "chanel",
    ),
    "an unknown product code in the targets": (
        {"kind": "percent_off", "targets": "data_link, NO-SUCH-CODE", "percent": "10"},
        "targets",
        "NO-SUCH-CODE",
    ),
    "a percentage rule with a unit price": (
        {"kind": "percent_off", "targets": "vm", "percent": "30", "unit_price": "5.00"},
        "unit_price",
        "",
    ),
    "a grid with a malformed step": (
        {"kind": "price_grid", "targets": "portability", "steps": "10 = 7.00\n30 : 5.00"},
        "steps",
        "30 : 5.00",
    ),
    "an unlocked price with a one-off product": (
        {"kind": "unlocked_price", "targets": "channel", "unit_price": "0.50", "unlocked_by": "PORTABILITE"},
        "unlocked_by",
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_RULES))
def test_a_rule_that_cannot_work_is_refused_with_the_models_message_on_its_field(world, seed, manager, case):
    rule, field, word = BAD_RULES[case]
    posted = {**rule}
    if "unlocked_by" in rule:
        posted["unlocked_by"] = product_pk(world.a.tenant, rule["unlocked_by"])

    response = manager.post(PROMOTION_ADD, promotion_data(seed, rules=[posted]))

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert set(errors) == {field}
    model_fields = {k: v for k, v in rule.items() if k != "unlocked_by"}
    if "unlocked_by" in rule:
        with scopes_disabled():
            model_fields["unlocked_by"] = Product.objects.get(tenant=world.a.tenant, code=rule["unlocked_by"])
    for name in ("unit_price", "percent"):
        if name in model_fields:
            model_fields[name] = Decimal(model_fields[name])
    expected = model_errors(world.a.tenant, response.wsgi_request.LANGUAGE_CODE, **model_fields)
    assert errors[field] == expected[field]
    assert word in errors[field][0]
    assert word in response.content.decode()
    with scopes_disabled():
        assert not Promotion.objects.filter(code="new-promo").exists()
        assert PromotionRule.objects.filter(tenant=world.a.tenant).count() == sum(
            len(p.rules.all()) for p in seed.promotions.values()
        )


def test_a_bad_rule_on_an_existing_promotion_changes_nothing(world, seed, manager):
    promotion = seed.promotions["porta-business-amb"]
    with scopes_disabled():
        rule = promotion.rules.get()
    url = reverse("admin:promos_promotion_change", args=[promotion.pk])
    data = promotion_data(
        seed,
        code=promotion.code,
        title="Renamed",
        rules=[{"kind": "price_grid", "targets": "portability", "steps": "ten = 7.00", "id": rule.pk}],
        **{"rules-INITIAL_FORMS": "1"},
    )
    data["rules-0-promotion"] = promotion.pk

    response = manager.post(url, data)

    assert response.status_code == 200
    assert "steps" in response.context["inline_admin_formsets"][0].formset.forms[0].errors
    with scopes_disabled():
        promotion.refresh_from_db()
        rule.refresh_from_db()
    assert promotion.title != "Renamed"
    assert rule.steps == "10 = 7.00\n30 = 5.00"


def test_a_valid_promotion_with_its_rules_saves_in_the_tenant(world, seed, manager):
    flag = OrderFlagFactory(tenant=world.a.tenant, code="new-site", name="Nouveau site")
    rules = [
        {
            "kind": "fixed_price",
            "targets": "SIP-TOUCH",
            "unit_price": "19.99",
            "conditions": "quantity channel > 4\nhas data_link",
            "match": "any",
        },
        {"kind": "price_grid", "targets": "portability", "steps": "10 = 7.00\n30 = 5.00"},
        {"kind": "fee_waiver", "targets": "access_fee", "flag": flag.pk},
        {"kind": "percent_off", "targets": "data_link", "excluded": "data_link/ftth", "percent": "5"},
    ]

    response = manager.post(PROMOTION_ADD, promotion_data(seed, rules=rules))

    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    with scopes_disabled():
        promotion = Promotion.objects.get(code="new-promo")
        saved = list(promotion.rules.order_by("position"))
        types = set(promotion.partner_types.all())
    assert promotion.tenant == world.a.tenant
    assert types == {seed.programme.ambassador}
    assert [(r.tenant, r.kind) for r in saved] == [
        (world.a.tenant, "fixed_price"),
        (world.a.tenant, "price_grid"),
        (world.a.tenant, "fee_waiver"),
        (world.a.tenant, "percent_off"),
    ]
    assert saved[2].flag == flag


def test_the_promotion_form_offers_the_tenants_choices_only(world, seed, manager):
    ProductFactory(tenant=world.b.tenant, code="BRAVO-ONLY")
    OrderFlagFactory(tenant=world.b.tenant, code="bravo-flag")
    TierFactory(tenant=world.b.tenant, code="bravo-tier")

    response = manager.get(PROMOTION_ADD)

    form = response.context["adminform"].form
    rule_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    with scopes_disabled():
        assert {t.tenant_id for t in form.fields["partner_types"].queryset} == {world.a.tenant.pk}
        assert {t.tenant_id for t in form.fields["min_tier"].queryset} == {world.a.tenant.pk}
        assert {p.tenant_id for p in rule_form.fields["unlocked_by"].queryset} == {world.a.tenant.pk}
        assert {f.tenant_id for f in rule_form.fields["flag"].queryset} == {world.a.tenant.pk}
    assert "tenant" not in form.fields


def test_another_tenants_choices_are_refused_on_save(world, seed, manager):
    bravo_product = ProductFactory(tenant=world.b.tenant, code="BRAVO-SUB")
    data = promotion_data(
        seed,
        partner_types=[world.b.partner_type.pk],
        min_tier=TierFactory(tenant=world.b.tenant).pk,
        rules=[
            {
                "kind": "unlocked_price",
                "targets": "channel",
                "unit_price": "0.50",
                "unlocked_by": bravo_product.pk,
            }
        ],
    )

    response = manager.post(PROMOTION_ADD, data)

    assert response.status_code == 200
    assert {"partner_types", "min_tier"} <= set(response.context["adminform"].form.errors)
    assert "unlocked_by" in response.context["inline_admin_formsets"][0].formset.forms[0].errors
    with scopes_disabled():
        assert not Promotion.objects.filter(code="new-promo").exists()


def test_the_superusers_rules_are_checked_against_the_tenant_chosen_for_the_promotion(
    world, seed, client_for
):
    # On A's host, the superuser adds a promotion to B: its rules name B's products, unknown to A.
    ProductFactory(tenant=world.b.tenant, code="BRAVO-VM", family="vm")
    tier = TierFactory(tenant=world.b.tenant)
    data = promotion_data(
        seed,
        tenant=world.b.tenant.pk,
        min_tier=tier.pk,
        partner_types=[world.b.partner_type.pk],
        rules=[{"kind": "percent_off", "targets": "BRAVO-VM", "percent": "10"}],
    )

    response = client_for(world.a.tenant, world.superuser).post(PROMOTION_ADD, data)

    assert response.status_code == 302
    with scopes_disabled():
        promotion = Promotion.objects.get(code="new-promo")
        assert promotion.tenant == world.b.tenant
        assert [r.tenant for r in promotion.rules.all()] == [world.b.tenant]

    # ... and a code of A's catalogue only is refused for B's promotion.
    data = promotion_data(
        seed,
        code="other",
        tenant=world.b.tenant.pk,
        min_tier=tier.pk,
        partner_types=[world.b.partner_type.pk],
        rules=[{"kind": "percent_off", "targets": "VM-S", "percent": "10"}],
    )
    response = client_for(world.a.tenant, world.superuser).post(PROMOTION_ADD, data)
    assert response.status_code == 200
    assert "targets" in response.context["inline_admin_formsets"][0].formset.forms[0].errors


# --- quotes -----------------------------------------------------------------------------------------------


def test_a_quote_is_read_with_its_lines_never_added_or_changed(world, business_ambassador, manager):
    quote = quote_for(business_ambassador, title="Portabilités")
    url = reverse("admin:promos_quote_change", args=[quote.pk])

    response = manager.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert b'name="_save"' not in response.content
    assert "PORTABILITE" in page and "Portabilités : grille préférentielle Business" in page
    assert f"{CALCULATOR}?quote={quote.pk}" in page
    assert manager.get(reverse("admin:promos_quote_add")).status_code == 403
    assert manager.post(url, {"title": "Changed", "monthly_total": "0"}).status_code == 403
    with scopes_disabled():
        quote.refresh_from_db()
    assert quote.title == "Portabilités"


def test_a_manager_deletes_a_quote(world, business_ambassador, manager):
    quote = quote_for(business_ambassador)

    response = manager.post(reverse("admin:promos_quote_delete", args=[quote.pk]), {"post": "yes"})

    assert response.status_code == 302
    with scopes_disabled():
        assert not Quote.objects.filter(pk=quote.pk).exists()


def test_the_quote_list_links_to_the_calculator(seed, manager):
    assert CALCULATOR in manager.get(reverse("admin:promos_quote_changelist")).content.decode()


# --- the calculator -------------------------------------------------------------------------------------


def calculator_data(partner, basket=(("PORTABILITE", 11),), *, as_of=PRICED_ON, **extra) -> dict:
    rows = 8
    data = {
        "partner": partner.pk if hasattr(partner, "pk") else partner,
        "as_of": as_of.isoformat() if isinstance(as_of, dt.date) else as_of,
        "title": "",
        "basket-TOTAL_FORMS": str(rows),
        "basket-INITIAL_FORMS": "0",
        "basket-MIN_NUM_FORMS": "0",
        "basket-MAX_NUM_FORMS": "40",
        "_calculate": "Calculate",
    }
    for i in range(rows):
        code, quantity = basket[i] if i < len(basket) else ("", "")
        data[f"basket-{i}-code"] = code
        data[f"basket-{i}-quantity"] = str(quantity)
    return {**data, **extra}


def test_the_calculator_prices_a_basket_for_a_partner_of_the_tenant(world, business_ambassador, manager):
    assert manager.get(CALCULATOR).status_code == 200

    response = manager.post(
        CALCULATOR, calculator_data(business_ambassador, (("PORTABILITE", 11), ("METACENTREX", 10)))
    )

    assert response.status_code == 200
    result = response.context["result"]
    lines = {line.item.code: line for line in result.basket.lines}
    assert (lines["PORTABILITE"].unit_price, lines["PORTABILITE"].total) == (
        Decimal("7.00"),
        Decimal("77.00"),
    )
    assert [a.promotion.code for a in lines["PORTABILITE"].applied] == ["porta-business-amb"]
    assert lines["METACENTREX"].unit_price == Decimal("12.00")
    assert (result.basket.monthly_total, result.basket.one_off_total) == (Decimal("120.00"), Decimal("77.00"))
    assert result.tier.code == "business"
    page = response.content.decode()
    assert "Portabilités : grille préférentielle Business" in page
    assert "7,00\xa0€" in page  # partnerportal.formatting.money, in the default French


def test_the_calculator_shows_what_is_missing_for_a_promotion_within_reach(world, seed, manager):
    partner = seed.partner("ambassador", tier="business")
    quarter_revenue(partner, "599.99")

    response = manager.post(CALCULATOR, calculator_data(partner))

    assert response.status_code == 200
    assert response.context["result"].basket.lines[0].unit_price == Decimal("9.00")
    within_reach = response.context["result"].standing.within_reach
    assert [s.promotion.code for s in within_reach] == ["porta-business-amb"]
    assert within_reach[0].missing[0] in response.content.decode()


def test_the_calculator_saves_a_quote_for_the_partner(world, business_ambassador, manager):
    response = manager.post(
        CALCULATOR,
        calculator_data(business_ambassador, title="Portabilité Clinique", _save="Save"),
    )

    with scopes_disabled():
        quote = Quote.objects.get(partner=business_ambassador)
        lines = list(quote.lines.all())
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:promos_quote_change", args=[quote.pk])
    assert (quote.tenant, quote.created_by, quote.title, quote.priced_on) == (
        world.a.tenant,
        world.a.manager,
        "Portabilité Clinique",
        PRICED_ON,
    )
    assert [(line.code, line.quantity, line.unit_price) for line in lines] == [
        ("PORTABILITE", 11, Decimal("7.00"))
    ]


def test_the_calculator_prices_a_saved_quote_again(world, business_ambassador, manager):
    quote = quote_for(business_ambassador, basket=(("PORTABILITE", 11), ("VM-S", 2)), title="Encore")

    response = manager.get(f"{CALCULATOR}?quote={quote.pk}")

    assert response.status_code == 200
    assert response.context["form"].initial["partner"] == business_ambassador.pk
    rows = [f.initial for f in response.context["basket"].forms if f.initial]
    assert sorted(rows, key=lambda row: row["code"]) == [
        {"code": "PORTABILITE", "quantity": 11},
        {"code": "VM-S", "quantity": 2},
    ]


def test_the_calculator_refuses_another_tenants_partner_and_quote(world, seed, manager):
    response = manager.post(CALCULATOR, calculator_data(world.b.partner, _save="Save"))

    assert response.status_code == 400
    assert "partner" in response.context["form"].errors
    assert response.context["result"] is None
    with scopes_disabled():
        assert not Quote.objects.exists()
    theirs = other_tenants_quote(world)
    assert manager.get(f"{CALCULATOR}?quote={theirs.pk}").status_code == 404
    # A partner id of another tenant in the link is not shown as chosen.
    page = manager.get(f"{CALCULATOR}?partner={world.b.partner.pk}").content.decode()
    assert world.b.partner.legal_name not in page


BAD_BASKETS = {
    "an empty basket": ({"basket": ()}, None),
    "a product not sold to the partner's type": ({"basket": (("SIP-VOLUME", 1),)}, None),
    "a code of no product": ({"basket": (("NOPE", 1),)}, "basket"),
    "a zero quantity": ({"basket": (("PORTABILITE", 0),)}, "basket"),
    "a quantity without a product": ({"basket": (("", 3),)}, "basket"),
    "a product without a quantity": ({"basket": (("PORTABILITE", ""),)}, "basket"),
    "a huge quantity": ({"basket": (("PORTABILITE", 10**9),)}, "basket"),
    "a date that is not one": ({"as_of": "15/15/2026"}, "as_of"),
    "a partner that is not a number": ({"partner": "abc"}, "partner"),
    "an unknown order flag": ({"flags": ["no-such-flag"]}, "flags"),
}


@pytest.mark.parametrize("case", sorted(BAD_BASKETS))
@pytest.mark.parametrize("button", ["_calculate", "_save"])
def test_a_bad_basket_is_a_form_error_never_a_server_error(world, business_ambassador, manager, case, button):
    OrderFlagFactory(tenant=world.a.tenant, code="real-flag")
    overrides, where = dict(BAD_BASKETS[case][0]), BAD_BASKETS[case][1]
    basket = overrides.pop("basket", (("PORTABILITE", 11),))
    data = {**calculator_data(business_ambassador, basket, **{button: "go"}), **overrides}

    response = manager.post(CALCULATOR, data)

    assert response.status_code == 400
    form, formset = response.context["form"], response.context["basket"]
    if where is None:
        assert form.non_field_errors()
    elif where == "basket":
        assert any(formset.errors) or formset.non_form_errors()
    else:
        assert where in form.errors
    with scopes_disabled():
        assert not Quote.objects.exists()


@pytest.mark.parametrize("who", ["admin", "sales"])
def test_partner_people_cannot_reach_the_calculator(world, business_ambassador, client_for, who):
    client = client_for(world.a.tenant, getattr(world.a, who))

    for response in (
        client.get(CALCULATOR),
        client.post(CALCULATOR, calculator_data(business_ambassador, _save="1")),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    with scopes_disabled():
        assert not Quote.objects.exists()


def test_another_tenants_manager_cannot_reach_the_calculator(world, business_ambassador, client_for):
    response = client_for(world.a.tenant, world.b.manager).post(
        CALCULATOR, calculator_data(business_ambassador, _save="1")
    )

    assert response.status_code == 302
    with scopes_disabled():
        assert not Quote.objects.exists()


def change_form_data(response, **overrides) -> dict:
    """A change page's current values (its form and its inlines), as the browser would post them back."""

    def value_of(form, name, field):
        value = form.initial.get(name, field.initial)
        if isinstance(value, list | tuple):
            return [getattr(v, "pk", v) for v in value]
        if isinstance(value, bool):
            return "on" if value else ""
        return "" if value is None else getattr(value, "pk", value)

    form = response.context["adminform"].form
    data = {name: value_of(form, name, field) for name, field in form.fields.items()}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        for row in formset.forms:
            data.update({row.add_prefix(n): value_of(row, n, f) for n, f in row.fields.items()})
    return {k: v for k, v in {**data, **overrides}.items() if v != ""}


def test_a_promotion_with_two_rules_saves_as_it_reads(world, seed, manager):
    promotion = seed.promotions["sip-volume"]
    url = reverse("admin:promos_promotion_change", args=[promotion.pk])

    response = manager.post(url, change_form_data(manager.get(url)))

    assert response.status_code == 302
    with scopes_disabled():
        rules = list(promotion.rules.order_by("position").values_list("kind", "unit_price", "steps"))
    assert rules == [("unlocked_price", Decimal("0.50"), ""), ("price_grid", None, "10 = 13.50\n50 = 12.00")]


def product_url(world, code: str, view: str = "change") -> str:
    return reverse(f"admin:promos_product_{view}", args=[product_pk(world.a.tenant, code)])


def test_a_product_that_rules_name_keeps_its_code(world, seed, manager):
    url = product_url(world, "SIP-TOUCH")

    response = manager.post(url, change_form_data(manager.get(url), code="SIP-TOUCH-2"))

    assert response.status_code == 200
    assert "SIP Trunk Touch à 19,99 € HT" in response.context["adminform"].form.errors["code"][0]
    with scopes_disabled():
        assert Product.objects.filter(tenant=world.a.tenant, code="SIP-TOUCH").exists()
    # A product no rule names by its code (FTTH is named as the sub-family data_link/ftth) is renamed.
    url = product_url(world, "FTTH-PRO")
    assert manager.post(url, change_form_data(manager.get(url), code="FTTH-PRO-1G")).status_code == 302


def test_a_product_that_rules_name_is_not_deleted(world, seed, manager):
    url = product_url(world, "SIP-TOUCH", "delete")

    page = manager.get(url)
    response = manager.post(url, {"post": "yes"})

    assert "SIP Trunk Touch à 19,99 € HT" in page.content.decode()
    assert response.status_code == 200
    with scopes_disabled():
        assert Product.objects.filter(tenant=world.a.tenant, code="SIP-TOUCH").exists()
    # No rule names VM-S (the VM promotion targets the family): it goes.
    vm = product_pk(world.a.tenant, "VM-S")
    manager.post(
        reverse("admin:promos_product_changelist"),
        {"action": "delete_selected", "_selected_action": [vm], "post": "yes"},
    )
    with scopes_disabled():
        assert not Product.objects.filter(pk=vm).exists()


def test_the_promotion_list_counts_the_rules(world, seed, manager):
    promotion = PromotionFactory(tenant=world.a.tenant, min_tier=seed.tiers["starter"], title="Trois règles")
    for _ in range(3):
        PromotionRuleFactory(promotion=promotion)

    response = manager.get(reverse("admin:promos_promotion_changelist"), {"q": "Trois"})

    assert [(p.title, p.rule_count) for p in response.context["cl"].result_list] == [("Trois règles", 3)]
