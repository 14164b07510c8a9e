"""Forms of the promotions' back-office: rows validated with their parent's tenant, and the calculator.

No form here declares a ``Meta`` with a model: a model form built at import would read the scoped managers
(products, flags, partner types) outside any scope. The admin gives the model forms their model and fields
at request time, and the calculator sets its choices from the request's tenant.
"""

import re

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from partnerportal.models import Partner

from .models import FAMILY_CHOICES, Product, PromotionRule, Quote
from .selectors import MAX_QUANTITY, order_flag_list

# --- product codes that rules name ------------------------------------------------------------------


def rules_naming(*, tenant_id: int, codes) -> list[PromotionRule]:
    """The tenant's rules whose targets, exclusions or conditions name one of the product ``codes``.

    Rules name products by code, as text: renaming or deleting a product would leave them naming nothing
    (the engine then skips them), so the back-office refuses both while a rule still names the product.
    """
    if not codes:
        return []
    # A whole word of the language: not part of another code, nor a sub-family after "family/".
    pattern = re.compile(r"(?<![\w/-])(" + "|".join(re.escape(c) for c in codes) + r")(?![\w/-])")
    rules = PromotionRule.objects.filter(tenant_id=tenant_id).select_related("promotion")
    return [
        r for r in rules if any(pattern.search(getattr(r, f)) for f in ("targets", "excluded", "conditions"))
    ]


class ProductAdminForm(forms.ModelForm):
    """The product's admin form; the admin gives it its model and fields."""

    def clean_code(self):
        code = self.cleaned_data["code"]
        old = self.initial.get("code")
        if self.instance.pk and old and code != old:
            if named := rules_naming(tenant_id=self.instance.tenant_id, codes=[old]):
                raise forms.ValidationError(
                    _("Rules of %(promotions)s name this product %(code)s: change them first.")
                    % {"promotions": ", ".join(sorted({str(r.promotion) for r in named})), "code": old},
                    code="named_by_rules",
                )
        return code


# --- rows that belong to a parent: prices of a product, rules of a promotion --------------------------


class ParentTenantInlineFormSet(BaseInlineFormSet):
    """Hands each row its parent, so that the row takes the parent's tenant before it is validated.

    ``PromotionRule.clean()`` reads the tenant's product and flag codes and ``ProductPrice.clean()``
    compares tenants; ``TenantInlineMixin`` can only give a row the saved parent's tenant or the host's,
    while the superuser chooses the tenant of a new promotion on the same page as its rules.
    """

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "parent": self.instance}


