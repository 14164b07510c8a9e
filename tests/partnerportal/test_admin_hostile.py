"""Hostile input in the back-office answers 400 or a form error, never a 500 (partnerportal/admin_input.py).

Every registered ModelAdmin is tried, whoever wrote it: the tenant's models as A's manager, the platform's
as the superuser. A value the database cannot read must be refused before it reaches the database: a
1,000-word search (SQLite: "Expression tree is too large"), a year of 11 digits, ``_selected_action=abc``,
an id of 25 digits (SQLite: "Python int too large to convert to SQLite INTEGER").
"""

import functools
import json

import pytest
from django.contrib import admin
from django.db import models
from django.forms import ModelChoiceField
from django.urls import NoReverseMatch, reverse
from django_scopes import scopes_disabled

from partnerportal.admin_input import MAX_SEARCH_LENGTH, MAX_SEARCH_TERMS
from partnerportal.admin_site import TenantAdminMixin

BIG = "1" + "0" * 24  # 25 digits
YEAR = "99999999999"  # 11 digits
# The back-office speaks French by default (the message's own test of the English is in its wording).
SEARCH_TOO_LONG = "La recherche est trop longue"
THOUSAND_WORDS = " ".join(f"mot{index}" for index in range(1000))

ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def admin_id(item) -> str:
    return item[0]._meta.label


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def client_of(world, client_for):
    """The client that may open a ModelAdmin: A's manager for the tenant's models, else the superuser."""
    manager = client_for(world.a.tenant, world.a.manager)
    superuser = client_for(world.a.tenant, world.superuser)
    return lambda model_admin: manager if isinstance(model_admin, TenantAdminMixin) else superuser


def assert_refused(response, *needles: str) -> None:
    assert response.status_code == 400, response.status_code
    content = response.content.decode()
    for needle in needles:
        assert needle in content, f"the message should name {needle!r}"


def each_admin(items, check, *values) -> None:
    """Run ``check(item, value)`` for every ModelAdmin (and value) on one world, and report every failure
    at once: one test per kind of input rather than one per admin, since each test's world costs more than
    the requests it sends."""
    failures, checked = [], 0
    for item in items:
        for value in values or (None,):
            try:
                check(item, value) if values else check(item)
            except pytest.skip.Exception:
                continue
            except AssertionError as error:
                failures.append(f"{admin_id(item)}{f' [{value}]' if values else ''}: {error}")
            else:
                checked += 1
    assert checked, "no ModelAdmin was checked"
    assert not failures, "\n".join(failures)


# --- searches ------------------------------------------------------------------------------------------


def test_a_thousand_word_search_is_refused_with_a_message(world, client_of):
    each_admin(
        [i for i in ADMINS if i[1].search_fields],
        functools.partial(_a_thousand_word_search_is_refused_with_a_message, client_of=client_of),
    )


def _a_thousand_word_search_is_refused_with_a_message(item, *, client_of):
    model, model_admin = item
    client = client_of(model_admin)

    response = client.get(url(model, "changelist"), {"q": THOUSAND_WORDS})

    assert_refused(response, SEARCH_TOO_LONG)
    too_long = "x" * (MAX_SEARCH_LENGTH + 1)
    assert client.get(url(model, "changelist"), {"q": too_long}).status_code == 400
    longest = " ".join(["mot"] * MAX_SEARCH_TERMS)
    assert client.get(url(model, "changelist"), {"q": longest}).status_code == 200


def test_a_thousand_word_autocomplete_term_is_refused(world, client_for):
    client = client_for(world.a.tenant, world.a.manager)
    params = {"app_label": "partnerportal", "model_name": "membership", "field_name": "partner"}

    response = client.get(reverse("admin:autocomplete"), {**params, "term": THOUSAND_WORDS})

    assert response.status_code == 400
    assert SEARCH_TOO_LONG in json.loads(response.content)["error"]
    assert client.get(reverse("admin:autocomplete"), {**params, "term": "Azur"}).status_code == 200


# --- filters -------------------------------------------------------------------------------------------


def date_filters(model, model_admin) -> list[tuple[str, str]]:
    """Every date field's filters with an 11-digit year, the date hierarchy's among them."""
    params = []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.DateField):  # DateTimeField too
            params += [
                (f"{field.name}__gte", f"{YEAR}-01-01"),
                (f"{field.name}__lt", f"{YEAR}-01-01 00:00:00"),
                (f"{field.name}__year", YEAR),
                (f"{field.name}__month", YEAR),
                (f"{field.name}__day", "-1"),
                (f"{field.name}__date", f"{YEAR}-01-01"),
            ]
    return params


