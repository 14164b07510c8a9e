"""Every URL of the project is in the table of expected answers (tests/url_cases.py), and answers as it says.

The URLs come from the URLconf, not from a hand-kept list; only the back-office (``admin/``, whose
isolation has its own tests) is left out, and ``test_only_the_admin_is_skipped`` holds that to the admin
site's own include, so nothing else can escape the walk under its prefix.
"""

import importlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.test import Client
from django.test.client import ClientHandler
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import login_on
from tests.url_cases import ENTITLED, ROLES, Answer, Redirect, UrlCase

ADMIN_PREFIX = "admin/"


def _walk(patterns, prefix: str, namespace: str):
    """Yield ``(route, pattern, name)`` for every URL pattern, ``name`` with its namespaces."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}:{pattern.namespace}"
                if namespace and pattern.namespace
                else pattern.namespace or namespace
            )
            if route == ADMIN_PREFIX:
                yield route, pattern, None  # the back-office: checked by its own isolation tests
                continue
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield route, pattern, name


def url_names() -> set[str]:
    names = set()
    for route, _pattern, name in _walk(get_resolver().url_patterns, "", ""):
        if route == ADMIN_PREFIX:
            continue
        assert name, f"the URL {route!r} has no name: give it one and a row in tests/<app>/url_cases.py"
        names.add(name)
    return names


def all_cases() -> dict[str, UrlCase]:
    cases: dict[str, UrlCase] = {}
    for path in sorted(Path(__file__).parent.glob("*/url_cases.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.url_cases")
        duplicated = set(cases) & set(module.CASES)
        assert not duplicated, f"rows in two url_cases.py files: {', '.join(sorted(duplicated))}"
        cases.update(module.CASES)
    return cases


CASES = all_cases()


def test_only_the_admin_is_skipped():
    skipped = [
        (route, pattern)
        for route, pattern, _name in _walk(get_resolver().url_patterns, "", "")
        if route == ADMIN_PREFIX
    ]
    assert len(skipped) == 1, f"one include under {ADMIN_PREFIX!r} only: {skipped}"
    (_route, resolver) = skipped[0]
    # The admin site's own URLs, and nothing else hidden under its prefix.
    assert isinstance(resolver, URLResolver)
    assert [str(p.pattern) for p in resolver.url_patterns] == [str(p.pattern) for p in admin.site.urls[0]]
    assert (resolver.app_name, resolver.namespace) == ("admin", admin.site.name)


def test_every_url_has_expected_answers():
    names = url_names()
    missing = sorted(names - set(CASES))
    assert not missing, f"URLs without a row in tests/<app>/url_cases.py: {', '.join(missing)}"
    unknown = sorted(name for name in set(CASES) - names if not name.startswith("/"))
    assert not unknown, f"rows for URLs that do not exist: {', '.join(unknown)}"


# One handler for every client of the walk: a new client loads the middleware again, and WhiteNoise, which
# serves the static folders through the finders outside production, lists every static file when it loads
# (most of the walk's time, with a client per role and URL). No test here changes a setting the middleware
# reads when it loads.
HANDLER = ClientHandler(enforce_csrf_checks=False)


def visitors(world, client_for, operator_member) -> list[tuple[str, Client]]:
    """A client per role of ``ROLES``, in its order: the owner last, so that a deleting POST masks no leak."""
    foreign = login_on(Client(HTTP_HOST=world.a.host), world.b.admin, world.b.tenant)
    clients = {
        "other_tenant": client_for(world.b.tenant, world.b.admin),
        "other_manager": client_for(world.b.tenant, world.b.manager),
        "other_partner": client_for(world.a.tenant, world.a.other_admin),
        "operator_member": client_for(world.a.tenant, operator_member.user),
        "foreign_session": foreign,
        "anonymous": client_for(world.a.tenant),
        "manager": client_for(world.a.tenant, world.a.manager),
        "superuser": client_for(world.a.tenant, world.superuser),
        "member": client_for(world.a.tenant, world.a.sales),
        "owner": client_for(world.a.tenant, world.a.admin),
    }
    assert list(clients) == list(ROLES)
    for client in clients.values():
        client.handler = HANDLER
    return list(clients.items())


def describe(response) -> str:
    location = response.get("Location")
    return f"{response.status_code} {location}" if location else str(response.status_code)


def answers(response, expected: Answer, world) -> bool:
    if isinstance(expected, Redirect):
        target = urlsplit(response["Location"]).path if response.has_header("Location") else None
        return response.status_code in (301, 302) and target == expected.path(world)
    return response.status_code == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_url_answers_as_expected(name, world, client_for, operator_member):
    case = CASES[name]
    clients = visitors(world, client_for, operator_member)  # first: signing in changes what tokens hash
    kwargs = case.kwargs(world)
    url = name if name.startswith("/") else reverse(name, kwargs=kwargs)
    marker = case.marker(world) if case.marker else None

    def send(client: Client, method: str):
        return client.post(url, case.data) if method == "post" else client.get(url)

    wrong = []
    for role, client in clients:
        response = send(client, case.method)
        expected = case.expected(role)
        if not answers(response, expected, world):
            wrong.append(f"{role} ({ROLES[role]}): expected {expected}, got {describe(response)}")
        elif expected == 404:
            # Not found with one method is not found with the other: a view that looks the object up
            # for its GET only must not find it for a POST (405, "not this method", reveals nothing).
            other = "get" if case.method == "post" else "post"
            response = send(client, other)
            if response.status_code not in (404, 405):
                wrong.append(
                    f"{role} ({ROLES[role]}) {other.upper()}: expected 404, got {describe(response)}"
                )
        elif (
            marker
            and role not in ENTITLED
            and response.status_code == 200
            and marker in b"".join(response).decode(errors="replace")
        ):
            wrong.append(f"{role} ({ROLES[role]}) is shown the owner's {marker!r}")
    assert not wrong, f"{case.method.upper()} {url}:\n" + "\n".join(wrong)
