"""Issue 10: every portal page takes 10 SQL queries or fewer, on the demo's real data, for each kind of
demo partner (an Ambassadeur at Access, one at Premium, an Opérateur at Business)."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from obligations.models import DutyFulfilment
from partnerportal.models import Tenant, User
from promos.models import Quote
from tests.conftest import login_on

MAX_QUERIES = 10
ACCOUNTS = ["partner@dstny.demo", "premium@dstny.demo", "operator@dstny.demo"]


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)
    with scopes_disabled():
        return Tenant.objects.get(slug="dstny")


def pages_of(user: User) -> list[str]:
    with scopes_disabled():
        partner = user.memberships.get().partner
        fulfilment = DutyFulfilment.objects.filter(partner=partner).first()
        quote = Quote.objects.filter(partner=partner).first()
    pages = [
        reverse(name)
        for name in (
            "partnerportal:home",
            "tiers:status",
            "benefits:benefit-list",
            "obligations:duty-list",
            "obligations:plan",
            "obligations:forecasts",
            "promos:quote-calculator",
            "promos:quote-list",
            "documents:document-list",
            "partnerportal:team",
            "partnerportal:company",
            "experts:directory",
            "experts:profile",
            "experts:assignment-list",
        )
    ]
    pages.append(reverse("tiers:status") + "?extra=1500")
    if fulfilment:
        pages.append(reverse("obligations:fulfilment-detail", args=[fulfilment.pk]))
    if quote:
        pages.append(reverse("promos:quote-detail", args=[quote.pk]))
    return pages


@pytest.mark.parametrize("email", ACCOUNTS)
def test_every_portal_page_takes_ten_queries_or_fewer(demo, client, django_assert_max_num_queries, email):
    with scopes_disabled():
        user = User.objects.get(email=email)
        host = demo.domains.get(is_primary=True).host
    login_on(client, user, demo)
    for page in pages_of(user):
        first = client.get(page, HTTP_HOST=host)  # the tenant's catalogues go into the cache
        assert first.status_code == 200, page
        with django_assert_max_num_queries(MAX_QUERIES, info=page):
            assert client.get(page, HTTP_HOST=host).status_code == 200
