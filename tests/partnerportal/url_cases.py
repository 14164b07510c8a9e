from django.test.utils import override_settings
from django.urls import reverse

from tests.url_cases import BACK_OFFICE, HOME, Redirect, UrlCase, everyone, signed_in


def _member(world):
    return {"pk": world.a.sales_membership.pk}


def _invitation(world):
    from tests.partnerportal.factories import InvitationFactory

    invitation = InvitationFactory(partner=world.a.partner, tenant=world.a.tenant, invited_by=world.a.admin)
    return {"pk": invitation.pk}


def _logo(world):
    from io import BytesIO

    from django.core.files.base import ContentFile
    from PIL import Image

    png = BytesIO()
    Image.new("RGB", (4, 4), "navy").save(png, "PNG")
    world.a.tenant.logo.save("alpha-logo.png", ContentFile(png.getvalue()))
    return {"name": world.a.tenant.logo.name.rsplit("/", 1)[-1]}


def _partner_name(world):
    return world.a.partner.legal_name


REAUTHENTICATE = Redirect("account_reauthenticate")
# Team management is for the partner's administrators: a 403 for the others (before any object is looked up,
# so it says nothing of the object); the superuser, who has no membership, is sent to the back-office.
PARTNER_ADMINS_ONLY = {"member": 403, "operator_member": 403, "manager": 403, "superuser": BACK_OFFICE}


CASES = {
    "partnerportal:home": UrlCase(other_partner=200, other_tenant=200, marker=_partner_name),
    "partnerportal:team": UrlCase(other_partner=200, other_tenant=200, marker=lambda w: w.a.sales.email),
    "partnerportal:company": UrlCase(other_partner=200, other_tenant=200, marker=_partner_name),
    # An empty invitation form is refused (400) and shown again, to any partner admin about their own team.
    "partnerportal:invitation-create": UrlCase(
        method="post", other_partner=400, other_tenant=400, owner=400, **PARTNER_ADMINS_ONLY
    ),
    "partnerportal:invitation-revoke": UrlCase(
        kwargs=_invitation, method="post", owner=302, **PARTNER_ADMINS_ONLY
    ),
    "partnerportal:membership-update": UrlCase(
        kwargs=_member, method="post", data={"role": "technical"}, owner=302, **PARTNER_ADMINS_ONLY
    ),
    "partnerportal:membership-delete": UrlCase(kwargs=_member, **PARTNER_ADMINS_ONLY),
    # Reached from the e-mail by people without an account: public, and a bad token is a 404 for anyone.
    "partnerportal:invitation-accept": everyone(404, kwargs=lambda world: {"token": "not-a-token"}),
    "partnerportal:branding-css": everyone(200),
    # Public on the tenant's host (the sign-in page shows it); another tenant's host knows no such file.
    "partnerportal:tenant-logo": everyone(200, kwargs=_logo, other_tenant=404, other_manager=404),
}


def _new_address(world):
    """A confirmation key for an address A's partner admin is adding: the key e-mailed to that address."""
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    address = EmailAddress.objects.create(user=world.a.admin, email="new-admin@azur.test", verified=False)
    return {"key": EmailConfirmationHMAC(address).key}


def _reset_key(world):
    """The password reset link e-mailed to A's partner admin (built after the visitors signed in)."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    return {
        "uidb36": user_pk_to_url_str(world.a.admin),
        "key": default_token_generator.make_token(world.a.admin),
    }


def _reset_form(world):
    from allauth.account.utils import user_pk_to_url_str

    kwargs = {"uidb36": user_pk_to_url_str(world.a.admin), "key": "set-password"}
    return reverse("account_reset_password_from_key", kwargs=kwargs)


def _no_broker(world):
    """/healthz without a broker to probe (see tests/partnerportal/test_health.py for the broker's cases)."""
    override_settings(CELERY_BROKER_URL="").enable()  # dropped by the ``settings`` fixture's teardown
    return {}


# The project's own URLs: allauth's pages about the signed-in person (no one else's object in them), the
# language switch, and the health check. People sign in on one tenant's host; on another host their
# session is not valid (foreign_session), so they are anonymous there.
CASES |= {
    "account_login": signed_in(HOME, anonymous=200),
    "account_signup": signed_in(HOME, anonymous=200),  # anonymous: "sign-up is closed" without an invitation
    "account_logout": signed_in(200, anonymous=HOME),  # GET asks to confirm; the POST signs out
    "account_inactive": everyone(200),
    "account_email": signed_in(200),
    "account_email_verification_sent": everyone(200),
    "account_change_password": signed_in(200),
    "account_set_password": signed_in(Redirect("account_change_password")),  # everyone has a password
    "account_reset_password": everyone(200),
    "account_reset_password_done": everyone(200),
    "account_reset_password_from_key_done": everyone(200),
    "account_reauthenticate": signed_in(200),
    "account_request_reauthentication_code": signed_in(200),
    "account_confirm_reauthentication_code": signed_in(Redirect("account_request_reauthentication_code")),
    "account_confirm_login_code": signed_in(HOME),  # no code pending: nothing to confirm
    # E-mailed keys: the key is the credential, and the account is the person's on every tenant's host.
    # allauth signs out a visitor signed in as someone else before asking to confirm the address.
    "account_confirm_email": everyone(200, kwargs=_new_address, marker=None),  # it names the new address
    "account_reset_password_from_key": everyone(Redirect(_reset_form), kwargs=_reset_key),
    "usersessions_list": signed_in(200),  # the person's own sessions
    "mfa_index": signed_in(200),
    "mfa_authenticate": signed_in(HOME),  # no sign-in waiting for its second factor
    "mfa_reauthenticate": signed_in(REAUTHENTICATE),  # no authenticator: the password instead
    "mfa_activate_totp": signed_in(REAUTHENTICATE),  # a recent sign-in first
    "mfa_generate_recovery_codes": signed_in(REAUTHENTICATE),
    # Nobody in the world has an authenticator: nothing to deactivate, show or download.
    "mfa_deactivate_totp": signed_in(404),
    "mfa_view_recovery_codes": signed_in(404),
    "mfa_download_recovery_codes": signed_in(404),
    "set_language": everyone(HOME),  # a GET without "next" goes home; the POST is tested in test_views
    "/healthz": everyone(200, kwargs=_no_broker),  # answered by a middleware, before the tenant's host
}
