"""The public verification page: valid, no longer valid (with no detail), unknown, rate-limited."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from documents import selectors, views
from documents.models import Document
from partnerportal.models import Partner
from tests.documents.factories import DocumentFactory
from tests.tiers.factories import TierFactory


@pytest.fixture
def business(world):
    return TierFactory(tenant=world.a.tenant, code="business", name="Business", rank=3, awards_diploma=True)


@pytest.fixture
def visitor(world, client_for):
    """Anyone: no account, on tenant A's host."""
    return client_for(world.a.tenant)


def diploma(partner, *, tier=None, days_left=90, **kwargs) -> Document:
    today = partner.tenant.today()
    return DocumentFactory(
        partner=partner,
        kind=Document.Kind.DIPLOMA,
        tier=tier,
        issued_on=dt.date(2019, 3, 7),
        valid_until=today + dt.timedelta(days=days_left),
        **kwargs,
    )


def verify(client, code):
    return client.get(reverse("documents:verify", args=[code]))


def set_status(partner, status):
    with scopes_disabled():
        Partner.objects.filter(pk=partner.pk).update(status=status)


def assert_no_details(response, document):
    """A diploma no longer valid names no partner, no tier and no date, in the page or its title."""
    page = response.content.decode()
    assert "No longer valid" in page
    for detail in (
        document.partner.legal_name,
        document.partner.external_ref,
        "Business",
        "2019",
        "Valid until",
    ):
        assert detail not in page, detail
    assert "diploma" not in response.context


def test_a_valid_diploma_shows_who_which_tier_and_until_when(world, visitor, business):
    document = diploma(world.a.partner, tier=business)

    response = verify(visitor, document.code)

    assert response.status_code == 200
    assert response.context["state"] == "valid"
    page = response.content.decode()
    assert "Valid diploma" in page
    assert world.a.partner.legal_name in page
    assert "Business" in page
    assert "Alpha SA" in page  # the tenant that issued it
    assert response.context["diploma"] == document
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Cache-Control"] == "no-store"


def test_the_verification_needs_no_account_and_answers_members_alike(world, client_for, business):
    document = diploma(world.a.partner, tier=business)

    for user in (None, world.a.admin, world.a.other_admin, world.a.manager):
        response = verify(client_for(world.a.tenant, user), document.code)
        assert response.status_code == 200 and response.context["state"] == "valid"


def test_a_revoked_diploma_says_so_without_details(world, visitor, business):
    document = diploma(
        world.a.partner, tier=business, revoked_at=timezone.now(), revocation=Document.Revocation.TIER_CHANGED
    )

    response = verify(visitor, document.code)

    assert response.status_code == 200
    assert response.context["state"] == "invalid"
    assert_no_details(response, document)


@pytest.mark.parametrize("status", [Partner.Status.SUSPENDED, Partner.Status.TERMINATED])
def test_the_diploma_of_a_partner_no_longer_active_is_no_longer_valid(world, visitor, business, status):
    document = diploma(world.a.partner, tier=business)
    set_status(world.a.partner, status)

    response = verify(visitor, document.code)

    assert response.context["state"] == "invalid"
    assert_no_details(response, document)


def test_an_expired_diploma_is_no_longer_valid(world, visitor, business):
    document = diploma(world.a.partner, tier=business, days_left=-1)

    response = verify(visitor, document.code)

    assert response.context["state"] == "invalid"
    assert_no_details(response, document)


def test_a_diploma_is_valid_on_its_last_day(world, visitor, business):
    document = diploma(world.a.partner, tier=business, days_left=0)

    assert verify(visitor, document.code).context["state"] == "valid"


def test_an_unknown_code_is_a_404_that_says_so(world, visitor):
    response = verify(visitor, "n0t-a-code-of-any-diploma-at-all")

    assert response.status_code == 404
    assert "No diploma of the Alpha partner programme has this code." in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_a_code_longer_than_any_is_unknown_without_a_lookup(world, visitor, django_assert_max_num_queries):
    verify(visitor, "warm-up")
    with django_assert_max_num_queries(1):  # the tenant's host only
        assert verify(visitor, "x" * 500).status_code == 404


