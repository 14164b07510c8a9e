"""Invitations: sent from "Mon équipe", accepted by sign-up (new person) or password (existing account).

services.invitation_issue/accept, views.InvitationCreateView/InvitationAcceptView, adapters.AccountAdapter.
"""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from partnerportal.middleware import SESSION_TENANT_KEY
from partnerportal.models import Invitation, Membership, User, hash_token
from tests.partnerportal.factories import PASSWORD, InvitationFactory, MembershipFactory

INVITE_URL = reverse("partnerportal:invitation-create")
SIGNUP_URL = reverse("account_signup")
NEW_PASSWORD = "Un-mot-de-passe-solide-2026"
LINK = re.compile(r"https?://([^/\s]+)(/invitations/([^/\s]+)/)")


def accept_url(token: str) -> str:
    return reverse("partnerportal:invitation-accept", kwargs={"token": token})


def invite(client: Client, email: str, role: str = "sales", capture=None):
    """POST the "Mon équipe" invitation form, running the after-commit mail."""
    with capture(execute=True):
        return client.post(INVITE_URL, {"email": email, "role": role})


def link_in(message) -> tuple[str, str, str]:
    """(host, path, token) of the invitation link in an e-mail."""
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1), match.group(2), match.group(3)


def sign_up(client: Client, email: str, password: str = NEW_PASSWORD):
    return client.post(SIGNUP_URL, {"email": email, "password1": password, "password2": password})


def get_invitation(email: str) -> Invitation:
    with scopes_disabled():
        return Invitation.objects.get(email=email)


def membership_of(user: User, setup) -> Membership | None:
    with scopes_disabled():
        return Membership.objects.filter(user=user, tenant=setup.tenant).first()


@pytest.fixture
def admin_a(world, client_for):
    return client_for(world.a.tenant, world.a.admin)


