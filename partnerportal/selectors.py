"""Reads of the core app. Every function takes the partner or tenant it reads for."""

from django.db.models import QuerySet

from .models import Invitation, Membership, Partner


def membership_list(*, partner: Partner) -> QuerySet[Membership]:
    return Membership.objects.filter(partner=partner).select_related("user").order_by("user__email")


def invitation_list_pending(*, partner: Partner) -> QuerySet[Invitation]:
    return Invitation.objects.filter(partner=partner).pending().select_related("invited_by")


def invitation_get_by_token(*, token: str) -> Invitation | None:
    """The invitation for ``token`` in the current tenant scope, whatever its state (None if unknown)."""
    from .models import hash_token

    return Invitation.objects.select_related("partner", "tenant").filter(token_hash=hash_token(token)).first()
