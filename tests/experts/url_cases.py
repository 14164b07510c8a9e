from tests.url_cases import BACK_OFFICE, UrlCase

# The portal's administrator-only mixin refuses a manager's membership (403) before sending it to the
# back-office; the superuser has no membership and is sent there.
ADMIN_ONLY = {"member": 403, "operator_member": 403, "manager": 403, "superuser": BACK_OFFICE}


def _network(world):
    from tests.experts.factories import build_network

    return build_network(world.a)


def _speciality(world):
    return {"pk": _network(world).other_speciality.pk}


def _test(world):
    return {"pk": _network(world).test.pk}


def _attempt(world):
    from experts.services import attempt_start
    from partnerportal.tenancy import tenant_scope

    network = _network(world)
    with tenant_scope(world.a.tenant):
        attempt = attempt_start(membership=world.a.admin_membership, test=network.test)
    return {"pk": attempt.pk}


def _assignment(world):
    from tests.experts.factories import make_assignment

    return {"pk": make_assignment(_network(world)).pk}


def _built(world) -> dict:
    _network(world)
    return {}


def _contact(world) -> str:
    return f"experts@{world.a.tenant.slug}.test"


CASES = {
    # The directory is every partner's: others see A's expert (on purpose), another tenant's never.
    "experts:directory": UrlCase(kwargs=_built, other_partner=200, other_tenant=200),
    "experts:profile": UrlCase(kwargs=_built, other_partner=200, other_tenant=200, marker=_contact),
    "experts:price-grid-accept": UrlCase(
        kwargs=_built, method="post", owner=302, other_partner=302, other_tenant=302, **ADMIN_ONLY
    ),
    # The speciality is the tenant's: A's other partner may apply for it, for itself.
    "experts:speciality-apply": UrlCase(
        kwargs=_speciality, method="post", owner=302, other_partner=302, **ADMIN_ONLY
    ),
    "experts:attempt-start": UrlCase(kwargs=_test, method="post", owner=302, other_partner=302),
    # An attempt is its taker's: the owner's colleague gets a 404 too.
    "experts:attempt": UrlCase(kwargs=_attempt, member=404),
    "experts:assignment-list": UrlCase(
        kwargs=lambda w: _assignment(w) and {},
        other_partner=200,
        other_tenant=200,
        marker=lambda w: "Clinique des Alizés",
    ),
    "experts:assignment-accept": UrlCase(kwargs=_assignment, method="post", owner=302),
    "experts:assignment-refuse": UrlCase(
        kwargs=_assignment, method="post", owner=302, data={"reason": "busy"}
    ),
    "experts:assignment-done": UrlCase(kwargs=_assignment, method="post", owner=302),
}