class ParentTenantFormMixin:
    """A row of a ``ParentTenantInlineFormSet``: the parent's tenant is the row's, and its choices."""

    tenant_scoped_fields: tuple[str, ...] = ()

    def __init__(self, *args, parent=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent = parent
        tenant_id = parent.tenant_id if parent is not None else None
        for name in self.tenant_scoped_fields:
            if name not in self.fields:
                continue
            # A manager's choices are scoped already; this narrows the superuser's on a saved parent.
            if tenant_id:
                self.fields[name].queryset = self.fields[name].queryset.filter(tenant_id=tenant_id)
            # Partner types, products and flags are edited on their own pages, not from inside a row.
            widget = self.fields[name].widget
            if hasattr(widget, "can_add_related"):
                widget.can_add_related = widget.can_change_related = widget.can_delete_related = False

    def clean(self):
        cleaned_data = super().clean()
        # clean() runs before the model is validated (_post_clean), and after the parent form has read
        # its own tenant (the admin validates the parent first).
        if self.parent is not None and self.parent.tenant_id:
            self.instance.tenant = self.parent.tenant
        return cleaned_data


class ProductPriceForm(ParentTenantFormMixin, forms.ModelForm):
    tenant_scoped_fields = ("partner_type",)


class PromotionRuleForm(ParentTenantFormMixin, forms.ModelForm):
    """A rule of a promotion; ``PromotionRule.clean()`` puts each message on the field at fault."""

    tenant_scoped_fields = ("unlocked_by", "flag")

    KIND_HELP = _(
        "Fixed unit price and price unlocked by a subscription: give the unit price (and the subscription). "
        "Percentage off: the percentage. Quantity price grid: the price steps. Fee waived: the order flag."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        if "kind" in fields:
            fields["kind"].help_text = self.KIND_HELP
        for name, rows in (("conditions", 3), ("steps", 3)):
            if name in fields:
                fields[name].widget.attrs.update(rows=rows, cols=40)
        for name in ("targets", "excluded"):
            if name in fields:
                fields[name].widget.attrs.update(size=40)


class PromotionAdminForm(forms.ModelForm):
    """The promotion's admin form; the admin gives it its model and fields."""

    def clean_partner_types(self):
        # A many-to-many is saved after the model's clean(), so cross_tenant_errors cannot see it, and the
        # superuser's unscoped back-office offers every tenant's partner types.
        partner_types = self.cleaned_data["partner_types"]
        tenant = self.cleaned_data.get("tenant") if "tenant" in self.fields else None
        tenant = tenant or (self.instance.tenant if self.instance.tenant_id else None)
        if tenant is not None and any(t.tenant_id != tenant.pk for t in partner_types):
            raise forms.ValidationError(
                _("Choose partner types of this promotion's programme only."), code="other_tenant"
            )
        return partner_types


# --- the back-office calculator -----------------------------------------------------------------------


def is_id(value) -> bool:
    """Whether ``value`` can be looked up as a primary key: ASCII digits ("²" and "٣" are digits to
    ``isdigit``, not to the database), at most 18 of them (25 digits overflow SQLite's and PostgreSQL's
    integers: an OverflowError or a DataError, not a form error)."""
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) <= 18


class PartnerAutocomplete(AutocompleteSelect):
    """The admin's autocomplete, searching the partners' list (scoped to the tenant for managers)."""

    def optgroups(self, name, value, attr=None):
        # The widget looks the posted value up to show it as chosen: a value that is not an id would
        # raise there, while the field only says "not a valid choice".
        return super().optgroups(name, [v for v in value if is_id(v)], attr)


class PartnerChoiceField(forms.ModelChoiceField):
    """A partner by id; what cannot be an id is "not one of the choices" before any query reads it."""

    def to_python(self, value):
        if value not in self.empty_values and not is_id(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class CalculatorForm(forms.Form):
    """Who the basket is priced for, on which day, with which order flags; the basket is a formset."""

    partner = PartnerChoiceField(label=_("Partner"), queryset=None)
    as_of = forms.DateField(
        label=_("Price on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "What counts: the partner's tier on that day, and its orders or revenue in the quarter before it."
        ),
    )
    flags = forms.MultipleChoiceField(
        label=_("Order flags"), required=False, widget=forms.CheckboxSelectMultiple
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=Quote._meta.get_field("title").max_length,
        required=False,
        help_text=_("Kept with the quote when you save it."),
    )

    def __init__(self, *args, tenant, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        # The host's tenant, for the superuser too: a partner of another programme is an invalid choice.
        partner = self.fields["partner"]
        partner.widget = PartnerAutocomplete(Quote._meta.get_field("partner"), admin_site)
        partner.widget.is_required = True
        partner.queryset = Partner.objects.filter(tenant=tenant).select_related("partner_type", "tenant")
        self.fields["flags"].choices = [(f.code, f.name) for f in order_flag_list(tenant=tenant)]
        if not self.fields["flags"].choices:
            del self.fields["flags"]


def product_choices(*, tenant) -> list:
    """The tenant's active products by family, for the basket's rows (sold to the partner's type or not:
    the engine says which is not)."""
    products = Product.objects.filter(tenant=tenant, is_active=True).order_by("position", "name", "code")
    by_family: dict[str, list] = {}
    for product in products:
        by_family.setdefault(product.family, []).append((product.code, f"{product.code} — {product.name}"))
    labels = dict(FAMILY_CHOICES)
    return [("", "---------")] + [
        (labels.get(family, family), choices) for family, choices in by_family.items()
    ]


class BasketRowForm(forms.Form):
    code = forms.ChoiceField(label=_("Product"), required=False)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        required=False,
        min_value=1,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs={"class": "vIntegerField"}),
    )

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = products

    def clean(self):
        cleaned_data = super().clean()
        code, quantity = cleaned_data.get("code"), cleaned_data.get("quantity")
        if code and quantity is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Give a quantity for this product."))
        if quantity is not None and not code:
            self.add_error("code", _("Choose the product of this quantity."))
        return cleaned_data


class BaseBasketFormSet(forms.BaseFormSet):
    def quantities(self) -> list[tuple[str, int]]:
        """The filled rows as the selectors take them; call after ``is_valid()``."""
        return [
            (form.cleaned_data["code"], form.cleaned_data["quantity"])
            for form in self.forms
            if form.cleaned_data.get("code")
        ]


BASKET_ROWS = 8
MAX_BASKET_ROWS = 40


def basket_formset(*, filled: int = 0) -> type[BaseBasketFormSet]:
    """The basket's formset: about ``BASKET_ROWS`` rows, a couple of empty ones below ``filled`` rows."""
    return forms.formset_factory(
        BasketRowForm,
        formset=BaseBasketFormSet,
        extra=max(BASKET_ROWS - filled, 2),
        max_num=MAX_BASKET_ROWS,
        validate_max=True,
        # Without it Django builds up to max_num + 1,000 forms for a posted TOTAL_FORMS of 100,000, and the
        # page renders a product list in each: seconds of work for one request.
        absolute_max=MAX_BASKET_ROWS,
    )
