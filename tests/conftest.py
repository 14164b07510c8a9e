"""Shared fixtures: two tenants (so that a leak between them shows), and clients signed in on a host.

``world`` builds, for tenant A and tenant B alike:

- ``partner`` (with an ``admin`` and a ``sales`` person) and ``other_partner`` (with ``other_admin``), so
  that every view can be tested across partners of one tenant as well as across tenants;
- a ``manager`` (staff, "manager" membership) who works in the back-office;
- a partner type, an operator partner type and an operator plan;

plus a platform ``superuser`` with no membership at all.

``client_for(tenant, user)`` gives a test client on the tenant's host with ``user`` signed in *on that
tenant*: a session is bound to the tenant it was opened on (``signals.bind_session_to_tenant``), and
``force_login`` alone does not bind it, so ``login_on`` does what the real sign-in does.
"""

from collections.abc import Callable
from dataclasses import dataclass

import factory.random
import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from partnerportal.middleware import SESSION_TENANT_KEY
from partnerportal.models import Membership, OperatorPlan, Partner, PartnerType, Tenant, User
from tests.isolation import assert_isolated
from tests.partnerportal.factories import (
    MembershipFactory,
    OperatorPlanFactory,
    PartnerFactory,
    PartnerTypeFactory,
    SuperuserFactory,
    TenantFactory,
)


def host_of(tenant: Tenant) -> str:
    return tenant.domains.get(is_primary=True).host


def login_on(client: Client, user: User, tenant: Tenant) -> Client:
    """Sign ``user`` in on ``tenant``, as allauth's sign-in on that tenant's host would."""
    client.force_login(user)
    session = client.session
    session[SESSION_TENANT_KEY] = tenant.pk
    session.save()
    return client


@dataclass
class TenantSetup:
    """One tenant's data; see the module docstring."""

    tenant: Tenant
    host: str
    partner_type: PartnerType
    operator_type: PartnerType
    operator_plan: OperatorPlan
    partner: Partner
    other_partner: Partner
    admin: User
    sales: User
    other_admin: User
    manager: User
    admin_membership: Membership
    sales_membership: Membership
    other_admin_membership: Membership
    manager_membership: Membership


@dataclass
class World:
    a: TenantSetup
    b: TenantSetup
    superuser: User


def build_tenant(*, name: str, slug: str, partner_names: tuple[str, str]) -> TenantSetup:
    tenant = TenantFactory(name=name, slug=slug, legal_name=f"{name} SA")
    partner_type = PartnerTypeFactory(tenant=tenant, code="ambassador", name=f"{name} ambassador")
    operator_type = PartnerTypeFactory(
        tenant=tenant, code="operator", name=f"{name} operator", has_operator_plans=True
    )
    operator_plan = OperatorPlanFactory(tenant=tenant, code="operator", name=f"{name} operator plan")
    partner = PartnerFactory(tenant=tenant, partner_type=partner_type, legal_name=partner_names[0])
    other_partner = PartnerFactory(tenant=tenant, partner_type=partner_type, legal_name=partner_names[1])

    def person(role: str, where: str, **extra) -> dict:
        # Explicit, distinct names: pages are searched for them, so they must not collide by chance.
        return {
            "user__email": f"{role}@{where.lower()}.test",
            "user__first_name": role.title(),
            "user__last_name": where,
            **extra,
        }

    short, other_short = (partner_name.split()[0] for partner_name in partner_names)
    admin_membership = MembershipFactory(
        partner=partner, role=Membership.Role.ADMIN, **person("admin", short)
    )
    sales_membership = MembershipFactory(
        partner=partner, role=Membership.Role.SALES, **person("sales", short)
    )
    other_admin_membership = MembershipFactory(
        partner=other_partner, role=Membership.Role.ADMIN, **person("admin", other_short)
    )
    manager_membership = MembershipFactory(
        manager=True, tenant=tenant, **person("manager", name, user__is_staff=True)
    )
    return TenantSetup(
        tenant=tenant,
        host=host_of(tenant),
        partner_type=partner_type,
        operator_type=operator_type,
        operator_plan=operator_plan,
        partner=partner,
        other_partner=other_partner,
        admin=admin_membership.user,
        sales=sales_membership.user,
        other_admin=other_admin_membership.user,
        manager=manager_membership.user,
        admin_membership=admin_membership,
        sales_membership=sales_membership,
        other_admin_membership=other_admin_membership,
        manager_membership=manager_membership,
    )


@pytest.fixture(autouse=True)
def _fast_deterministic_tests(settings, tmp_path):
    """Cheap password hashing; tenant hosts allowed; the same fake data in every run; no leaks between tests.

    allauth keeps its rate-limit counters in the cache, and a request leaves its language active in
    the thread: both are reset so that a test never depends on the ones before it. Files (logos, duty
    evidence, documents) go to the test's own folder, never to the project's; the demo loads without its
    PDFs (the documents' demo test turns them on).
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.DEMO_DOCUMENTS = False
    settings.ALLOWED_HOSTS = [".localhost", "testserver"]  # whatever a local .env says
    factory.random.reseed_random("partnerportal-tests")
    cache.clear()
    yield
    cache.clear()
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture
def world(db) -> World:
    """Tenant A ("Alpha", alpha.localhost) and tenant B ("Bravo", bravo.localhost); see the docstring."""
    return World(
        a=build_tenant(name="Alpha", slug="alpha", partner_names=("Azur Réseaux", "Ambre Services")),
        b=build_tenant(name="Bravo", slug="bravo", partner_names=("Bleu Connect", "Basalte Télécom")),
        superuser=SuperuserFactory(email="root@platform.test"),
    )


@pytest.fixture
def operator_member(world) -> Membership:
    """The technical person (not an admin) of an operator partner of tenant A: the other partner profile.

    A fixture of its own, not part of ``world``: a third partner in A would change what other tests count.
    """
    partner = PartnerFactory(
        tenant=world.a.tenant,
        partner_type=world.a.operator_type,
        operator_plan=world.a.operator_plan,
        legal_name="Orque Opérateur",
    )
    return MembershipFactory(
        partner=partner,
        role=Membership.Role.TECHNICAL,
        user__email="technical@orque.test",
        user__first_name="Technical",
        user__last_name="Orque",
    )


@pytest.fixture
def client_for(db) -> Callable[..., Client]:
    """``client_for(tenant, user=None)``: a new client on ``tenant``'s host, signed in there as ``user``."""

    def make(tenant: Tenant, user: User | None = None) -> Client:
        client = Client(HTTP_HOST=host_of(tenant))
        if user is not None:
            login_on(client, user, tenant)
        return client

    return make


@pytest.fixture
def isolation(world, client_for) -> Callable[..., dict]:
    """``assert_isolated`` (tests/isolation.py) for an object of ``world.a.partner``.

    The owner is A's partner admin; the intruders are the admin of A's other partner and B's partner
    admin. Keyword arguments override these and pass through (``expected``, ``data``, ``unchanged``...).
    """

    def check(urls, **kwargs) -> dict:
        kwargs.setdefault("owner", world.a.admin_membership)
        kwargs.setdefault("other_partner", world.a.other_admin_membership)
        kwargs.setdefault("other_tenant", world.b.admin_membership)
        return assert_isolated(client_for, urls, **kwargs)

    return check