@pytest.mark.parametrize("kind", [Document.Kind.WELCOME_PACK, Document.Kind.BOOSTER_PACK])
def test_a_packs_code_is_unknown(world, visitor, kind):
    pack = DocumentFactory(partner=world.a.partner, kind=kind)

    response = verify(visitor, pack.code)

    assert response.status_code == 404 and response.context["state"] == "unknown"
    assert world.a.partner.legal_name not in response.content.decode()


def test_another_tenants_diploma_is_unknown_on_this_host(world, client_for):
    theirs = diploma(world.b.partner)

    response = verify(client_for(world.a.tenant), theirs.code)

    assert response.status_code == 404
    assert world.b.partner.legal_name not in response.content.decode()
    assert verify(client_for(world.b.tenant), theirs.code).status_code == 200  # on its own host it is known


def test_lookups_are_limited_per_address(world, visitor, business, monkeypatch):
    monkeypatch.setattr(views, "VERIFY_LIMIT", 3)
    document = diploma(world.a.partner, tier=business)

    answers = [verify(visitor, code).status_code for code in [document.code, "unknown", document.code]]
    assert answers == [200, 404, 200]

    response = verify(visitor, document.code)
    assert response.status_code == 429
    assert response["Retry-After"] == str(views.VERIFY_WINDOW)
    page = response.content.decode()
    assert "Too many checks" in page
    assert world.a.partner.legal_name not in page

    other_address = visitor.get(reverse("documents:verify", args=[document.code]), REMOTE_ADDR="10.0.0.9")
    assert other_address.status_code == 200


def test_the_limit_is_counted_per_tenant(world, client_for, monkeypatch):
    monkeypatch.setattr(views, "VERIFY_LIMIT", 1)
    theirs = diploma(world.b.partner)

    assert verify(client_for(world.a.tenant), "unknown").status_code == 404
    assert verify(client_for(world.a.tenant), "unknown").status_code == 429
    assert verify(client_for(world.b.tenant), theirs.code).status_code == 200


def test_the_default_limit_lets_thirty_lookups_through_in_ten_minutes(world, visitor):
    assert (views.VERIFY_LIMIT, views.VERIFY_WINDOW) == (30, 600)
    assert {verify(visitor, f"code-{n}").status_code for n in range(30)} == {404}
    assert verify(visitor, "code-30").status_code == 429


@pytest.mark.parametrize("status", [Partner.Status.ACTIVE, Partner.Status.SUSPENDED])
def test_the_back_offices_filter_and_the_verification_agree_on_every_diploma(world, business, status):
    """One rule in two forms (documents/selectors.py): the queryset of a state holds exactly the diplomas that
    diploma_state puts in it: valid, on its last day, expired, without an end date, revoked, withdrawn."""
    partner = world.a.partner
    diploma(partner, tier=business)
    diploma(partner, tier=business, days_left=0)
    diploma(partner, tier=business, days_left=-1)
    diploma(partner, tier=business, revoked_at=timezone.now())
    undated = diploma(partner, tier=business)
    DocumentFactory(partner=partner, kind=Document.Kind.WELCOME_PACK)
    today = partner.tenant.today()
    with scopes_disabled():
        Document.objects.filter(pk=undated.pk).update(valid_until=None)
        set_status(partner, status)
        everything = Document.objects.filter(tenant=partner.tenant).select_related("partner")
        expected = {state: set() for state in ("valid", "expired", "withdrawn", "revoked")}
        for document in everything.filter(kind=Document.Kind.DIPLOMA):
            expected[selectors.diploma_state(document, today=today)].add(document.pk)

        got = {
            state: set(
                selectors.diplomas_in_state(everything, state, today=today).values_list("pk", flat=True)
            )
            for state in expected
        }

    assert got == expected
    assert sum(len(pks) for pks in got.values()) == 5  # every diploma in one state, the pack in none
