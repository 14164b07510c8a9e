from django import forms
from django.utils.translation import gettext_lazy as _

from partnerportal.geography import DEPARTEMENT_CHOICES, REGION_CHOICES, departement_of_postal_code

from .models import MONEY, Lead


class SameTenantProductLinesMixin:
    """The admin forms give their model and fields (no Meta: a form class built at import would read the
    scoped product lines outside any scope). A many-to-many is saved after the model's clean(), so
    cross_tenant_errors cannot see it: the superuser's unscoped back-office offers every tenant's lines."""

    def clean_product_lines(self):
        lines = self.cleaned_data["product_lines"]
        tenant = self.instance.tenant if self.instance.tenant_id else None
        if tenant is not None and any(line.tenant_id != tenant.pk for line in lines):
            raise forms.ValidationError(
                _("Choose product lines of this programme only."), code="other_tenant"
            )
        return lines


class LeadAdminForm(SameTenantProductLinesMixin, forms.ModelForm):
    """The lead's admin form; the admin gives it its fields."""

    def clean_postal_code(self):
        code = self.cleaned_data["postal_code"].strip().replace(" ", "")
        if departement_of_postal_code(code) is None:
            raise forms.ValidationError(
                _("%(code)s is not the postal code of a French département.") % {"code": code}
            )
        return code


class LeadCoverageAdminForm(SameTenantProductLinesMixin, forms.ModelForm):
    departements = forms.MultipleChoiceField(
        label=_("other départements"),
        choices=DEPARTEMENT_CHOICES,
        required=False,
        help_text=_("Besides the one of the partner's address."),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    regions = forms.MultipleChoiceField(
        label=_("régions"),
        choices=REGION_CHOICES,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )


class LeadImportForm(forms.Form):
    file = forms.FileField(label=_("Lead file (CSV)"))


class LeadAssignForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=None)

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners


class LeadProgressForm(forms.Form):
    state = forms.ChoiceField(
        label=_("New state"),
        choices=[
            (state, Lead.State(state).label)
            for state in (Lead.State.CONTACTED, Lead.State.QUOTED, Lead.State.WON, Lead.State.LOST)
        ],
    )
    won_value = forms.DecimalField(
        label=_("Monthly value signed (€)"),
        required=False,
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
        min_value=0,
        localize=True,
    )
    lost_reason = forms.CharField(label=_("Why was it lost?"), required=False, max_length=300)

    def __init__(self, *args, next_states=None, **kwargs):
        super().__init__(*args, **kwargs)
        if next_states is not None:  # only forward from where the lead is
            self.fields["state"].choices = [c for c in self.fields["state"].choices if c[0] in next_states]

    def clean(self):
        data = super().clean()
        state = data.get("state")
        if state == Lead.State.WON and data.get("won_value") is None:
            self.add_error("won_value", _("Give the monthly value signed."))
        if state == Lead.State.LOST and not (data.get("lost_reason") or "").strip():
            self.add_error("lost_reason", _("Say why the lead was lost."))
        return data
