from allauth.account.forms import ResetPasswordForm
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Invitation, Membership, Partner


class TenantModelFormMixin:
    """A model form for a tenant-owned model whose tenant is not a form field.

    The tenant is set on the instance before validation, so that model ``clean()`` and the
    (tenant, …) unique constraints are checked instead of failing later as database errors.
    """

    default_tenant = None

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = tenant or self.default_tenant
        if tenant is not None and self.instance.tenant_id is None:
            self.instance.tenant = tenant

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        if self.instance.tenant_id is not None:
            exclude.discard("tenant")
        return exclude


class TenantResetPasswordForm(ResetPasswordForm):
    """Password reset only for people of this tenant (or the platform superuser).

    The Membership manager is scoped to the request's tenant, so the filter below needs no tenant. An
    address known only on another tenant is answered as an unknown one (ACCOUNT_PREVENT_ENUMERATION): the
    same page, and a mail without a link to that address.
    """

    def clean_email(self):
        email = super().clean_email()
        member_ids = set(
            Membership.objects.filter(user__in=[u.pk for u in self.users]).values_list("user_id", flat=True)
        )
        self.users = [u for u in self.users if u.pk in member_ids or u.is_superuser]
        return email


class InvitationForm(TenantModelFormMixin, forms.ModelForm):
    """A partner admin invites a colleague to the partner's team."""

    role = forms.ChoiceField(
        label=_("Profile"), choices=[(r.value, r.label) for r in Membership.PARTNER_ROLES]
    )

    class Meta:
        model = Invitation
        fields = ["email", "role"]
        labels = {"email": _("E-mail address")}

    def __init__(self, *args, partner: Partner, tenant=None, **kwargs):
        super().__init__(*args, tenant=tenant or partner.tenant, **kwargs)
        self.instance.partner = partner


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Profile"), choices=[(r.value, r.label) for r in Membership.PARTNER_ROLES]
    )


class PartnerContactForm(forms.ModelForm):
    """What a partner may change about itself: contact data, never its programme standing."""

    class Meta:
        model = Partner
        fields = ["trade_name", *Partner.CONTACT_FIELDS]


class InvitationPasswordForm(forms.Form):
    """An invited person who already has an account confirms with their password."""

    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
