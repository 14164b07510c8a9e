"""Sign-in is per tenant: allauth adapter, session binding (signals, MembershipMiddleware), password reset."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from partnerportal.middleware import SESSION_TENANT_KEY
from partnerportal.models import Membership
from tests.partnerportal.factories import PASSWORD, MembershipFactory, UserFactory

LOGIN_URL = reverse("account_login")
RESET_URL = reverse("account_reset_password")
RESET_LINK = re.compile(r"/accounts/password/reset/key/[^\s\"'<>]+")


def sign_in(host: str, email: str, password: str = PASSWORD) -> tuple[Client, object]:
    """The real allauth sign-in form, posted on ``host``."""
    client = Client(HTTP_HOST=host)
    response = client.post(LOGIN_URL, {"login": email, "password": password})
    return client, response


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def is_login_redirect(response, next_path: str = "/") -> bool:
    return response.status_code == 302 and response["Location"] == f"{LOGIN_URL}?next={next_path}"


# --- sign-in through the form ------------------------------------------------------------------------


def test_member_signs_in_on_their_tenants_host(world):
    client, response = sign_in(world.a.host, world.a.admin.email)

    assert response.status_code == 302
    assert response["Location"] == reverse("partnerportal:home")
    assert signed_in_user_id(client) == world.a.admin.pk
    assert client.session[SESSION_TENANT_KEY] == world.a.tenant.pk  # bound by the user_logged_in signal
    home = client.get("/")
    assert home.status_code == 200
    assert world.a.partner.legal_name in home.content.decode()


def test_sign_in_is_case_insensitive_on_the_email(world):
    client, response = sign_in(world.a.host, world.a.admin.email.upper())

    assert response.status_code == 302
    assert signed_in_user_id(client) == world.a.admin.pk


@pytest.mark.parametrize("who", ["admin", "sales", "other_admin", "manager"])
def test_person_without_membership_cannot_sign_in_on_another_tenants_host(world, who):
    user = getattr(world.a, who)

    client, response = sign_in(world.b.host, user.email)  # the right password

    assert response.status_code == 200  # the form again, with an error
    assert response.context["form"].errors
    assert signed_in_user_id(client) is None
    assert is_login_redirect(client.get("/"))


def test_wrong_password_is_refused(world):
    client, response = sign_in(world.a.host, world.a.admin.email, password="not-the-password")

    assert response.status_code == 200
    assert response.context["form"].errors
    assert signed_in_user_id(client) is None


def test_person_of_both_tenants_signs_in_on_either(world):
    MembershipFactory(partner=world.b.partner, user=world.a.admin, role=Membership.Role.SALES)

    for setup in (world.a, world.b):
        client, response = sign_in(setup.host, world.a.admin.email)
        assert response.status_code == 302
        assert client.session[SESSION_TENANT_KEY] == setup.tenant.pk
        assert setup.partner.legal_name in client.get("/").content.decode()


def test_unverified_email_cannot_sign_in(world):
    # ACCOUNT_EMAIL_VERIFICATION = "mandatory": a member who never confirmed their address gets no session.
    user = UserFactory(email_address__verified=False)
    MembershipFactory(partner=world.a.partner, user=user, role=Membership.Role.SALES)

    client, response = sign_in(world.a.host, user.email)

    assert signed_in_user_id(client) is None
    assert is_login_redirect(client.get("/"))


def test_platform_superuser_signs_in_on_every_tenant(world):
    for setup in (world.a, world.b):
        client, response = sign_in(setup.host, world.superuser.email)

        assert response.status_code == 302
        assert signed_in_user_id(client) == world.superuser.pk
        assert client.session[SESSION_TENANT_KEY] == setup.tenant.pk
        assert client.get(reverse("admin:index")).status_code == 200


def test_inactive_member_cannot_sign_in(world):
    world.a.admin.is_active = False
    world.a.admin.save()

    client, response = sign_in(world.a.host, world.a.admin.email)

    assert signed_in_user_id(client) is None


# --- the session belongs to the tenant it was opened on ----------------------------------------------


def test_session_opened_on_a_is_anonymous_on_b(world):
    client, _ = sign_in(world.a.host, world.a.admin.email)
    assert client.get("/").status_code == 200

    response = client.get("/", HTTP_HOST=world.b.host)  # same client, same session cookie

    assert is_login_redirect(response)
    assert response.wsgi_request.user.is_anonymous
    assert client.get("/").status_code == 200  # still signed in on A


def test_session_opened_on_a_is_anonymous_on_b_even_for_a_member_of_b(world):
    # Membership in B is not enough: the session was opened on A, so B must ask for a sign-in of its own.
    MembershipFactory(partner=world.b.partner, user=world.a.admin, role=Membership.Role.SALES)
    client, _ = sign_in(world.a.host, world.a.admin.email)

    response = client.get("/", HTTP_HOST=world.b.host)

    assert is_login_redirect(response)


def test_superuser_session_is_bound_to_its_tenant_too(world, client_for):
    client = client_for(world.a.tenant, world.superuser)
    assert client.get(reverse("admin:index")).status_code == 200

    response = client.get(reverse("admin:index"), HTTP_HOST=world.b.host)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_session_without_tenant_binding_is_anonymous(world):
    client = Client(HTTP_HOST=world.a.host)
    client.force_login(world.a.admin)  # no tenant_id in the session: not opened through a tenant

    assert is_login_redirect(client.get("/"))


def test_removed_membership_ends_access_at_the_next_request(world, client_for):
    client = client_for(world.a.tenant, world.a.sales)
    assert client.get("/").status_code == 200

    with scopes_disabled():
        world.a.sales_membership.delete()

    assert is_login_redirect(client.get("/"))


# --- password reset ----------------------------------------------------------------------------------


def reset_links(outbox) -> list[str]:
    return [link for message in outbox for link in RESET_LINK.findall(message.body)]


def test_password_reset_on_own_tenant_sends_a_link_on_that_host(world, mailoutbox):
    response = Client(HTTP_HOST=world.a.host).post(RESET_URL, {"email": world.a.admin.email})

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [world.a.admin.email]
    assert len(reset_links(mailoutbox)) == 1
    assert f"http://{world.a.host}/accounts/password/reset/key/" in mailoutbox[0].body


def test_password_reset_on_another_tenant_sends_no_link(world, mailoutbox):
    response = Client(HTTP_HOST=world.b.host).post(RESET_URL, {"email": world.a.admin.email})

    # The same answer as for a member (no account enumeration), but no usable link in any mail.
    assert response.status_code == 302
    assert reset_links(mailoutbox) == []
    for message in mailoutbox:
        assert "/password/reset/key/" not in message.body
        for alternative, _mimetype in getattr(message, "alternatives", []):
            assert "/password/reset/key/" not in alternative


def test_password_reset_for_the_superuser_works_on_any_tenant(world, mailoutbox):
    Client(HTTP_HOST=world.b.host).post(RESET_URL, {"email": world.superuser.email})

    assert len(reset_links(mailoutbox)) == 1
