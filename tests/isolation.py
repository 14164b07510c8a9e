"""The isolation check that every partner-facing view gets (STYLE habit 11: cross-tenant, cross-partner).

Usage, for a view that names an object of ``world.a.partner``::

    from tests.isolation import assert_isolated

    def test_claim_pages_are_isolated(world, client_for):
        claim = ClaimFactory(partner=world.a.partner)
        assert_isolated(
            client_for,
            [reverse("claims:claim-detail", args=[claim.pk]), reverse("claims:claim-update", args=[claim.pk])],
            owner=world.a.admin_membership,
            other_partner=world.a.other_admin_membership,
            other_tenant=world.b.admin_membership,
            expected={"get": 200, "post": 302},
            data={"amount": "12.00"},
            unchanged=lambda: Claim.objects.values_list("pk", "amount", "status").order_by("pk"),
        )

or, with the ``isolation`` fixture of tests/conftest.py, which fills in ``client_for`` and those three
memberships: ``isolation([url, ...], expected={"get": 200, "post": 302}, data=..., unchanged=...)``.

For each URL and each method, in this order:

1. *other tenant*: ``other_tenant.user``, signed in on their own tenant's host, requests the path there
   → 404 (the object is not found through that tenant, and the answer is the same as "does not exist");
2. *other partner*: ``other_partner.user`` (same tenant as the owner, another partner — give an
   administrator, so that a 404 cannot come from a role check) on the owner's host → 404;
3. *anonymous* (unless ``anonymous=False``): no session, on the owner's host → redirect to sign-in;
4. ``unchanged()``, if given, returns the same value after the intruders' requests as before them
   (evaluated with scopes disabled): a refused POST must also have written nothing;
5. *owner*: ``owner.user`` on the owner's host → ``expected`` (an int, or ``{"get": ..., "post": ...}``).
   The owner goes last, so that an owner's POST that deletes the object cannot mask a leak.

Returns the owner's responses as ``{(url, method): response}`` for further assertions.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from partnerportal.models import Membership


def _evaluate(snapshot: Callable[[], Any]) -> Any:
    with scopes_disabled():  # the snapshot reads across tenants on purpose
        value = snapshot()
        return list(value) if hasattr(value, "iterator") else value  # evaluate querysets now


def assert_isolated(
    client_for: Callable[..., Client],
    urls: str | Iterable[str],
    *,
    owner: Membership,
    other_partner: Membership | None,
    other_tenant: Membership | None,
    methods: Iterable[str] = ("get", "post"),
    expected: int | Mapping[str, int] = 200,
    data: Mapping[str, Any] | None = None,
    unchanged: Callable[[], Any] | None = None,
    anonymous: bool = True,
) -> dict:
    """Assert that ``urls`` (paths naming an object of ``owner.partner``) answer only to the owner.

    ``client_for(tenant, user=None)`` makes a client on the tenant's host, signed in there as ``user``
    (the fixture of the same name in tests/conftest.py). See the module docstring for the checks.
    """
    urls = [urls] if isinstance(urls, str) else list(urls)
    methods = [method.lower() for method in methods]
    assert urls and methods, "nothing to check"
    if other_partner is not None:
        assert other_partner.tenant_id == owner.tenant_id, "other_partner must be of the owner's tenant"
        assert other_partner.partner_id not in (None, owner.partner_id), "other_partner: another partner"
    if other_tenant is not None:
        assert other_tenant.tenant_id != owner.tenant_id, "other_tenant must be of another tenant"
    intruders = [
        (label, membership)
        for label, membership in (("other tenant", other_tenant), ("other partner", other_partner))
        if membership is not None
    ]
    assert intruders or anonymous, "no intruder to check"

    def send(client: Client, method: str, url: str):
        return client.post(url, data or {}) if method == "post" else getattr(client, method)(url)

    before = _evaluate(unchanged) if unchanged else None
    login_url = reverse("account_login")
    for url in urls:
        for method in methods:
            for label, membership in intruders:
                client = client_for(membership.tenant, membership.user)
                response = send(client, method, url)
                assert response.status_code == 404, (
                    f"{label} ({membership.user.email} on {client.defaults['HTTP_HOST']}) "
                    f"{method.upper()} {url}: expected 404, got {response.status_code}"
                )
            if anonymous:
                response = send(client_for(owner.tenant), method, url)
                assert response.status_code == 302 and response["Location"].startswith(login_url), (
                    f"anonymous {method.upper()} {url}: expected a redirect to {login_url}, got "
                    f"{response.status_code} {response.get('Location', '')}"
                )
    if unchanged is not None:
        assert _evaluate(unchanged) == before, "a refused request changed data"

    responses = {}
    owner_client = client_for(owner.tenant, owner.user)
    for url in urls:
        for method in methods:
            want = expected[method] if isinstance(expected, Mapping) else expected
            response = send(owner_client, method, url)
            assert response.status_code == want, (
                f"owner ({owner.user.email}) {method.upper()} {url}: expected {want}, "
                f"got {response.status_code}"
            )
            responses[(url, method)] = response
    return responses
