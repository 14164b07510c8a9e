"""Writes of the core app: invitations, memberships, partner contact data.

Views, admin actions and commands all call these; each states its invariant and side effects.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Invitation, Membership, Partner, Tenant, hash_token

User = get_user_model()


def _invitation_email(*, invitation: Invitation, accept_url: str) -> EmailMultiAlternatives:
    tenant = invitation.tenant
    language = invitation.partner.preferred_language if invitation.partner else tenant.default_language
    with translation.override(language):
        context = {
            "invitation": invitation,
            "tenant": tenant,
            "accept_url": accept_url,
            "validity_days": settings.INVITATION_VALIDITY_DAYS,
        }
        subject = render_to_string("emails/invitation_subject.txt", context).strip()
        body = render_to_string("emails/invitation_message.txt", context)
        html = render_to_string("emails/invitation_message.html", context)
    message = EmailMultiAlternatives(subject, body, to=[invitation.email])
    message.attach_alternative(html, "text/html")
    return message


@transaction.atomic
def invitation_issue(*, invitation: Invitation, invited_by: User | None, base_url: str) -> Invitation:
    """Validate and save a new invitation, and e-mail its link after commit.

    Pending invitations for the same address in the tenant are revoked: the newest link is the only one
    that works. The token exists only in the e-mail; the database keeps its SHA-256.
    """
    invitation.full_clean(exclude=["token_hash", "expires_at", "invited_by"])
    Invitation.objects.with_scope(tenant=invitation.tenant_id).pending().filter(
        email__iexact=invitation.email
    ).update(revoked_at=timezone.now())
    token = Invitation.new_token()
    invitation.token_hash = hash_token(token)
    invitation.expires_at = Invitation.default_expiry()
    invitation.invited_by = invited_by
    invitation.save()
    accept_url = base_url.rstrip("/") + reverse("partnerportal:invitation-accept", kwargs={"token": token})
    message = _invitation_email(invitation=invitation, accept_url=accept_url)
    transaction.on_commit(message.send)
    return invitation


def invitation_create(
    *, tenant: Tenant, partner: Partner | None, email: str, role: str, invited_by: User | None, base_url: str
) -> Invitation:
    """Invite ``email`` to join ``partner`` (or the tenant's managers) with ``role``; see invitation_issue."""
    invitation = Invitation(tenant=tenant, partner=partner, email=email.strip().lower(), role=role)
    return invitation_issue(invitation=invitation, invited_by=invited_by, base_url=base_url)


def invitation_revoke_many(*, invitations) -> int:
    """Revoke the pending ones among ``invitations``; accepted ones stay as the record of who joined."""
    return invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Turn a pending invitation into a membership of ``user``; an invitation works once.

    The row is locked so that two simultaneous acceptances cannot both succeed.
    """
    locked = (
        Invitation.objects.with_scope(tenant=invitation.tenant_id).select_for_update().get(pk=invitation.pk)
    )
    if not locked.is_pending:
        raise ValidationError(_("This invitation is no longer valid."))
    if user.email.lower() != locked.email.lower():
        raise ValidationError(_("This invitation was sent to another e-mail address."))
    membership = Membership(tenant_id=locked.tenant_id, user=user, partner=locked.partner, role=locked.role)
    membership.full_clean(validate_unique=False)
    if Membership.objects.with_scope(tenant=locked.tenant_id).filter(user=user).exists():
        raise ValidationError(_("You already have access to this portal."))
    membership.save()
    if locked.role == Membership.Role.MANAGER and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    locked.accepted_at = timezone.now()
    locked.accepted_by = user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def _other_admins_exist(membership: Membership) -> bool:
    return (
        Membership.objects.filter(partner=membership.partner, role=Membership.Role.ADMIN)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by: User) -> Membership:
    """Change a partner colleague's profile; a partner always keeps at least one admin."""
    if role not in Membership.PARTNER_ROLES:
        raise ValidationError(_("Unknown profile."))
    if (
        membership.role == Membership.Role.ADMIN
        and role != Membership.Role.ADMIN
        and not _other_admins_exist(membership)
    ):
        raise ValidationError(_("A partner needs at least one administrator."))
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    """Remove a colleague from the partner. Nobody removes themselves, and the last admin stays."""
    if membership.user_id == by.pk:
        raise PermissionDenied(_("You cannot remove yourself."))
    if membership.role == Membership.Role.ADMIN and not _other_admins_exist(membership):
        raise ValidationError(_("A partner needs at least one administrator."))
    membership.delete()


@transaction.atomic
def partner_update_contact(*, partner: Partner, data: dict) -> Partner:
    """Update a partner's own contact data (the fields of PartnerContactForm only)."""
    from .forms import PartnerContactForm

    for field in PartnerContactForm.Meta.fields:
        if field in data:
            setattr(partner, field, data[field])
    partner.full_clean()
    partner.save()
    return partner
