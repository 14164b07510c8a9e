"""Mes documents and the download of a document: own documents only, streamed as an attachment, 404 else."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from documents.models import Document
from partnerportal.models import Partner
from tests.documents.factories import TINY_PDF, DocumentFactory, issue
from tests.tiers.factories import TierFactory

LIST = reverse("documents:document-list")


def download_url(document) -> str:
    return reverse("documents:document-download", args=[document.pk])


@pytest.fixture
def business(world):
    return TierFactory(tenant=world.a.tenant, code="business", name="Business", rank=3, awards_diploma=True)


@pytest.fixture
def owner(world, client_for):
    return client_for(world.a.tenant, world.a.admin)


def diploma(partner, *, tier=None, days_left=90, **kwargs) -> Document:
    today = partner.tenant.today()
    return DocumentFactory(
        partner=partner,
        kind=Document.Kind.DIPLOMA,
        tier=tier,
        issued_on=today - dt.timedelta(days=10),
        valid_until=today + dt.timedelta(days=days_left),
        **kwargs,
    )


def test_the_list_shows_the_valid_diploma_the_packs_and_the_history(world, owner, business):
    current = diploma(world.a.partner, tier=business)
    replaced = diploma(
        world.a.partner,
        tier=business,
        revoked_at=timezone.now(),
        revocation=Document.Revocation.REPLACED,
    )
    expired = diploma(world.a.partner, tier=business, days_left=-1)
    old_welcome = DocumentFactory(partner=world.a.partner, kind=Document.Kind.WELCOME_PACK)
    welcome = DocumentFactory(partner=world.a.partner, kind=Document.Kind.WELCOME_PACK)
    booster = DocumentFactory(partner=world.a.partner, kind=Document.Kind.BOOSTER_PACK, tier=business)

    response = owner.get(LIST)

    assert response.status_code == 200
    context = response.context
    assert context["diploma"] == current
    assert [d.pk for d in context["packs"]] == [booster.pk, welcome.pk]
    history = {d.pk: d.state for d in context["history"].data.data}
    assert history == {replaced.pk: "revoked", expired.pk: "expired", old_welcome.pk: "older"}
    page = response.content.decode()
    assert current.code in page
    assert reverse("documents:verify", args=[current.code]) in page
    for document in (current, replaced, expired, old_welcome, welcome, booster):
        assert download_url(document) in page
    assert "Replaced by a newer document" in page  # why the old diploma is no longer valid
    assert replaced.code not in page and expired.code not in page  # only the valid one is offered to check


def test_the_list_shows_own_documents_only(world, owner, business):
    mine = DocumentFactory(partner=world.a.partner)
    neighbours = diploma(world.a.other_partner, tier=business)
    theirs = diploma(world.b.partner)

    page = owner.get(LIST).content.decode()

    assert download_url(mine) in page
    for other in (neighbours, theirs):
        assert download_url(other) not in page and other.code not in page


def test_without_a_valid_diploma_the_page_says_which_tiers_award_one(world, owner, business):
    diploma(world.a.partner, tier=business, revoked_at=timezone.now(), revocation="tier_changed")

    response = owner.get(LIST)

    assert response.context["diploma"] is None
    page = response.content.decode()
    assert "No valid diploma at the moment" in page
    assert "Business" in page
    assert "The partner&#x27;s tier changed" in page


def test_a_suspended_partners_diploma_is_no_longer_valid_on_its_list(world, owner, business):
    held = diploma(world.a.partner, tier=business)
    with scopes_disabled():
        Partner.objects.filter(pk=world.a.partner.pk).update(status=Partner.Status.SUSPENDED)

    response = owner.get(LIST)

    assert response.context["diploma"] is None
    assert [(d.pk, d.state) for d in response.context["history"].data.data] == [(held.pk, "withdrawn")]


def test_the_list_reads_a_fixed_number_of_queries(world, owner, business, django_assert_max_num_queries):
    # The tenant, the session, the user and the membership, then one query for all the documents (their
    # partner and tier joined) and, without a valid diploma, one for the tiers that award one.
    DocumentFactory(partner=world.a.partner, kind=Document.Kind.WELCOME_PACK)
    with django_assert_max_num_queries(6):
        owner.get(LIST)

    diploma(world.a.partner, tier=business)
    for _ in range(5):
        diploma(world.a.partner, tier=business, revoked_at=timezone.now(), revocation="replaced")
        DocumentFactory(partner=world.a.partner, kind=Document.Kind.BOOSTER_PACK, tier=business)
    with django_assert_max_num_queries(5):
        response = owner.get(LIST)
    assert len(response.context["history"].data.data) == 9


def test_download_streams_the_pdf_as_a_private_attachment(world, owner):
    document = DocumentFactory(partner=world.a.partner, issued_on=dt.date(2026, 7, 1))

    response = owner.get(download_url(document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == TINY_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="welcome-pack-{world.a.partner.external_ref}-2026-07-01.pdf"'
    )
    assert response["Content-Length"] == str(len(TINY_PDF))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_a_revoked_diploma_is_still_downloadable_from_the_history(world, owner):
    revoked = diploma(world.a.partner, revoked_at=timezone.now(), revocation="replaced")

    response = owner.get(download_url(revoked))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == TINY_PDF


def test_download_is_isolated_between_partners_and_tenants(world, isolation):
    document = DocumentFactory(partner=world.a.partner)

    isolation([download_url(document)], methods=["get"], expected=200)


def test_download_of_a_document_that_does_not_exist_is_a_404(world, owner):
    assert owner.get(reverse("documents:document-download", args=[987654])).status_code == 404


def test_a_file_missing_from_storage_is_a_clean_404(world, owner):
    document = DocumentFactory(partner=world.a.partner)
    document.file.storage.delete(document.file.name)

    assert owner.get(download_url(document)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(world, client_for):
    document = DocumentFactory(partner=world.a.partner)
    anonymous = client_for(world.a.tenant)

    for url in (LIST, download_url(document)):
        response = anonymous.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_managers_are_sent_to_the_back_office(world, client_for):
    response = client_for(world.a.tenant, world.a.manager).get(LIST)

    assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_a_real_diploma_downloads_as_the_pdf_that_was_rendered(world, owner, business):
    document = issue(world.a.partner, Document.Kind.DIPLOMA, tier=business, notify=False)

    response = owner.get(download_url(document))

    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-") and len(body) == document.size
    assert owner.get(LIST).context["diploma"] == document
