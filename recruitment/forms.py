"""Forms of the recruitment app: the public application form, and the back-office's vetting forms."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from partnerportal.geography import BY_CODE, REGION_CHOICES, departement_of_postal_code
from partnerportal.models import OperatorPlan, PartnerType, Tenant
from partnerportal.validators import (
    validate_multiline,
    validate_single_line,
    validate_siren,
    validate_siret,
)

# What a phone number may hold besides its digits ("+33 (0)2 99 00 00 00", "02.99.00.00.00").
PHONE = re.compile(r"^\+?[0-9 ().-]{6,30}$")
HONEYPOT = "url"  # a field people never see and robots fill in (see ApplicationForm)


def company_number(value: str) -> tuple[str, str]:
    """(SIREN, SIRET) from what was typed: 9 digits are a SIREN, 14 a SIRET (whose first 9 are the SIREN);
    spaces and dots are ignored. Raises the validators' own errors (partnerportal.validators)."""
    digits = re.sub(r"[\s.]", "", value or "")
    if len(digits) == 14:
        validate_siret(digits)
        return digits[:9], digits
    if len(digits) == 9:
        validate_siren(digits)
        return digits, ""
    raise ValidationError(
        _("Give the company's SIREN (9 digits) or SIRET (14 digits); %(value)s is neither."),
        params={"value": value},
        code="format",
    )


class ApplicationForm(forms.Form):
    """The public form. ``url`` is a honeypot: hidden from people by the stylesheet and from assistive
    technology by ``aria-hidden``, it is filled in only by robots, whose submissions the view discards."""

    legal_name = forms.CharField(label=_("Company name"), max_length=200, validators=[validate_single_line])
    company_number = forms.CharField(
        label=_("SIREN or SIRET"),
        max_length=20,
        help_text=_("9 or 14 digits, as on the company's Kbis extract."),
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    postal_code = forms.CharField(label=_("Postal code"), max_length=5, min_length=5)
    city = forms.CharField(label=_("City"), max_length=100, validators=[validate_single_line])
    region = forms.ChoiceField(label=_("Region"), choices=[("", "—"), *REGION_CHOICES])
    partner_type = forms.ModelChoiceField(label=_("Partner type wanted"), queryset=None)
    operator_plan = forms.ModelChoiceField(
        label=_("Operator plan"),
        queryset=None,
        required=False,
        help_text=_("For operators only."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, validators=[validate_single_line])
    last_name = forms.CharField(label=_("Last name"), max_length=150, validators=[validate_single_line])
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("If we accept your application, the invitation to the partner portal goes there."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=30)
    products = forms.CharField(
        label=_("Products and services you sell"),
        max_length=500,
        validators=[validate_multiline],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Telephony, internet access, IPBX brands, IT services…"),
    )
    message = forms.CharField(
        label=_("Tell us about your company and your plans (optional)"),
        max_length=3000,
        required=False,
        validators=[validate_multiline],
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that these details are used to examine this application and to contact me about it."
        ),
    )
    url = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, tenant: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["partner_type"].queryset = PartnerType.objects.filter(tenant=tenant).order_by(
            "position", "name"
        )
        self.fields["operator_plan"].queryset = OperatorPlan.objects.filter(tenant=tenant).order_by(
            "position", "name"
        )
        if not self.fields["operator_plan"].queryset.exists():
            del self.fields["operator_plan"]

    @property
    def is_robot(self) -> bool:
        """The honeypot was filled in (read from the raw data: the form need not be valid)."""
        return bool(self.is_bound and (self.data.get(HONEYPOT) or "").strip())

    def visible_groups(self):
        """The fields in the fieldsets the template draws (the honeypot apart)."""
        groups = (
            (_("Your company"), ["legal_name", "company_number", "website", "postal_code", "city", "region"]),
            (_("The partnership you want"), ["partner_type", "operator_plan", "products", "message"]),
            (_("Who we talk to"), ["first_name", "last_name", "email", "phone"]),
        )
        return [(title, [self[name] for name in names if name in self.fields]) for title, names in groups]

    def clean_company_number(self):
        siren, siret = company_number(self.cleaned_data["company_number"])
        self.cleaned_data["siren"], self.cleaned_data["siret"] = siren, siret
        return siret or siren

    def clean_postal_code(self):
        code = self.cleaned_data["postal_code"].strip()
        if departement_of_postal_code(code) is None:
            raise ValidationError(
                _("%(value)s is not a French postal code."), params={"value": code}, code="postal_code"
            )
        return code

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if not PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6:
            raise ValidationError(_("Give a phone number: digits, spaces and + only."), code="phone")
        return phone

    def clean(self):
        data = super().clean()
        code, region = data.get("postal_code"), data.get("region")
        if code and region:
            departement = BY_CODE[departement_of_postal_code(code)]
            if departement.region != region:
                self.add_error(
                    "region",
                    _("%(code)s is in %(departement)s, in the region %(region)s.")
                    % {"code": code, "departement": departement.name, "region": departement.region},
                )
        partner_type = data.get("partner_type")
        if partner_type is not None and "operator_plan" in self.fields:
            if partner_type.has_operator_plans and not data.get("operator_plan"):
                self.add_error("operator_plan", _("Operators choose a plan."))
            elif not partner_type.has_operator_plans:
                data["operator_plan"] = None  # a plan picked before switching type means nothing
        return data


class CriterionCheckForm(forms.Form):
    """One line of the vetting checklist."""

    criterion = forms.IntegerField(widget=forms.HiddenInput)
    met = forms.BooleanField(label=_("Met"), required=False)
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        validators=[validate_multiline],
        widget=forms.TextInput(attrs={"size": 60}),
    )


CriterionCheckFormSet = forms.formset_factory(CriterionCheckForm, extra=0, max_num=50, absolute_max=50)


class AcceptForm(forms.Form):
    external_ref = forms.CharField(
        label=_("External reference"),
        max_length=50,
        required=False,
        validators=[validate_single_line],
        help_text=_("The partner's billing code, if it has one already; you can set it later."),
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        validators=[validate_multiline],
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("The applicant reads it in the e-mail that tells them."),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Say why the application is refused: the applicant reads it."))
        return reason
