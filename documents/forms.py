from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.translation import gettext_lazy as _

from partnerportal.models import Partner
from tiers.models import Tier
from tiers.selectors import tier_on

from .models import Document


class DocumentGenerateForm(forms.Form):
    """The back-office's "Generate a document": which partner, which document, for which tier.

    The choices come from the scoped managers, so a manager can only pick the partners and tiers of the
    request's tenant (another tenant's id is an invalid choice); the superuser sees every tenant, and then
    the tier must be the partner's tenant's.
    """

    required_css_class = "required"

    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.none())  # see __init__
    kind = forms.ChoiceField(label=_("Document"), choices=Document.Kind.choices)
    tier = forms.ModelChoiceField(
        label=_("Tier"),
        queryset=Tier.objects.none(),
        required=False,
        empty_label=_("The partner's tier today"),
        help_text=_("The tier a diploma or a booster pack is for; by default, the partner's tier today."),
    )

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"] = forms.ModelChoiceField(
            label=_("Partner"),
            queryset=Partner.objects.select_related("tenant"),
            # The admin's search of partners (name, reference), through its tenant-scoped autocomplete view.
            widget=AutocompleteSelect(Document._meta.get_field("partner"), admin_site),
        )
        self.fields["tier"].queryset = Tier.objects.order_by("tenant", "rank")

    def clean(self):
        data = super().clean()
        partner, kind, tier = data.get("partner"), data.get("kind"), data.get("tier")
        if partner is None or not kind:
            return data
        if tier is not None and tier.tenant_id != partner.tenant_id:
            self.add_error("tier", _("Choose a tier of the partner's programme."))
            return data
        if kind == Document.Kind.WELCOME_PACK:
            return data
        tier = tier or tier_on(partner=partner, day=partner.tenant.today())
        if tier is None:
            self.add_error("tier", _("%(partner)s has no tier yet.") % {"partner": partner})
        elif kind == Document.Kind.DIPLOMA and not tier.awards_diploma:
            self.add_error("tier", _("The %(tier)s tier awards no diploma.") % {"tier": tier.name})
        elif kind == Document.Kind.BOOSTER_PACK and not tier.awards_booster_pack:
            self.add_error("tier", _("The %(tier)s tier awards no booster pack.") % {"tier": tier.name})
        elif kind == Document.Kind.DIPLOMA and partner.status != Partner.Status.ACTIVE:
            # Its verification page would say "no longer valid" from the first day.
            self.add_error("partner", _("Only an active partner can hold a diploma."))
        data["tier"] = tier
        return data
