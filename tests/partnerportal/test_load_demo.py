"""``manage.py load_demo`` (partnerportal/management/commands/load_demo.py): idempotent demo data."""

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from partnerportal.middleware import SESSION_TENANT_KEY
from partnerportal.models import Membership, Partner, Tenant, TenantDomain, User

DEMO_PASSWORD = "demo-partner-2026"


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo writes tenant logos
    call_command("load_demo", verbosity=0)


def snapshot() -> dict:
    with scopes_disabled():
        return {
            "counts": {
                model.__name__: model.objects.count()
                for model in (Tenant, TenantDomain, Partner, Membership, User, EmailAddress)
            },
            "partners": list(Partner.objects.order_by("pk").values()),
            "memberships": list(Membership.objects.order_by("pk").values()),
            "users": list(
                User.objects.order_by("pk").values("pk", "email", "password", "is_staff", "is_active")
            ),
            "emails": list(EmailAddress.objects.order_by("pk").values()),
        }


def test_load_demo_creates_both_tenants(demo):
    assert set(TenantDomain.objects.values_list("host", flat=True)) >= {"dstny.localhost", "openip.localhost"}
    with scopes_disabled():
        assert Partner.objects.filter(tenant__slug="dstny").exists()
        assert Partner.objects.filter(tenant__slug="openip").exists()


def test_load_demo_twice_changes_nothing(demo):
    before = snapshot()

    call_command("load_demo", verbosity=0)

    after = snapshot()
    assert after["counts"] == before["counts"]
    assert after == before


def test_demo_partner_signs_in_on_its_tenant_only(demo):
    client = Client(HTTP_HOST="dstny.localhost")
    response = client.post(
        reverse("account_login"), {"login": "partner@dstny.demo", "password": DEMO_PASSWORD}
    )

    assert response.status_code == 302
    assert client.session[SESSION_TENANT_KEY] == Tenant.objects.get(slug="dstny").pk
    assert client.get("/").status_code == 200

    other = Client(HTTP_HOST="openip.localhost")
    response = other.post(
        reverse("account_login"), {"login": "partner@dstny.demo", "password": DEMO_PASSWORD}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in other.session


def test_demo_manager_reaches_the_back_office(demo):
    client = Client(HTTP_HOST="openip.localhost")
    client.post(reverse("account_login"), {"login": "manager@openip.demo", "password": DEMO_PASSWORD})

    assert client.get(reverse("admin:index")).status_code == 200
