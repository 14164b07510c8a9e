"""Writes of the core app (services.py): their invariants, called directly as a task or command would."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled

from partnerportal import services
from partnerportal.models import Invitation, Membership, hash_token
from partnerportal.tenancy import tenant_scope
from tests.partnerportal.factories import InvitationFactory, MembershipFactory, UserFactory


def issue(setup, email: str, *, partner=None, role="sales", capture=None):
    with tenant_scope(setup.tenant), capture(execute=True):
        return services.invitation_create(
            tenant=setup.tenant,
            partner=partner or setup.partner,
            email=email,
            role=role,
            invited_by=setup.admin,
            base_url=f"http://{setup.host}/",
        )


def test_invitation_create_normalises_the_email_and_mails_after_commit(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with tenant_scope(world.a.tenant), django_capture_on_commit_callbacks() as callbacks:
        invitation = services.invitation_create(
            tenant=world.a.tenant,
            partner=world.a.partner,
            email="  Mixed.Case@Example.TEST ",
            role="sales",
            invited_by=world.a.admin,
            base_url=f"http://{world.a.host}/",
        )
        assert mailoutbox == []  # nothing is sent before the transaction commits

    assert invitation.email == "mixed.case@example.test"
    assert len(callbacks) == 1
    callbacks[0]()
    assert mailoutbox[0].to == ["mixed.case@example.test"]


def test_new_invitation_revokes_pending_ones_for_the_same_address_in_the_tenant(
    world, django_capture_on_commit_callbacks
):
    old = InvitationFactory(partner=world.a.partner, email="twice@example.test")
    elsewhere = InvitationFactory(partner=world.b.partner, email="twice@example.test")

    new = issue(world.a, "Twice@example.test", capture=django_capture_on_commit_callbacks)

    with scopes_disabled():
        assert Invitation.objects.get(pk=old.pk).revoked_at is not None
        assert Invitation.objects.get(pk=new.pk).is_pending
        assert Invitation.objects.get(pk=elsewhere.pk).is_pending  # another tenant's invitation stays


@pytest.mark.parametrize(
    ("partner_of", "role"),
    [("b", "sales"), ("a", "manager"), (None, "sales")],
    ids=["other-tenants-partner", "manager-with-partner", "partner-role-without-partner"],
)
def test_invitation_create_refuses_inconsistent_invitations(world, partner_of, role, mailoutbox):
    partner = {"a": world.a.partner, "b": world.b.partner, None: None}[partner_of]

    with tenant_scope(world.a.tenant), pytest.raises(ValidationError) as excinfo:
        services.invitation_create(
            tenant=world.a.tenant,
            partner=partner,
            email="x@example.test",
            role=role,
            invited_by=None,
            base_url="http://alpha.localhost/",
        )

    assert "partner" in excinfo.value.message_dict
    with scopes_disabled():
        assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_invitation_accept_creates_the_membership_once(world):
    invitation = InvitationFactory(partner=world.a.partner, email="joiner@example.test", role="technical")
    user = UserFactory(email="joiner@example.test")

    with tenant_scope(world.a.tenant):
        membership = services.invitation_accept(invitation=invitation, user=user)
        with pytest.raises(ValidationError):
            services.invitation_accept(invitation=invitation, user=user)

    assert (membership.tenant, membership.partner, membership.role) == (
        world.a.tenant,
        world.a.partner,
        "technical",
    )
    with scopes_disabled():
        assert Membership.objects.filter(user=user).count() == 1
        assert Invitation.objects.get(pk=invitation.pk).accepted_by == user


def test_invitation_accept_refuses_another_address(world):
    invitation = InvitationFactory(partner=world.a.partner, email="joiner@example.test")

    with tenant_scope(world.a.tenant), pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, user=world.b.admin)

    with scopes_disabled():
        assert not Membership.objects.filter(user=world.b.admin, tenant=world.a.tenant).exists()


def test_invitation_accept_refuses_someone_who_already_has_access(world):
    invitation = InvitationFactory(partner=world.a.partner, email=world.a.other_admin.email)

    with tenant_scope(world.a.tenant), pytest.raises(ValidationError):
        services.invitation_accept(invitation=invitation, user=world.a.other_admin)

    with scopes_disabled():
        assert (
            Membership.objects.get(user=world.a.other_admin, tenant=world.a.tenant).partner
            == world.a.other_partner
        )


def test_invitation_revoke_many_leaves_accepted_ones(world):
    pending = InvitationFactory(partner=world.a.partner)
    accepted = InvitationFactory(partner=world.a.partner, accepted_at="2026-01-01T00:00Z")

    with tenant_scope(world.a.tenant):
        count = services.invitation_revoke_many(invitations=Invitation.objects.all())

    assert count == 1
    with scopes_disabled():
        assert Invitation.objects.get(pk=pending.pk).revoked_at is not None
        assert Invitation.objects.get(pk=accepted.pk).revoked_at is None


def test_last_admin_cannot_be_removed_even_by_a_manager(world):
    with tenant_scope(world.a.tenant), pytest.raises(ValidationError):
        services.membership_remove(membership=world.a.admin_membership, by=world.a.manager)

    with scopes_disabled():
        assert Membership.objects.filter(pk=world.a.admin_membership.pk).exists()


def test_an_admin_with_a_co_admin_can_be_removed(world):
    MembershipFactory(partner=world.a.partner, role=Membership.Role.ADMIN)

    with tenant_scope(world.a.tenant):
        services.membership_remove(membership=world.a.admin_membership, by=world.a.manager)

    with scopes_disabled():
        assert not Membership.objects.filter(pk=world.a.admin_membership.pk).exists()


def test_nobody_removes_themselves(world):
    MembershipFactory(partner=world.a.partner, role=Membership.Role.ADMIN)

    with tenant_scope(world.a.tenant), pytest.raises(PermissionDenied):
        services.membership_remove(membership=world.a.admin_membership, by=world.a.admin)


def test_another_partners_admin_does_not_count_as_a_co_admin(world):
    # A's other partner has an admin too; the partner of the membership has only one.
    with tenant_scope(world.a.tenant), pytest.raises(ValidationError):
        services.membership_change_role(membership=world.a.admin_membership, role="sales", by=world.a.manager)


@pytest.mark.parametrize("role", ["manager", "root", ""])
def test_change_role_refuses_non_partner_profiles(world, role):
    with tenant_scope(world.a.tenant), pytest.raises(ValidationError):
        services.membership_change_role(membership=world.a.sales_membership, role=role, by=world.a.admin)


def test_partner_update_contact_ignores_other_fields(world):
    with tenant_scope(world.a.tenant):
        partner = services.partner_update_contact(
            partner=world.a.partner, data={"city": "Annecy", "legal_name": "Renamed", "status": "terminated"}
        )

    with scopes_disabled():
        partner.refresh_from_db()
    assert (partner.city, partner.legal_name, partner.status) == ("Annecy", "Azur Réseaux", "active")


def test_token_hash_is_unique(world):
    InvitationFactory(partner=world.a.partner, token="same-token")

    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory(partner=world.b.partner, token="same-token")
    assert hash_token("same-token") != "same-token"
