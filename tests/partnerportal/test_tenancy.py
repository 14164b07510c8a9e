"""Tenant resolution from the host (TenantMiddleware, tenancy.py) and django-scopes scoping."""

import pytest
from django.core.cache import cache
from django.test import Client
from django_scopes import ScopeError, scopes_disabled

from partnerportal.models import Invitation, Membership, OperatorPlan, Partner, PartnerType, Tenant
from partnerportal.tenancy import (
    current_tenant_id,
    host_without_port,
    tenant_for_host,
    tenant_managers,
    tenant_scope,
    tenant_users,
)
from tests.partnerportal.factories import InvitationFactory

SCOPED_MODELS = [PartnerType, OperatorPlan, Partner, Membership, Invitation]


# --- host resolution ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "side"),
    [
        ("alpha.localhost", "a"),
        ("bravo.localhost", "b"),
        ("alpha.localhost:8000", "a"),  # a port is not part of the tenant's host name
        ("ALPHA.LocalHost", "a"),  # host names are case-insensitive
        ("bravo.localhost.", "b"),  # a fully-qualified name with its trailing dot
    ],
)
def test_known_host_serves_that_tenants_portal(world, host, side):
    mine, theirs = (world.a, world.b) if side == "a" else (world.b, world.a)

    response = Client(HTTP_HOST=host).get("/accounts/login/")

    assert response.status_code == 200
    assert response.wsgi_request.tenant == mine.tenant
    content = response.content.decode()
    assert mine.tenant.name in content
    assert theirs.tenant.name not in content


def test_signed_in_page_shows_the_hosts_tenant_data(world, client_for):
    response = client_for(world.b.tenant, world.b.admin).get("/")

    assert response.status_code == 200
    content = response.content.decode()
    assert world.b.partner.legal_name in content
    assert world.a.partner.legal_name not in content


@pytest.mark.parametrize("host", ["nobody.localhost", "alpha.localhost.evil.localhost", "localhost"])
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/", "/invitations/whatever/"])
def test_unknown_host_is_a_plain_404_that_names_no_tenant(world, host, path):
    response = Client(HTTP_HOST=host).get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    content = response.content.decode().lower()
    for setup in (world.a, world.b):
        assert setup.tenant.name.lower() not in content
        assert setup.tenant.slug not in content
    assert not response.cookies  # no session, no CSRF cookie: nothing of the portal ran


def test_unknown_host_does_not_reach_a_signed_in_session(world, client_for):
    client = client_for(world.a.tenant, world.a.admin)

    response = client.get("/", HTTP_HOST="nobody.localhost")

    assert response.status_code == 404
    assert world.a.partner.legal_name not in response.content.decode()


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("alpha.localhost", "alpha.localhost"),
        ("Alpha.LOCALHOST:8443", "alpha.localhost"),
        ("alpha.localhost.", "alpha.localhost"),
        (" alpha.localhost ", "alpha.localhost"),
        ("[::1]:8000", "[::1]"),
        ("[::1]", "[::1]"),
        ("127.0.0.1:8000", "127.0.0.1"),
    ],
)
def test_host_without_port(raw, host):
    assert host_without_port(raw) == host


def test_tenant_for_host(world):
    assert tenant_for_host("alpha.localhost:8000") == world.a.tenant
    assert tenant_for_host("BRAVO.localhost") == world.b.tenant
    assert tenant_for_host("charlie.localhost") is None
    assert tenant_for_host("") is None


def test_tenant_for_host_does_not_match_a_prefix_or_suffix(world):
    assert tenant_for_host("alpha.localhost.example") is None
    assert tenant_for_host("xalpha.localhost") is None
    assert tenant_for_host("localhost") is None


# --- scoping -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_scoped_query_outside_a_scope_raises(world, model):
    with pytest.raises(ScopeError):
        list(model.objects.all())


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_scoped_query_inside_a_tenant_scope_sees_that_tenant_only(world, model):
    InvitationFactory(partner=world.a.partner)
    InvitationFactory(partner=world.b.partner)
    with scopes_disabled():
        expected_a = set(model.objects.filter(tenant=world.a.tenant).values_list("pk", flat=True))
        everything = set(model.objects.values_list("pk", flat=True))
    assert expected_a and expected_a != everything  # both tenants have rows, or the test proves nothing

    with tenant_scope(world.a.tenant):
        assert set(model.objects.values_list("pk", flat=True)) == expected_a
    with tenant_scope(world.a.tenant.pk):  # an id works as well as the tenant
        assert set(model.objects.values_list("pk", flat=True)) == expected_a


def test_object_of_another_tenant_is_not_found_in_scope(world):
    with tenant_scope(world.a.tenant), pytest.raises(Partner.DoesNotExist):
        Partner.objects.get(pk=world.b.partner.pk)


@pytest.mark.parametrize("tenant", [None, 0, Tenant()], ids=["None", "zero", "unsaved"])
def test_tenant_scope_without_a_saved_tenant_raises(db, tenant):
    # django-scopes would read tenant=None as "no filter": the scope must refuse instead.
    with pytest.raises(ValueError), tenant_scope(tenant):
        pass


def test_current_tenant_id(world):
    assert current_tenant_id() is None
    with tenant_scope(world.b.tenant):
        assert current_tenant_id() == world.b.tenant.pk
    with scopes_disabled():
        assert current_tenant_id() is None
    assert current_tenant_id() is None


def test_scope_is_closed_after_a_request(world, client_for):
    client_for(world.a.tenant, world.a.admin).get("/")

    with pytest.raises(ScopeError):
        list(Partner.objects.all())


def test_cache_is_partitioned_by_tenant_scope(world):
    cache.set("greeting", "platform")
    with tenant_scope(world.a.tenant):
        assert cache.get("greeting") is None
        cache.set("greeting", "alpha")
    with tenant_scope(world.b.tenant):
        assert cache.get("greeting") is None
        cache.set("greeting", "bravo")

    with tenant_scope(world.a.tenant):
        assert cache.get("greeting") == "alpha"
    assert cache.get("greeting") == "platform"


def test_tenant_users_and_managers(world):
    a = world.a
    assert set(tenant_users(a.tenant)) == {a.admin, a.sales, a.other_admin, a.manager}
    assert set(tenant_managers(a.tenant)) == {a.manager}
    assert world.superuser not in tenant_users(a.tenant)
