"""Tenant resolution and scoping: the one place that decides which tenant a piece of code works for."""

from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django_scopes import get_scope, scope

from .models import Membership, Tenant, TenantDomain


def host_without_port(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("["):  # IPv6 literal
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def tenant_for_host(host: str) -> Tenant | None:
    domain = TenantDomain.objects.select_related("tenant").filter(host=host_without_port(host)).first()
    return domain.tenant if domain else None


@contextmanager
def tenant_scope(tenant: Tenant | int):
    """Open the django-scopes scope for one tenant.

    django-scopes treats ``tenant=None`` as "no filter", so a missing tenant must fail here, loudly,
    rather than open a scope that sees every tenant.
    """
    tenant_id = tenant if isinstance(tenant, int) else getattr(tenant, "pk", None)
    if not tenant_id:
        raise ValueError("tenant_scope() needs a saved tenant.")
    with scope(tenant=tenant_id):
        yield


def current_tenant_id() -> int | None:
    """The tenant id of the open scope, or None when no tenant scope is open."""
    state = get_scope()
    return state.get("tenant") if state.get("_enabled", True) else None


def tenant_url(tenant: Tenant, path: str) -> str:
    """An absolute URL on the tenant's primary host (``settings.PORTAL_URL``: ``https://{host}`` in production),
    for e-mails and documents, which have no request to build it from."""
    return settings.PORTAL_URL.format(host=tenant.primary_host).rstrip("/") + path


def tenant_users(tenant: Tenant) -> QuerySet:
    """People who belong to a tenant (partners' people and managers); users are global, so filter here."""
    return get_user_model().objects.filter(memberships__tenant=tenant).distinct()


def tenant_managers(tenant: Tenant) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(memberships__tenant=tenant, memberships__role=Membership.Role.MANAGER)
        .distinct()
    )


# Keys about a person or an IP, not about a tenant's data: allauth's rate-limit counters
# (``allauth.core.internal.ratelimit.get_cache_key``: "allauth:rl:<app>:…", and their ":lock" keys) and its
# used-TOTP-code markers (``allauth.mfa.totp.internal.auth.TOTP``), which stop a code from being replayed.
GLOBAL_CACHE_KEY_PREFIXES = ("allauth:rl:", "allauth.mfa.totp.used?")


def tenant_cache_key(key: str, key_prefix: str, version: int) -> str:
    """Cache KEY_FUNCTION: every key made inside a tenant scope is partitioned by that tenant.

    So no code can read another tenant's cached page or value by reusing a key; keys made outside any
    scope (platform-wide values) share the "-" partition. Rate-limit counters and used-code markers are
    platform-wide too, wherever they are made: partitioned, a person with access to several tenants (the
    platform superuser first) would get a fresh set of password guesses on each tenant's host, and a TOTP
    code seen on one host could be replayed on another.
    """
    tenant_id = None if key.startswith(GLOBAL_CACHE_KEY_PREFIXES) else current_tenant_id()
    return f"{key_prefix}:{version}:t{tenant_id or '-'}:{key}"


def tenant_owned_paths() -> list[tuple[type, str]]:
    """Every model whose rows belong to a tenant, with the lookup from it to the tenant ("tenant",
    "partner__tenant", "plan__partner__tenant"…), found by following non-null foreign keys, so that the
    apps' own tables are found without being named; children first (the order to delete a tenant's rows:
    a path through a parent's table, tier__tenant, finds nothing once the parent is gone)."""
    from django.apps import apps

    paths: dict[type, str] = {Tenant: "pk"}
    changed = True
    while changed:
        changed = False
        for model in apps.get_models(include_auto_created=True):
            if model in paths:
                continue
            for field in model._meta.concrete_fields:
                target = field.related_model if field.many_to_one or field.one_to_one else None
                if target in paths and not field.null:
                    paths[model] = field.name if target is Tenant else f"{field.name}__{paths[target]}"
                    changed = True
                    break
    del paths[Tenant]
    return sorted(paths.items(), key=lambda item: -item[1].count("__"))
