"""Host confusion: an unknown host, a forged X-Forwarded-Host, a session of tenant A shown to tenant B."""

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.conftest import login_on

SECRETS = ("Traceback", "SECRET_KEY", "DATABASES", "settings.py", "/work/", "site-packages")


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


def assert_no_debug_page(response):
    body = response.content.decode(errors="replace")
    for secret in SECRETS:
        assert secret not in body


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/", "/logo/logo.png", "/verify/abc"])
def test_a_host_outside_allowed_hosts_is_a_400_without_a_debug_page(world, path):
    response = Client(HTTP_HOST="evil.example").get(path)

    assert response.status_code == 400
    assert_no_debug_page(response)
    assert "Alpha" not in response.content.decode() and "Bravo" not in response.content.decode()


@pytest.mark.parametrize("host", ["nowhere.localhost", "localhost", "alpha.localhost.localhost"])
def test_an_allowed_host_of_no_tenant_is_a_404_naming_no_tenant(world, host):
    for path in ("/", "/accounts/login/", "/admin/login/", "/branding.css"):
        response = Client(HTTP_HOST=host).get(path)
        assert response.status_code == 404
        body = response.content.decode()
        assert "Alpha" not in body and "Bravo" not in body
        assert_no_debug_page(response)


def test_the_host_is_read_without_case_port_or_trailing_dot(world):
    for host in ("ALPHA.localhost", "alpha.localhost:8000", "alpha.localhost."):
        page = Client(HTTP_HOST=host).get(reverse("account_login"))
        assert page.status_code == 200 and "Alpha" in page.content.decode()


def test_x_forwarded_host_is_not_trusted(world):
    assert django_settings.USE_X_FORWARDED_HOST is False
    client = Client(HTTP_HOST=world.a.host)

    page = client.get(reverse("account_login"), HTTP_X_FORWARDED_HOST=world.b.host)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Alpha" in body and "Bravo" not in body

    # A host of no tenant in the header changes nothing either: neither an error nor another portal.
    page = client.get(reverse("account_login"), HTTP_X_FORWARDED_HOST="evil.example")
    assert page.status_code == 200 and "Alpha" in page.content.decode()


def test_a_password_reset_link_uses_the_tenants_host_not_a_forged_header(world):
    client = Client(HTTP_HOST=world.a.host)
    response = client.post(
        reverse("account_reset_password"),
        {"email": world.a.admin.email},
        HTTP_X_FORWARDED_HOST="evil.example",
        HTTP_FORWARDED="host=evil.example",
    )

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    bodies = [message.body] + [content for content, _type in getattr(message, "alternatives", [])]
    for body in bodies:
        assert "evil.example" not in body
    assert f"://{world.a.host}" in message.body


def test_a_session_of_tenant_a_is_anonymous_on_tenant_b(world):
    on_a = login_on(Client(HTTP_HOST=world.a.host), world.a.admin, world.a.tenant)
    assert on_a.get(reverse("partnerportal:home")).status_code == 200

    on_b = Client(HTTP_HOST=world.b.host)
    on_b.cookies = on_a.cookies  # the same session cookie, sent to B's host
    home = on_b.get(reverse("partnerportal:home"))
    assert home.status_code == 302 and reverse("account_login") in home["Location"]
    login_page = on_b.get(reverse("account_login")).content.decode()
    assert "Bravo" in login_page and world.a.admin.email not in login_page and "Azur" not in login_page
    assert on_b.get(reverse("partnerportal:team")).status_code == 302


@pytest.mark.parametrize("who", ["manager", "superuser"])
def test_a_back_office_session_of_tenant_a_opens_nothing_on_tenant_b(world, who):
    user = world.superuser if who == "superuser" else world.a.manager
    on_a = login_on(Client(HTTP_HOST=world.a.host), user, world.a.tenant)
    assert on_a.get(reverse("admin:index")).status_code == 200

    on_b = Client(HTTP_HOST=world.b.host)
    on_b.cookies = on_a.cookies
    response = on_b.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    partners = on_b.get(reverse("admin:partnerportal_partner_changelist"))
    assert partners.status_code == 302
    assert "Bleu Connect" not in partners.content.decode()


def test_a_session_of_tenant_a_sent_back_to_a_still_works(world):
    """The refusal on B does not end the session (it was never B's): back on A, the person is signed in."""
    on_a = login_on(Client(HTTP_HOST=world.a.host), world.a.admin, world.a.tenant)
    on_b = Client(HTTP_HOST=world.b.host)
    on_b.cookies = on_a.cookies
    on_b.get(reverse("partnerportal:home"))

    assert on_a.get(reverse("partnerportal:home")).status_code == 200
