"""django-allauth hooks: no public sign-up, invitation-only accounts, tenant-bound sign-in.

allauth has no invitation flow of its own. The accept view checks the token and stores the invitation
id in the session; then:
- ``is_open_for_signup`` opens sign-up only while that session holds a pending invitation;
- ``clean_email`` accepts only the invited address, and ``stash_verified_email`` (called by the accept
  view) marks it verified, since the person proved it by opening the e-mailed link;
- ``save_user`` turns the invitation into a membership, in the same transaction as the new user.

Sign-in: only the tenant's people and the platform superuser (``authenticate``); failed attempts are
counted per address whichever tenant's host they come to (``_get_login_attempts_cache_key``); a new
password ends the person's other sessions (``set_password``).
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.usersessions.internal.flows.sessions import end_other_sessions
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import services
from .models import Invitation, Membership

SESSION_INVITATION_KEY = "invitation_id"


def session_invitation(request) -> Invitation | None:
    invitation_id = request.session.get(SESSION_INVITATION_KEY) if hasattr(request, "session") else None
    if not invitation_id or getattr(request, "tenant", None) is None:
        return None
    invitation = Invitation.objects.filter(pk=invitation_id).select_related("partner").first()
    return invitation if invitation and invitation.is_pending else None


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return session_invitation(request) is not None

    def clean_email(self, email):
        email = super().clean_email(email)
        invitation = session_invitation(self.request) if self.request else None
        if invitation is not None and email.strip().lower() != invitation.email.lower():
            raise ValidationError(
                _("This invitation is for %(email)s: sign up with that address.")
                % {"email": invitation.email}
            )
        return email

    @transaction.atomic
    def save_user(self, request, user, form, commit=True):
        invitation = session_invitation(request)
        if invitation is None:
            raise ValidationError(_("This invitation is no longer valid."))
        user = super().save_user(request, user, form, commit=True)
        services.invitation_accept(invitation=invitation, user=user)
        request.session.pop(SESSION_INVITATION_KEY, None)
        return user

    def authenticate(self, request, **credentials):
        """Only people of this tenant (and the platform superuser) can sign in on its host."""
        user = super().authenticate(request, **credentials)
        if user is None or user.is_superuser:
            return user
        if not Membership.objects.filter(user=user).exists():  # scoped to the request's tenant
            self.authentication_failed(request, **credentials)
            return None
        return user

    def _get_login_attempts_cache_key(self, request, **credentials):
        """The key of the per-account failed-login counter: the address alone.

        allauth puts the site's domain in it, which here is the tenant's host (no django.contrib.sites),
        so each tenant's host would count its own five guesses for the same account.
        """
        return credentials.get("email", credentials.get("username", "")).strip().lower()

    def set_password(self, user, password):
        """A new password (changed, or reset through the e-mailed link) ends the person's other sessions.

        Django would refuse those sessions at their next request anyway (the session's password hash no
        longer matches); ending them deletes them, so that a stolen session cookie is dead at once and
        the sessions page no longer lists them. The current session, if any, stays.
        """
        super().set_password(user, password)
        if self.request is not None:
            end_other_sessions(self.request, user)

    def get_from_email(self):
        tenant = getattr(self.request, "tenant", None)
        from_email = super().get_from_email()
        if tenant is None:
            return from_email
        from email.utils import formataddr, parseaddr

        return formataddr((tenant.name, parseaddr(from_email)[1]))
