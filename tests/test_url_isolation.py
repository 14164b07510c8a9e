"""Every portal URL is in the table of expected answers (tests/url_cases.py), and answers as it says."""

import importlib
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.url_cases import LOGIN, UrlCase

# Not the portal's own pages: the back-office (its own tests), allauth's sign-in pages, the language switch,
# and media files served in development.
SKIPPED_PREFIXES = ("admin/", "accounts/", "i18n/", "media/")


def portal_url_names() -> set[str]:
    names = set()

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern).lstrip("^")
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(pattern, URLResolver):
                inner = (
                    f"{namespace}:{pattern.namespace}"
                    if namespace and pattern.namespace
                    else pattern.namespace
                )
                walk(pattern.url_patterns, route, inner or namespace)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, (
                    f"the portal URL {route!r} has no name: give it one and a row in url_cases"
                )
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", "")
    return names


def all_cases() -> dict[str, UrlCase]:
    cases: dict[str, UrlCase] = {}
    for path in sorted(Path(__file__).parent.glob("*/url_cases.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.url_cases")
        cases.update(module.CASES)
    return cases


CASES = all_cases()


def test_every_portal_url_has_expected_answers():
    missing = sorted(portal_url_names() - set(CASES))
    assert not missing, f"portal URLs without a row in tests/<app>/url_cases.py: {', '.join(missing)}"
    unknown = sorted(set(CASES) - portal_url_names())
    assert not unknown, f"rows for URLs that do not exist: {', '.join(unknown)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_url_answers_as_expected(name, world, client_for):
    case = CASES[name]
    url = reverse(name, kwargs=case.kwargs(world))
    owner = getattr(world.a, case.owner_membership)
    marker = case.marker(world) if case.marker else None

    visitors = [
        ("other tenant", client_for(world.b.tenant, world.b.admin), case.other_tenant),
        ("other partner", client_for(world.a.tenant, world.a.other_admin), case.other_partner),
        ("anonymous", client_for(world.a.tenant), case.anonymous),
        ("owner", client_for(owner.tenant, owner.user), case.owner),
    ]
    for label, client, expected in visitors:
        response = client.post(url, case.data) if case.method == "post" else client.get(url)
        if expected == LOGIN:
            assert response.status_code == 302 and response["Location"].startswith(
                reverse("account_login")
            ), (
                f"{label} {case.method.upper()} {url}: expected a redirect to sign in, got {response.status_code}"
            )
            continue
        assert response.status_code == expected, (
            f"{label} {case.method.upper()} {url}: expected {expected}, got {response.status_code}"
        )
        if marker and label != "owner" and response.status_code == 200:
            assert marker not in response.content.decode(), (
                f"{label} {case.method.upper()} {url} shows the owner's {marker!r}"
            )
