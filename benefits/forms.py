from django import forms
from django.utils.translation import gettext_lazy as _


class ClaimForm(forms.Form):
    note = forms.CharField(
        label=_("Note for your channel manager (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ClaimRefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The partner reads it in the e-mail and on its portal."),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why the claim is refused."))
        return reason


class BenefitAdminForm(forms.ModelForm):
    """The catalogue's admin form; the admin gives it its model and fields (no Meta: a form class built
    at import would read the scoped partner types outside any scope)."""

    def clean_partner_types(self):
        # A many-to-many is saved after the model's clean(), so cross_tenant_errors cannot see it: the
        # superuser's unscoped back-office offers every tenant's partner types.
        partner_types = self.cleaned_data["partner_types"]
        tenant = self.cleaned_data.get("tenant") if "tenant" in self.fields else None
        tenant = tenant or (self.instance.tenant if self.instance.tenant_id else None)
        if tenant is not None and any(t.tenant_id != tenant.pk for t in partner_types):
            raise forms.ValidationError(
                _("Choose partner types of this benefit's programme only."), code="other_tenant"
            )
        return partner_types
