"""The quote calculator's forms: the basket's rows (a formset that works without JavaScript), its flags, a title.

The product list of every row is the partner's catalogue (``selectors.catalogue_for``): a code that is not in
it, another tenant's or one not sold to the partner's type, is an invalid choice, never looked up elsewhere.
"""

from django import forms
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext_lazy as _

from partnerportal.formatting import money

from . import pricing
from .models import FAMILY_CHOICES, Product
from .selectors import MAX_QUANTITY

FAMILY_NAMES = dict(FAMILY_CHOICES)
UNIT_NAMES = dict(Product.Unit.choices)

# The rows a new basket starts with, those "More rows" adds, and the most a basket may have.
EXTRA_ROWS = 5
MORE_ROWS = 5
MAX_ROWS = 60


def product_choices(catalogue: dict[str, pricing.Item]) -> list:
    """The catalogue as a select's options, grouped by family in the catalogue's order, with price and unit."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in catalogue.values():
        label = _("%(name)s — %(price)s %(unit)s") % {
            "name": item.name,
            "price": money(item.list_price),
            "unit": UNIT_NAMES.get(item.unit, item.unit),
        }
        groups.setdefault(item.family, []).append((item.code, label))
    return [("", _("Choose a product…"))] + [
        (FAMILY_NAMES.get(family, family), options) for family, options in groups.items()
    ]


class BasketLineForm(forms.Form):
    """One row of the basket: a product and how many. An empty row is skipped."""

    product = forms.ChoiceField(
        label=_("Product"),
        required=False,
        error_messages={"invalid_choice": _("This product is not in your price list.")},
    )
    quantity = forms.IntegerField(
        label=_("Quantity"),
        required=False,
        min_value=1,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_QUANTITY, "step": 1, "inputmode": "numeric"}),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = choices
        # One message for every wrong quantity (empty, not a whole number, out of bounds), in the reader's
        # language and number format, so it is built per form.
        self.quantity_error = _("Give a whole number from 1 to %(max)s.") % {
            "max": floatformat(MAX_QUANTITY, "g")
        }
        for code in ("invalid", "min_value", "max_value"):
            self.fields["quantity"].error_messages[code] = self.quantity_error

    def clean(self):
        data = super().clean()
        product, quantity = data.get("product"), data.get("quantity")
        if product and quantity is None and "quantity" not in self.errors:
            self.add_error("quantity", self.quantity_error)
        if not product and quantity is not None and "product" not in self.errors:
            self.add_error("product", _("Choose a product, or clear the quantity."))
        return data


class BaseBasketFormSet(forms.BaseFormSet):
    def __init__(self, *args, catalogue: dict[str, pricing.Item], require_lines: bool = True, **kwargs):
        self.require_lines = require_lines
        kwargs.setdefault("prefix", "lines")
        super().__init__(*args, form_kwargs={"choices": product_choices(catalogue)}, **kwargs)

    def clean(self):
        if any(self.errors) or not self.require_lines:
            return
        if not self.quantities():
            raise forms.ValidationError(_("The basket is empty: add at least one product."), code="empty")

    def quantities(self) -> list[tuple[str, int]]:
        """The filled rows as ``(code, quantity)`` pairs, in the rows' order."""
        return [
            (form.cleaned_data["product"], form.cleaned_data["quantity"])
            for form in self.forms
            if form.cleaned_data.get("product")
        ]


BasketFormSet = forms.formset_factory(
    BasketLineForm,
    formset=BaseBasketFormSet,
    extra=EXTRA_ROWS,
    max_num=MAX_ROWS,
    validate_max=True,
    absolute_max=MAX_ROWS,
)


def basket_formset(data=None, *, catalogue, require_lines=True, more_rows=False) -> BaseBasketFormSet:
    """The rows, bound to ``data`` when given; ``more_rows`` re-renders them with ``MORE_ROWS`` empty ones
    added, keeping what was entered (the "More rows" button: no JavaScript needed)."""
    if data is not None and more_rows:
        data = data.copy()
        key = "lines-TOTAL_FORMS"
        try:
            total = int(data.get(key, 0))
        except ValueError:
            total = 0
        data[key] = str(min(max(total, 0) + MORE_ROWS, MAX_ROWS))
    return BasketFormSet(data, catalogue=catalogue, require_lines=require_lines)


class QuoteForm(forms.Form):
    """What the rows do not say: the order's flags and an optional title for the saved quote."""

    flags = forms.MultipleChoiceField(
        label=_("About this order"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("This order flag does not exist.")},
    )
    title = forms.CharField(
        label=_("Title of the quote"),
        required=False,
        max_length=150,
        help_text=_("Optional, to find the quote again: the customer or the project."),
    )

    def __init__(self, *args, flags, **kwargs):
        super().__init__(*args, **kwargs)
        self.flag_descriptions = {flag.code: flag.description for flag in flags}
        self.fields["flags"].choices = [(flag.code, flag.name) for flag in flags]

    def flag_rows(self) -> list[tuple]:
        """Each flag's checkbox with the flag's description, for the template."""
        return [(box, self.flag_descriptions.get(box.data["value"], "")) for box in self["flags"]]