def test_an_eleven_digit_year_in_a_date_filter_is_refused(world, client_of):
    each_admin(
        ADMINS, functools.partial(_an_eleven_digit_year_in_a_date_filter_is_refused, client_of=client_of)
    )


def _an_eleven_digit_year_in_a_date_filter_is_refused(item, *, client_of):
    model, model_admin = item
    client = client_of(model_admin)
    params = date_filters(model, model_admin)
    if model_admin.date_hierarchy:
        params.append((f"{model_admin.date_hierarchy}__year", YEAR))
        assert f"{model_admin.date_hierarchy}__year" in dict(params)
    if not params:
        pytest.skip("no date field")

    for key, value in params:
        response = client.get(url(model, "changelist"), {key: value})
        assert_refused(response, key)
    if model_admin.date_hierarchy:
        ok = {f"{model_admin.date_hierarchy}__year": "2026", f"{model_admin.date_hierarchy}__month": "7"}
        assert client.get(url(model, "changelist"), ok).status_code == 200


def test_a_25_digit_id_in_a_filter_is_refused(world, client_of):
    each_admin(ADMINS, functools.partial(_a_25_digit_id_in_a_filter_is_refused, client_of=client_of))


def _a_25_digit_id_in_a_filter_is_refused(item, *, client_of):
    model, model_admin = item
    client = client_of(model_admin)
    relations = [f for f in model._meta.concrete_fields if f.is_relation]

    for key in ["pk__exact", "pk__in", *(f"{f.name}__id__exact" for f in relations)] + [
        f"{f.name}__exact" for f in relations
    ]:
        response = client.get(url(model, "changelist"), {key: BIG})
        assert_refused(response, key)
    assert_refused(client.get(url(model, "changelist"), {"pk__regex": "("}), "pk__regex")
    assert client.get(url(model, "changelist"), {"pk__in": "1,2"}).status_code == 200


# --- actions -------------------------------------------------------------------------------------------


def rows(model):
    with scopes_disabled():
        return list(model._default_manager.order_by("pk").values())


def test_a_malformed_selected_row_is_refused(world, client_of):
    each_admin(
        ADMINS,
        functools.partial(_a_malformed_selected_row_is_refused, client_of=client_of),
        *["abc", BIG, "1.5"],
    )


def _a_malformed_selected_row_is_refused(item, selected, *, client_of):
    model, model_admin = item
    client = client_of(model_admin)
    action_form = client.get(url(model, "changelist")).context["action_form"]
    actions = [name for name, _label in action_form.fields["action"].choices if name] if action_form else []
    if not actions:
        pytest.skip("no action")
    before = rows(model)

    for action in actions:
        response = client.post(
            url(model, "changelist"), {"action": action, "_selected_action": ["1", selected], "post": "yes"}
        )
        assert_refused(response, selected[:20])

    assert rows(model) == before


# --- ids in the address and in forms -------------------------------------------------------------------


def test_a_malformed_object_id_in_the_address_is_not_found(world, client_of):
    each_admin(
        ADMINS,
        functools.partial(_a_malformed_object_id_in_the_address_is_not_found, client_of=client_of),
        *[BIG, "abc", "-1"],
    )


def _a_malformed_object_id_in_the_address_is_not_found(item, object_id, *, client_of):
    model, model_admin = item
    client = client_of(model_admin)

    for view in ("change", "delete", "history"):
        response = client.get(url(model, view, object_id))
        assert response.status_code in (302, 403, 404), (view, response.status_code)
    response = client.post(url(model, "change", object_id), {})
    assert response.status_code in (302, 403, 404)


def choice_fields(form) -> list[str]:
    return [name for name, field in form.fields.items() if isinstance(field, ModelChoiceField)]


def choice_fields_of(form_class) -> list[str]:
    return [name for name, field in form_class.base_fields.items() if isinstance(field, ModelChoiceField)]


def test_a_malformed_id_in_a_form_is_a_form_error(world, client_of):
    each_admin(
        ADMINS,
        functools.partial(_a_malformed_id_in_a_form_is_a_form_error, client_of=client_of),
        *[BIG, "abc"],
    )


