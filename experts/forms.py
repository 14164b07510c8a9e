from django import forms
from django.utils.translation import gettext_lazy as _

from partnerportal.geography import DEPARTEMENT_CHOICES

from .models import Expert


class DirectorySearchForm(forms.Form):
    speciality = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Speciality"), empty_label=_("Any")
    )
    departement = forms.ChoiceField(
        choices=[("", _("Any"))] + list(DEPARTEMENT_CHOICES), required=False, label=_("Département")
    )

    def __init__(self, *args, specialities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["speciality"].queryset = specialities


class ExpertProfileForm(forms.ModelForm):
    departements = forms.MultipleChoiceField(
        choices=DEPARTEMENT_CHOICES,
        label=_("Zone (départements)"),
        help_text=_("Where you guarantee your intervention time. Hold Ctrl (⌘ on a Mac) to choose several."),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )

    class Meta:
        model = Expert
        fields = ["intervention_hours", "contact_name", "contact_email", "contact_phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intervention_hours"].required = True
        if self.instance.pk:
            self.initial["departements"] = [zone.departement for zone in self.instance.zones.all()]


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you refuse"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DoneForm(forms.Form):
    done_at = forms.DateTimeField(
        label=_("Done at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
