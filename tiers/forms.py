from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class SimulationForm(forms.Form):
    """ "Mon statut"'s simulator: the extra monthly revenue the partner expects. Nothing is saved."""

    extra = forms.DecimalField(
        label=_("Extra revenue per month (€ excl. VAT)"),
        min_value=Decimal("0"),
        max_value=Decimal("100000000"),
        max_digits=11,
        decimal_places=2,
        localize=True,
        help_text=_(
            "From this month on, on top of your recent monthly average. Or simulate a quote from the quote calculator."
        ),
    )