def _a_malformed_id_in_a_form_is_a_form_error(item, value, *, client_of):
    model, model_admin = item
    client = client_of(model_admin)
    page = client.get(url(model, "add"))
    if page.status_code == 403:
        pytest.skip("nothing is added here")
    form = page.context["adminform"].form
    fields = choice_fields(form)
    inlines = [
        (formset.formset.prefix, choice_fields_of(formset.formset.form))
        for formset in page.context["inline_admin_formsets"]
    ]
    if not fields and not any(names for _prefix, names in inlines):
        pytest.skip("no choice field")
    before = rows(model)

    for field in fields:
        response = client.post(url(model, "add"), {field: value})
        assert response.status_code == 200
        assert field in response.context["adminform"].form.errors, field
    for prefix, names in inlines:
        for name in names:
            data = {
                f"{prefix}-TOTAL_FORMS": "1",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
                f"{prefix}-0-{name}": value,
            }
            response = client.post(url(model, "add"), data)
            assert response.status_code == 200, (prefix, name)

    assert rows(model) == before


def test_a_malformed_id_in_a_raw_id_field_is_a_form_error(world, client_of, monkeypatch):
    each_admin(
        [i for i in ADMINS if isinstance(i[1], TenantAdminMixin)],
        functools.partial(
            _a_malformed_id_in_a_raw_id_field_is_a_form_error, client_of=client_of, monkeypatch=monkeypatch
        ),
    )


def _a_malformed_id_in_a_raw_id_field_is_a_form_error(item, *, client_of, monkeypatch):
    model, model_admin = item
    fields = [
        f.name
        for f in model._meta.concrete_fields
        if f.many_to_one and f.name != "tenant" and f.editable and not f.primary_key
    ]
    monkeypatch.setattr(model_admin, "raw_id_fields", fields)
    monkeypatch.setattr(model_admin, "autocomplete_fields", [])
    client = client_of(model_admin)
    try:
        page = client.get(url(model, "add"), {name: BIG for name in fields})
    except NoReverseMatch:  # pragma: no cover
        pytest.skip("no add page")
    if page.status_code == 403 or not fields:
        pytest.skip("nothing is added here")
    assert page.status_code == 200
    form_fields = [name for name in fields if name in page.context["adminform"].form.fields]

    for name in form_fields:
        response = client.post(url(model, "add"), {name: BIG})
        assert response.status_code == 200
        assert name in response.context["adminform"].form.errors


def test_a_malformed_id_in_an_add_pages_address_is_ignored(world, client_of):
    each_admin(
        ADMINS,
        functools.partial(_a_malformed_id_in_an_add_pages_address_is_ignored, client_of=client_of),
        *[BIG, "abc"],
    )


def _a_malformed_id_in_an_add_pages_address_is_ignored(item, value, *, client_of):
    """``add/?partner=…`` fills the form's initial values, which the autocomplete widget queries."""
    model, model_admin = item
    client = client_of(model_admin)
    page = client.get(url(model, "add"))
    if page.status_code == 403:
        pytest.skip("nothing is added here")
    fields = choice_fields(page.context["adminform"].form)
    if not fields:
        pytest.skip("no choice field")

    response = client.get(url(model, "add"), {field: value for field in fields})

    assert response.status_code == 200


@pytest.mark.parametrize("value", [BIG, "abc"])
def test_the_custom_pages_refuse_a_malformed_partner(world, client_for, value):
    client = client_for(world.a.tenant, world.a.manager)
    generate = reverse("admin:documents_document_generate")
    calculator = reverse("admin:promos_quote_calculator")

    assert client.get(generate, {"partner": value, "tier": value}).status_code == 200
    response = client.post(generate, {"partner": value, "kind": "welcome_pack"})
    assert response.status_code == 400
    assert "partner" in response.context["form"].errors
    assert client.get(calculator, {"partner": value}).status_code == 200
    response = client.post(calculator, {"partner": value, "as_of": "2026-07-01", "basket-TOTAL_FORMS": "0"})
    assert response.status_code == 400
    assert "partner" in response.context["form"].errors


def test_the_tier_preview_of_a_programme_without_tiers_says_so(world, client_for):
    client = client_for(world.a.tenant, world.a.manager)

    response = client.get(reverse("admin:tiers_evaluation_preview"), follow=True)

    assert response.redirect_chain[0][0] == reverse("admin:tiers_evaluation_changelist")
    assert [str(m) for m in response.context["messages"]], "a message says why"
