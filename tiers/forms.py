from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class AmountField(forms.DecimalField):
    """An amount as people type it: "1 500,50", "1500.50", "1,500.50", "1.500,50 €"."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("€", "")
            for space in (" ", "\xa0", "\u202f"):
                value = value.replace(space, "")
            if "," in value and "." in value:  # the last one is the decimal mark
                value = (
                    value.replace(".", "").replace(",", ".")
                    if value.rfind(",") > value.rfind(".")
                    else value.replace(",", "")
                )
            else:
                value = value.replace(",", ".")
        return super().to_python(value)


class SimulationForm(forms.Form):
    """ "Mon statut"'s simulator: the extra monthly revenue the partner expects. Nothing is saved."""

    # A text field (decimal keypad on phones): "1 500,50" as people type it, which a number field refuses.
    extra = AmountField(
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        label=_("Extra revenue per month (€ excl. VAT)"),
        min_value=Decimal("0"),
        max_value=Decimal("100000000"),
        max_digits=11,
        decimal_places=2,
        help_text=_(
            "From this month on, on top of your recent monthly average. Or simulate a quote from the quote calculator."
        ),
    )
