from django import forms
from django.utils.translation import gettext_lazy as _


class ClaimForm(forms.Form):
    note = forms.CharField(
        label=_("Note for your channel manager"),
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
