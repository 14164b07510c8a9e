"""Managers must use two-factor authentication (TOTP) before they reach the back-office.

allauth offers MFA but never requires it, so ``ManagerMFAMiddleware`` does, when ``MANAGER_MFA_REQUIRED``
is on (the default with ``DJANGO_ENV=production``; off in the demo and the tests, so that the demo accounts
sign in with their password alone). A manager is the platform superuser, any staff user, or anyone with a
manager membership of the request's tenant; partner users are never affected.

- Not enrolled: every page but allauth's own account pages sends the manager to the TOTP activation page
  (without asking again, within a few minutes, for the password they signed in with).
- Enrolled, but this session did not pass a second factor (it was opened before the enrolment, on another
  device, or by ``force_login``): every page but the code prompt and sign-out sends them to the code prompt
  (``mfa_reauthenticate``). Until the code is given, the session reaches nothing: not the recovery codes
  (they would be a second factor of their own), not the switch that turns TOTP off.

A session passed MFA when allauth recorded an "mfa" authentication in it (the code at sign-in, or at the
prompt), or when the TOTP device was activated in it: activating takes a code from the new device, and
sending the person who just enrolled to type a second code would add nothing.
"""

import time

from allauth.account import app_settings as account_settings
from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

# Set when the TOTP device was activated in this session: the id of that authenticator.
SESSION_ENROLLED_KEY = "mfa_enrolled_authenticator"

# What a manager still reaches before enrolling: the enrolment itself, the password prompt allauth puts
# before it, and the account's own pages (addresses, password, sessions); never the back-office.
ENROLMENT_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "account_reauthenticate",
        "account_logout",
        "account_email",
        "account_change_password",
        "usersessions_list",
        "set_language",
    }
)
# What an enrolled manager reaches before giving the code in this session.
CODE_PROMPT_URL_NAMES = frozenset({"mfa_reauthenticate", "account_logout", "set_language"})


def is_manager(request) -> bool:
    """Whether the signed-in person of this request works in the back-office (MFA applies to them)."""
    user = request.user
    if not user.is_authenticated:
        return False
    membership = getattr(request, "membership", None)
    return user.is_superuser or user.is_staff or (membership is not None and membership.is_manager)


def session_passed_mfa(request) -> bool:
    """Whether this session's sign-in included a second factor for the signed-in person."""
    user = request.user
    if any(record.get("method") == "mfa" for record in get_authentication_records(request, user)):
        return True
    enrolled_id = request.session.get(SESSION_ENROLLED_KEY)
    return (
        enrolled_id is not None
        and Authenticator.objects.filter(
            pk=enrolled_id, user_id=user.pk, type=Authenticator.Type.TOTP
        ).exists()
    )


def sign_in_confirms_enrolment(request) -> None:
    """allauth asks for the password again before a TOTP device is activated unless the session
    "reauthenticated" lately, and a sign-in does not count for it: a manager sent to the enrolment the
    moment they signed in was asked the password they had just typed. A password (or e-mailed code) given
    at sign-in within REAUTHENTICATION_TIMEOUT counts as that confirmation; an older session, or one opened
    by ``force_login``, still gets the prompt."""
    records = get_authentication_records(request, request.user)
    if not records:
        return
    last = records[-1]
    fresh = time.time() - last.get("at", 0) < account_settings.REAUTHENTICATION_TIMEOUT
    if fresh and not last.get("reauthenticated") and last.get("method") in ("password", "code"):
        last["reauthenticated"] = True
        request.session[AUTHENTICATION_METHODS_SESSION_KEY] = records


def _url_name(request) -> str | None:
    try:
        return resolve(request.path_info).url_name
    except Resolver404:
        return None


class ManagerMFAMiddleware:
    """See the module docstring. Placed after MembershipMiddleware (it needs ``request.membership``) and
    MessageMiddleware (it tells the manager why they were sent elsewhere)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not (settings.MANAGER_MFA_REQUIRED and is_manager(request)):
            return self.get_response(request)
        url_name = _url_name(request)
        if not is_mfa_enabled(request.user, [Authenticator.Type.TOTP]):
            return self._before_enrolment(request, url_name)
        if session_passed_mfa(request):
            return self.get_response(request)
        # The code prompt leaves out its other ways in (password, e-mailed code): they open nothing here.
        request.manager_mfa_pending = True
        if url_name in CODE_PROMPT_URL_NAMES:
            return self.get_response(request)
        messages.warning(
            request,
            _("This session was opened without your authenticator code: enter it to continue."),
        )
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return HttpResponseRedirect(reverse("mfa_reauthenticate") + (f"?{query}" if query else ""))

    def _before_enrolment(self, request, url_name):
        sign_in_confirms_enrolment(request)
        if url_name not in ENROLMENT_URL_NAMES:
            messages.warning(
                request,
                _(
                    "The back-office requires two-factor authentication: set up an authenticator app "
                    "to continue."
                ),
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        response = self.get_response(request)
        if url_name == "mfa_activate_totp" and request.method == "POST":
            # Checked here rather than in allauth's authenticator_added signal: that one is sent after
            # commit, which may come after the session was saved.
            enrolled = Authenticator.objects.filter(user_id=request.user.pk, type=Authenticator.Type.TOTP)
            enrolled_id = enrolled.values_list("pk", flat=True).first()
            if enrolled_id is not None:
                request.session[SESSION_ENROLLED_KEY] = enrolled_id
        return response