@pytest.fixture
def invited(world, admin_a, mailoutbox, django_capture_on_commit_callbacks):
    """A's partner admin has invited new.colleague@example.test as technical; returns the link's path."""
    response = invite(
        admin_a, "New.Colleague@Example.test", role="technical", capture=django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    (message,) = mailoutbox
    mailoutbox.clear()
    return link_in(message)[1]


# --- sending -----------------------------------------------------------------------------------------


def test_partner_admin_invites_a_colleague_by_email(
    world, admin_a, mailoutbox, django_capture_on_commit_callbacks
):
    response = invite(
        admin_a, " New.Colleague@Example.test ", role="technical", capture=django_capture_on_commit_callbacks
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("partnerportal:team")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["new.colleague@example.test"]
    host, path, token = link_in(message)
    assert host == world.a.host  # the link opens the inviting tenant's portal
    assert path == accept_url(token)
    assert world.a.partner.legal_name in message.subject
    assert path in message.alternatives[0][0]  # the HTML part carries the same link

    invitation = get_invitation("new.colleague@example.test")
    assert (invitation.tenant, invitation.partner, invitation.role) == (
        world.a.tenant,
        world.a.partner,
        Membership.Role.TECHNICAL,
    )
    assert invitation.invited_by == world.a.admin
    assert invitation.is_pending


def test_only_the_tokens_hash_is_stored(world, invited):
    token = invited.split("/")[-2]
    invitation = get_invitation("new.colleague@example.test")

    assert invitation.token_hash == hash_token(token) != token
    stored = {**model_to_dict(invitation), "token_hash": invitation.token_hash}
    assert all(token not in str(value) for value in stored.values())


def test_invitation_expires_after_seven_days(world, invited):
    invitation = get_invitation("new.colleague@example.test")

    assert abs(invitation.expires_at - invitation.created_at - timedelta(days=7)) < timedelta(seconds=5)


def test_pending_invitation_is_listed_on_the_team_page(world, admin_a, invited):
    content = admin_a.get(reverse("partnerportal:team")).content.decode()

    assert "new.colleague@example.test" in content


def test_reinviting_replaces_the_previous_link(
    world, admin_a, invited, mailoutbox, django_capture_on_commit_callbacks
):
    invite(admin_a, "new.colleague@example.test", capture=django_capture_on_commit_callbacks)
    new_path = link_in(mailoutbox[0])[1]

    assert Client(HTTP_HOST=world.a.host).get(invited).status_code == 410
    assert Client(HTTP_HOST=world.a.host).get(new_path).status_code == 302


@pytest.mark.parametrize("who", ["sales", "manager"])
def test_only_partner_admins_invite(world, client_for, mailoutbox, django_capture_on_commit_callbacks, who):
    client = client_for(world.a.tenant, getattr(world.a, who))

    response = invite(client, "someone@example.test", capture=django_capture_on_commit_callbacks)

    # Sales people are refused; managers have no partner (they invite from the back-office).
    assert response.status_code in ((403,) if who == "sales" else (302, 403))
    if response.status_code == 302:
        assert response["Location"] == reverse("admin:index")
    with scopes_disabled():
        assert not Invitation.objects.filter(email="someone@example.test").exists()
    assert mailoutbox == []


def test_anonymous_cannot_invite(world, client_for, mailoutbox, django_capture_on_commit_callbacks):
    response = invite(
        client_for(world.a.tenant), "x@example.test", capture=django_capture_on_commit_callbacks
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert mailoutbox == []


def test_inviting_someone_who_already_has_access_is_a_form_error(
    world, admin_a, mailoutbox, django_capture_on_commit_callbacks
):
    response = invite(admin_a, world.a.sales.email.upper(), capture=django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert "email" in response.context["invitation_form"].errors
    assert mailoutbox == []
    with scopes_disabled():
        assert not Invitation.objects.exists()


def test_inviting_a_member_of_another_partner_of_the_tenant_is_a_form_error(
    world, admin_a, mailoutbox, django_capture_on_commit_callbacks
):
    # One membership per person and tenant: a person of A's other partner cannot also join this one.
    response = invite(admin_a, world.a.other_admin.email, capture=django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert mailoutbox == []


@pytest.mark.parametrize(
    "data", [{"email": "not-an-email", "role": "sales"}, {"email": "x@example.test", "role": "manager"}, {}]
)
def test_invalid_invitation_form_is_a_400(
    world, admin_a, mailoutbox, django_capture_on_commit_callbacks, data
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_a.post(INVITE_URL, data)

    assert response.status_code == 400
    assert response.context["invitation_form"].errors
    assert world.a.partner.legal_name in response.content.decode()  # the team page, re-rendered
    assert mailoutbox == []


def test_invitation_mail_is_in_the_partners_language(
    world, admin_a, mailoutbox, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        world.a.partner.preferred_language = "en"
        world.a.partner.save()

    invite(admin_a, "english@example.test", capture=django_capture_on_commit_callbacks)

    assert "invites you to join" in mailoutbox[0].body


# --- accepting as a new person -----------------------------------------------------------------------


def test_new_person_follows_the_link_to_sign_up(world, invited):
    response = Client(HTTP_HOST=world.a.host).get(invited)

    assert response.status_code == 302
    assert response["Location"].startswith(SIGNUP_URL)


def test_new_person_signs_up_and_becomes_a_member(world, invited, mailoutbox):
    client = Client(HTTP_HOST=world.a.host)
    client.get(invited)

    response = sign_up(client, "new.colleague@example.test")

    assert response.status_code == 302, response.context["form"].errors
    user = User.objects.get(email="new.colleague@example.test")
    membership = membership_of(user, world.a)
    assert membership.partner == world.a.partner
    assert membership.role == Membership.Role.TECHNICAL
    assert user.check_password(NEW_PASSWORD)
    # Signed in at once, on this tenant: the e-mailed link proved the address, no verification mail.
    assert int(client.session[SESSION_KEY]) == user.pk
    assert client.session[SESSION_TENANT_KEY] == world.a.tenant.pk
    assert mailoutbox == []
    assert user.emailaddress_set.get().verified
    home = client.get("/")
    assert home.status_code == 200
    assert world.a.partner.legal_name in home.content.decode()
    invitation = get_invitation("new.colleague@example.test")
    assert invitation.accepted_by == user and invitation.accepted_at is not None


def test_sign_up_with_another_email_is_refused(world, invited):
    client = Client(HTTP_HOST=world.a.host)
    client.get(invited)

    response = sign_up(client, "someone.else@example.test")

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not User.objects.filter(email="someone.else@example.test").exists()
    assert get_invitation("new.colleague@example.test").is_pending


def test_link_works_once(world, invited):
    first = Client(HTTP_HOST=world.a.host)
    first.get(invited)
    assert sign_up(first, "new.colleague@example.test").status_code == 302

    response = Client(HTTP_HOST=world.a.host).get(invited)

    assert response.status_code == 410


def test_sign_up_after_the_link_was_used_elsewhere_is_closed(world, invited):
    # Two browsers open the link; the first signs up; the second's session must not sign up again.
    first, second = Client(HTTP_HOST=world.a.host), Client(HTTP_HOST=world.a.host)
    first.get(invited)
    second.get(invited)
    assert sign_up(first, "new.colleague@example.test").status_code == 302

    sign_up(second, "new.colleague@example.test", password="Another-passw0rd-2026")

    assert User.objects.filter(email="new.colleague@example.test").count() == 1
    assert User.objects.get(email="new.colleague@example.test").check_password(NEW_PASSWORD)


def test_expired_link_is_gone(world, invited):
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        response = Client(HTTP_HOST=world.a.host).get(invited)

    assert response.status_code == 410


def test_link_expires_between_opening_and_signing_up(world, invited):
    client = Client(HTTP_HOST=world.a.host)
    client.get(invited)

    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        sign_up(client, "new.colleague@example.test")

    assert not User.objects.filter(email="new.colleague@example.test").exists()


def test_link_still_works_on_the_last_day(world, invited):
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23), tick=False):
        response = Client(HTTP_HOST=world.a.host).get(invited)

    assert response.status_code == 302


def test_revoked_link_is_gone(world, admin_a, invited):
    invitation = get_invitation("new.colleague@example.test")

    response = admin_a.post(reverse("partnerportal:invitation-revoke", args=[invitation.pk]))

    assert response.status_code == 302
    assert get_invitation("new.colleague@example.test").revoked_at is not None
    assert Client(HTTP_HOST=world.a.host).get(invited).status_code == 410


def test_revoked_after_opening_the_link_cannot_sign_up(world, admin_a, invited):
    client = Client(HTTP_HOST=world.a.host)
    client.get(invited)
    admin_a.post(
        reverse("partnerportal:invitation-revoke", args=[get_invitation("new.colleague@example.test").pk])
    )

    sign_up(client, "new.colleague@example.test")

    assert not User.objects.filter(email="new.colleague@example.test").exists()


def test_link_of_tenant_a_on_tenant_bs_host_is_not_found(world, invited):
    response = Client(HTTP_HOST=world.b.host).get(invited)

    assert response.status_code == 404
    assert world.a.partner.legal_name not in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_token_is_not_found(world, method):
    response = getattr(Client(HTTP_HOST=world.a.host), method)(accept_url("no-such-token"))

    assert response.status_code == 404


def test_public_sign_up_is_closed(world):
    client = Client(HTTP_HOST=world.a.host)

    page = client.get(SIGNUP_URL)
    response = sign_up(client, "walk.in@example.test")

    assert "account/signup_closed.html" in [t.name for t in page.templates]
    assert response.status_code == 200
    assert not User.objects.filter(email="walk.in@example.test").exists()


def test_invitation_of_tenant_a_does_not_open_sign_up_on_tenant_b(world, invited):
    # The session that opened A's link carries the invitation id; B's host must not honour it.
    client = Client(HTTP_HOST=world.a.host)
    client.get(invited)

    client.post(
        SIGNUP_URL,
        {"email": "new.colleague@example.test", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        HTTP_HOST=world.b.host,
    )

    assert not User.objects.filter(email="new.colleague@example.test").exists()


# --- accepting with an existing account -------------------------------------------------------------


@pytest.fixture
def b_person_invited_to_a(world):
    """B's partner admin is invited to A's partner (as sales), e.g. by the factory."""
    return InvitationFactory(partner=world.a.partner, email=world.b.admin.email, role=Membership.Role.SALES)


def test_existing_person_is_asked_for_their_password(world, b_person_invited_to_a):
    response = Client(HTTP_HOST=world.a.host).get(accept_url(b_person_invited_to_a.token))

    assert response.status_code == 200
    assert "password" in response.context["form"].fields
    assert membership_of(world.b.admin, world.a) is None


def test_existing_person_accepts_with_their_password(world, b_person_invited_to_a):
    client = Client(HTTP_HOST=world.a.host)

    response = client.post(accept_url(b_person_invited_to_a.token), {"password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("partnerportal:home")
    membership = membership_of(world.b.admin, world.a)
    assert (membership.partner, membership.role) == (world.a.partner, Membership.Role.SALES)
    assert membership_of(world.b.admin, world.b).partner == world.b.partner  # still a member of B
    assert client.session[SESSION_TENANT_KEY] == world.a.tenant.pk
    assert world.a.partner.legal_name in client.get("/").content.decode()
    assert Client(HTTP_HOST=world.a.host).get(accept_url(b_person_invited_to_a.token)).status_code == 410


def test_existing_person_with_a_wrong_password_is_refused(world, b_person_invited_to_a):
    client = Client(HTTP_HOST=world.a.host)

    response = client.post(accept_url(b_person_invited_to_a.token), {"password": "not-my-password"})

    assert response.status_code == 400
    assert "password" in response.context["form"].errors
    assert membership_of(world.b.admin, world.a) is None
    assert SESSION_KEY not in client.session
    assert get_invitation(world.b.admin.email).is_pending


def test_existing_person_is_not_sent_to_sign_up(world, b_person_invited_to_a):
    client = Client(HTTP_HOST=world.a.host)
    client.get(accept_url(b_person_invited_to_a.token))

    sign_up(client, world.b.admin.email)

    assert membership_of(world.b.admin, world.a) is None
    assert world.b.admin.check_password(PASSWORD)


def test_invitation_to_manage_the_programme_makes_a_staff_manager(world):
    outsider = MembershipFactory(partner=world.b.partner, role=Membership.Role.SALES).user
    invitation = InvitationFactory(
        tenant=world.a.tenant, partner=None, email=outsider.email, role=Membership.Role.MANAGER
    )

    client = Client(HTTP_HOST=world.a.host)
    response = client.post(accept_url(invitation.token), {"password": PASSWORD})

    assert response.status_code == 302
    outsider.refresh_from_db()
    assert outsider.is_staff
    assert membership_of(outsider, world.a).role == Membership.Role.MANAGER
    assert client.get(reverse("admin:index")).status_code == 200


def test_password_guessing_on_an_invitation_is_rate_limited(world, b_person_invited_to_a):
    # The same failed-login limit as allauth's sign-in form (5 per address), then even the right one waits.
    client = Client(HTTP_HOST=world.a.host)
    url = accept_url(b_person_invited_to_a.token)
    statuses = [client.post(url, {"password": f"guess-{n}"}).status_code for n in range(5)]

    response = client.post(url, {"password": PASSWORD})

    assert statuses == [400] * 5
    assert response.status_code == 429
    assert membership_of(world.b.admin, world.a) is None


@pytest.mark.parametrize("email", ["jean+portail@example.test", "a&b@example.test"])
def test_sign_up_link_carries_the_invited_address_intact(world, email):
    # RFC 5322 allows "+" and "&" in the local part; the sign-up form is pre-filled from the query string.
    invitation = InvitationFactory(partner=world.a.partner, email=email)

    response = Client(HTTP_HOST=world.a.host).get(accept_url(invitation.token))

    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query) == {"email": [email]}
