from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .models import ProductLine
from .uploads import evidence_clean, max_bytes

QUARTERS = (1, 2, 3, 4)


class DocumentForm(forms.Form):
    document = forms.FileField(
        label=_("Document"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = {"limit": filesizeformat(max_bytes())}  # formatted per request, in the person's language
        self.fields["document"].help_text = _("PDF, PNG or JPEG, at most %(limit)s.") % limit

    def clean_document(self):
        """The bytes to store: a checked PDF, or a scan re-encoded (see ``uploads.evidence_clean``)."""
        return evidence_clean(self.cleaned_data["document"])


class TrainingForm(forms.Form):
    trainee = forms.ModelChoiceField(label=_("Who attended"), queryset=None)
    course = forms.CharField(label=_("Course"), max_length=200)
    completed_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainee"].queryset = (
            get_user_model().objects.filter(memberships__partner=partner).order_by("last_name", "email")
        )
        self.fields["trainee"].label_from_instance = lambda user: user.get_full_name() or user.email


def _amount_field(label) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )


class PlanForm(forms.Form):
    """One amount per (quarter, product line): fields ``q1_sip_trunk`` … ``q4_data``; empty means none."""

    notes = forms.CharField(
        label=_("Actions planned"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for q in QUARTERS:
            for line, name in ProductLine.choices:
                label = _("Q%(quarter)d — %(line)s") % {"quarter": q, "line": name}
                self.fields[f"q{q}_{line}"] = _amount_field(label)

    def grid(self):
        return [(q, [self[f"q{q}_{line}"] for line, _name in ProductLine.choices]) for q in QUARTERS]

    def objectives(self) -> dict:
        return {
            (q, line): self.cleaned_data.get(f"q{q}_{line}")
            for q in QUARTERS
            for line, _n in ProductLine.choices
        }

    @staticmethod
    def initial_from(objectives: dict, notes: str) -> dict:
        return {"notes": notes, **{f"q{q}_{line}": amount for (q, line), amount in objectives.items()}}


class ForecastForm(forms.Form):
    quarter = forms.TypedChoiceField(label=_("Quarter"), choices=(), coerce=str)

    def __init__(self, *args, quarters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quarter"].choices = quarters
        for line, name in ProductLine.choices:
            self.fields[line] = _amount_field(name)
            self.fields[line].required = True

    def amounts(self) -> dict:
        return {line: self.cleaned_data[line] for line, _name in ProductLine.choices}
