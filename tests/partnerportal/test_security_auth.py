"""Access control around sign-in (issue 11): manager MFA, rate limits across tenants, no account
enumeration, session lifecycle, and the production settings' hardening."""

import json
import os
import re
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from allauth.account import app_settings as account_settings
from allauth.core.internal import ratelimit
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.usersessions.models import UserSession
from django.conf import settings as django_settings
from django.contrib import messages
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from partnerportal.tenancy import tenant_cache_key, tenant_scope
from tests.partnerportal.factories import PASSWORD, MembershipFactory
from tests.partnerportal.test_auth import LOGIN_URL, RESET_URL, reset_links, sign_in, signed_in_user_id

ADMIN_URL = reverse("admin:index")
ACTIVATE_URL = reverse("mfa_activate_totp")
CODE_PROMPT_URL = reverse("mfa_reauthenticate")
MFA_AUTHENTICATE_URL = reverse("mfa_authenticate")
BASE_DIR = Path(__file__).resolve().parents[2]
CSRF_TOKEN = re.compile(r"[A-Za-z0-9]{64}")


def totp_code(secret: str, *, offset: int = 0) -> str:
    """The code an authenticator app shows now (``offset`` periods later, for a second, unused code)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def enrol(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


@pytest.fixture
def mfa_required(settings):
    settings.MANAGER_MFA_REQUIRED = True


def managers(world):
    return {"manager": world.a.manager, "superuser": world.superuser}


# --- managers must enrol and use MFA ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "superuser"])
def test_manager_not_enrolled_is_sent_to_totp_activation(world, client_for, mfa_required, who):
    client = client_for(world.a.tenant, managers(world)[who])

    for url in (ADMIN_URL, reverse("admin:partnerportal_partner_changelist"), "/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == ACTIVATE_URL

    # The activation page is reachable (after allauth's password prompt: force_login recorded no
    # sign-in time), and says why.
    page = client.get(ACTIVATE_URL, follow=True)
    assert page.status_code == 200
    assert page.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert [m.level for m in page.context["messages"]] == [messages.WARNING] * 3


def test_manager_who_enrols_reaches_the_admin_in_that_session_only(world, client_for, mfa_required):
    manager = world.a.manager
    other_device, _ = sign_in(world.a.host, manager.email)  # opened before the enrolment
    client, _ = sign_in(world.a.host, manager.email)
    assert client.get(ADMIN_URL)["Location"] == ACTIVATE_URL
    # The password just typed at sign-in confirms the enrolment: allauth's prompt does not ask it again.
    assert client.get(ACTIVATE_URL).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post(ACTIVATE_URL, {"code": totp_code(secret)})

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=manager, type=Authenticator.Type.TOTP).exists()
    assert client.get(response["Location"]).status_code == 200  # the recovery codes, shown once
    assert client.get(ADMIN_URL).status_code == 200
    # The session opened before the enrolment is refused until it gives a code.
    refused = other_device.get(ADMIN_URL)
    assert refused.status_code == 302
    assert refused["Location"].startswith(CODE_PROMPT_URL)


def test_an_older_sign_in_asks_for_the_password_before_the_enrolment(world, mfa_required):
    client, _ = sign_in(world.a.host, world.a.manager.email)
    later = time.time() + account_settings.REAUTHENTICATION_TIMEOUT + 1

    with time_machine.travel(later, tick=False):
        prompt = client.get(ACTIVATE_URL)["Location"]
        assert prompt.startswith(reverse("account_reauthenticate"))
        assert client.post(prompt, {"password": PASSWORD})["Location"] == ACTIVATE_URL
        assert client.get(ACTIVATE_URL).status_code == 200


def test_enrolled_manager_with_a_password_only_session_is_refused(world, client_for, mfa_required):
    enrol(world.a.manager)
    client = client_for(world.a.tenant, world.a.manager)  # force_login: no second factor in this session

    for url in (
        ADMIN_URL,
        "/",
        reverse("mfa_view_recovery_codes"),  # recovery codes would be a second factor of their own
        reverse("mfa_deactivate_totp"),  # and the factor must not be switched off from here
        reverse("account_change_password"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(CODE_PROMPT_URL), url
    assert client.get(ADMIN_URL)["Location"] == f"{CODE_PROMPT_URL}?next=%2Fadmin%2F"
    prompt = client.get(CODE_PROMPT_URL)
    assert prompt.status_code == 200
    # Its other ways in would lead nowhere: only the code opens this session, so they are not offered.
    assert reverse("account_reauthenticate") not in prompt.content.decode()
    assert client.get(reverse("account_reauthenticate"))["Location"].startswith(CODE_PROMPT_URL)


def test_password_only_session_is_unlocked_by_the_code(world, client_for, mfa_required):
    secret = enrol(world.a.manager)
    client = client_for(world.a.tenant, world.a.manager)

    response = client.post(f"{CODE_PROMPT_URL}?next=/admin/", {"code": totp_code(secret)})

    assert response.status_code == 302
    assert response["Location"] == ADMIN_URL
    assert client.get(ADMIN_URL).status_code == 200


def test_wrong_code_at_the_prompt_keeps_the_session_refused(world, client_for, mfa_required):
    secret = enrol(world.a.manager)
    client = client_for(world.a.tenant, world.a.manager)
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"

    response = client.post(CODE_PROMPT_URL, {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(ADMIN_URL).status_code == 302


@pytest.mark.parametrize("who", ["manager", "superuser"])
def test_full_sign_in_with_password_and_totp_reaches_the_admin(world, mfa_required, who):
    user = managers(world)[who]
    secret = enrol(user)

    client, response = sign_in(world.a.host, user.email)
    assert response.status_code == 302
    assert response["Location"] == MFA_AUTHENTICATE_URL
    assert signed_in_user_id(client) is None  # not signed in before the code

    response = client.post(MFA_AUTHENTICATE_URL, {"code": totp_code(secret)})

    assert response.status_code == 302
    assert signed_in_user_id(client) == user.pk
    assert client.get(ADMIN_URL).status_code == 200


def test_partner_users_are_not_affected(world, client_for, mfa_required):
    client = client_for(world.a.tenant, world.a.admin)

    assert client.get("/").status_code == 200
    assert client.get(reverse("partnerportal:team")).status_code == 200


def test_manager_mfa_is_off_when_the_setting_is_off(world, client_for, settings):
    settings.MANAGER_MFA_REQUIRED = False  # the demo and the tests

    assert client_for(world.a.tenant, world.a.manager).get(ADMIN_URL).status_code == 200


# --- failed sign-ins: counted per address and per IP across tenants ------------------------------------


def is_rate_limited(response) -> bool:
    return response.status_code == 200 and any(
        "too many" in error.lower() or "trop de" in error.lower()
        for error in response.context["form"].non_field_errors()
    )


def test_failed_sign_ins_for_one_account_are_counted_across_tenants(world):
    email = world.superuser.email  # the platform superuser signs in on every tenant's host
    for attempt in range(5):
        host = (world.a.host, world.b.host)[attempt % 2]
        _, response = sign_in(host, email, password="wrong-guess")
        assert response.status_code == 200
        assert not is_rate_limited(response), attempt

    # The sixth guess, even the right password, on either host: locked out.
    for host in (world.a.host, world.b.host):
        client, response = sign_in(host, email)
        assert is_rate_limited(response)
        assert signed_in_user_id(client) is None


def test_failed_sign_ins_from_one_ip_are_counted_across_tenants(world):
    for attempt in range(10):
        host = (world.a.host, world.b.host)[attempt % 2]
        _, response = sign_in(host, f"nobody{attempt}@example.test", password="wrong-guess")
        assert not is_rate_limited(response), attempt

    _, response = sign_in(world.b.host, "someone-else@example.test", password="wrong-guess")
    assert is_rate_limited(response)


def test_lock_out_lasts_minutes_only(world, monkeypatch):
    for _attempt in range(5):
        sign_in(world.a.host, world.a.admin.email, password="wrong-guess")
    client, response = sign_in(world.a.host, world.a.admin.email)
    assert is_rate_limited(response)

    later = time.time() + 5 * 60 + 1
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: later, monotonic=time.monotonic))
    client, response = sign_in(world.a.host, world.a.admin.email)

    assert response.status_code == 302
    assert signed_in_user_id(client) == world.a.admin.pk


def test_a_password_reset_lifts_the_lock_out_on_every_tenant(world, mailoutbox):
    email = world.superuser.email
    for attempt in range(5):
        sign_in((world.a.host, world.b.host)[attempt % 2], email, password="wrong-guess")
    assert is_rate_limited(sign_in(world.a.host, email)[1])

    Client(HTTP_HOST=world.b.host).post(RESET_URL, {"email": email})
    (link,) = reset_links(mailoutbox)
    person = Client(HTTP_HOST=world.b.host)
    form_url = person.get(link)["Location"]
    person.post(form_url, {"password1": "a-new-Passphrase-42", "password2": "a-new-Passphrase-42"})

    client, response = sign_in(world.a.host, email, password="a-new-Passphrase-42")
    assert response.status_code == 302
    assert signed_in_user_id(client) == world.superuser.pk


def test_rate_limit_and_used_code_keys_are_not_partitioned_by_tenant(world):
    with tenant_scope(world.a.tenant):
        in_a = [tenant_cache_key(k, "", 1) for k in ("allauth:rl:x", "allauth.mfa.totp.used?user=1", "page")]
    with tenant_scope(world.b.tenant):
        in_b = [tenant_cache_key(k, "", 1) for k in ("allauth:rl:x", "allauth.mfa.totp.used?user=1", "page")]

    assert in_a[:2] == in_b[:2]
    assert in_a[2] != in_b[2]  # everything else stays partitioned


def test_a_totp_code_used_on_one_tenant_cannot_be_replayed_on_another(world, mfa_required):
    secret = enrol(world.superuser)
    code = totp_code(secret)
    client_a, _ = sign_in(world.a.host, world.superuser.email)
    assert client_a.post(MFA_AUTHENTICATE_URL, {"code": code}).status_code == 302

    client_b, _ = sign_in(world.b.host, world.superuser.email)
    response = client_b.post(MFA_AUTHENTICATE_URL, {"code": code})

    assert response.status_code == 200
    assert signed_in_user_id(client_b) is None


# --- password reset and sign-in reveal nothing about which addresses exist ----------------------------


def test_password_reset_answers_the_same_for_known_unknown_and_other_tenant_addresses(world, mailoutbox):
    only_on_b = world.b.admin.email
    answers = {}
    for email in (world.a.admin.email, "nobody@example.test", only_on_b):
        mailoutbox.clear()
        cache.clear()  # the reset's own per-IP rate limit is not what this test is about
        response = Client(HTTP_HOST=world.a.host).post(RESET_URL, {"email": email}, follow=True)
        answers[email] = (
            response.status_code,
            response.redirect_chain,
            CSRF_TOKEN.sub("", response.content.decode().replace(email, "EMAIL")),
            [message.to == [email] for message in mailoutbox],
            bool(reset_links(mailoutbox)),
        )

    known, unknown, other_tenant = answers.values()
    assert known[:4] == unknown[:4] == other_tenant[:4]  # same page, same redirects, one mail to the address
    assert (known[4], unknown[4], other_tenant[4]) == (True, False, False)  # a link for the member only


def test_sign_in_error_is_the_same_for_an_unknown_address_and_a_wrong_password(world):
    _, unknown = sign_in(world.a.host, "nobody@example.test", password="wrong-guess")
    _, wrong = sign_in(world.a.host, world.a.admin.email, password="wrong-guess")
    _, other_tenant = sign_in(world.a.host, world.b.admin.email, password="wrong-guess")

    errors = [r.context["form"].non_field_errors() for r in (unknown, wrong, other_tenant)]
    assert errors[0] == errors[1] == errors[2]
    assert errors[0]


# --- sessions rotate at sign-in, die at sign-out, and a new password ends the others -------------------


def session_store(key=None):
    return import_module(django_settings.SESSION_ENGINE).SessionStore(key)


def session_key(client: Client) -> str:
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def test_session_key_changes_at_sign_in(world):
    before = session_store()
    before["visited"] = True
    before.create()
    client = Client(HTTP_HOST=world.a.host)
    client.cookies[django_settings.SESSION_COOKIE_NAME] = before.session_key

    response = client.post(LOGIN_URL, {"login": world.a.admin.email, "password": PASSWORD})

    assert response.status_code == 302
    assert session_key(client) != before.session_key
    assert not session_store().exists(before.session_key)  # a fixed session id is worth nothing


def test_session_dies_at_sign_out(world):
    client, _ = sign_in(world.a.host, world.a.admin.email)
    old_key = session_key(client)

    client.post(reverse("account_logout"))

    assert not session_store().exists(old_key)
    replay = Client(HTTP_HOST=world.a.host)
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = old_key
    response = replay.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_password_change_ends_the_other_sessions_and_keeps_this_one(world):
    MembershipFactory(partner=world.b.partner, user=world.a.admin)
    changer, _ = sign_in(world.a.host, world.a.admin.email)
    other, _ = sign_in(world.a.host, world.a.admin.email)
    other_tenant, _ = sign_in(world.b.host, world.a.admin.email)
    assert UserSession.objects.filter(user=world.a.admin).count() == 3
    other_keys = [session_key(other), session_key(other_tenant)]

    response = changer.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "a-new-Passphrase-42", "password2": "a-new-Passphrase-42"},
    )

    assert response.status_code == 302
    assert changer.get("/").status_code == 200  # this session stays
    for key in other_keys:
        assert not session_store().exists(key)  # ended, not merely out of date
    assert other.get("/").status_code == 302
    assert other_tenant.get("/").status_code == 302
    living = UserSession.objects.purge_and_list(world.a.admin)
    assert [user_session.session_key for user_session in living] == [session_key(changer)]


def test_password_reset_ends_every_session(world, mailoutbox):
    client, _ = sign_in(world.a.host, world.a.admin.email)
    old_key = session_key(client)
    Client(HTTP_HOST=world.a.host).post(RESET_URL, {"email": world.a.admin.email})
    (link,) = reset_links(mailoutbox)

    stranger = Client(HTTP_HOST=world.a.host)
    form_url = stranger.get(link)["Location"]
    response = stranger.post(
        form_url, {"password1": "a-new-Passphrase-42", "password2": "a-new-Passphrase-42"}
    )

    assert response.status_code == 302
    assert not session_store().exists(old_key)


def test_sessions_page_lists_the_persons_sessions(world):
    client, _ = sign_in(world.a.host, world.a.admin.email)
    sign_in(world.a.host, world.a.admin.email)
    sign_in(world.a.host, world.a.sales.email)

    response = client.get(reverse("usersessions_list"))

    assert response.status_code == 200
    assert len(response.context["sessions"]) == 2


# --- production settings -------------------------------------------------------------------------------

PRODUCTION_PROBE = """
import json, django
from django.conf import settings as s
django.setup()
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "SECURE_CONTENT_TYPE_NOSNIFF": s.SECURE_CONTENT_TYPE_NOSNIFF,
    "SECURE_REFERRER_POLICY": s.SECURE_REFERRER_POLICY,
    "X_FRAME_OPTIONS": s.X_FRAME_OPTIONS,
    "CSP": s.CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "MANAGER_MFA_REQUIRED": s.MANAGER_MFA_REQUIRED,
    "middleware": s.MIDDLEWARE,
}))
"""


def run_with_settings(env: dict, *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "SECURE", "MANAGER_MFA"))}
    base.pop("DEBUG", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "partnerportal.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 20 + "-production-probe-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "x.example.com",
    "DATABASE_URL": "sqlite:////tmp/partnerportal-production-probe.db",
}


def test_production_settings_are_hardened():
    result = run_with_settings(PRODUCTION_ENV, "-c", PRODUCTION_PROBE)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])

    assert values["DEBUG"] is False
    assert values["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] in (
        "same-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
    )
    assert values["X_FRAME_OPTIONS"] == "DENY"
    csp = values["CSP"]
    assert csp["frame-ancestors"] == ["'none'"]
    for directive in ("script-src", "default-src"):
        assert "'unsafe-inline'" not in csp[directive]
        assert "'unsafe-eval'" not in csp[directive]
    assert "csp.middleware.CSPMiddleware" in values["middleware"]
    assert values["MANAGER_MFA_REQUIRED"] is True  # on by default in production


def test_manager_mfa_follows_its_environment_variable():
    off_in_production = run_with_settings(
        {**PRODUCTION_ENV, "MANAGER_MFA_REQUIRED": "false"}, "-c", PRODUCTION_PROBE
    )
    development = run_with_settings({}, "-c", PRODUCTION_PROBE)

    assert json.loads(off_in_production.stdout.strip().splitlines()[-1])["MANAGER_MFA_REQUIRED"] is False
    assert json.loads(development.stdout.strip().splitlines()[-1])["MANAGER_MFA_REQUIRED"] is False


def test_production_settings_pass_check_deploy():
    result = run_with_settings(PRODUCTION_ENV, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
