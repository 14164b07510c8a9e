"""The back-office of the documents: read-only lists of the tenant's own, downloads, generation on demand."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from documents import tasks
from documents.models import Contact, Document
from partnerportal.tenancy import tenant_scope
from tests.documents.factories import TINY_PDF, ContactFactory, DocumentFactory
from tests.tiers.factories import TierFactory

CHANGELIST = reverse("admin:documents_document_changelist")
GENERATE = reverse("admin:documents_document_generate")


def admin_download(document) -> str:
    return reverse("admin:documents_document_download", args=[document.pk])


@pytest.fixture
def manager(world, client_for):
    return client_for(world.a.tenant, world.a.manager)


@pytest.fixture
def tiers(world):
    """Access (a booster pack) and Business (a diploma) on both tenants."""
    return {
        key: {
            "access": TierFactory(
                tenant=setup.tenant, code="access", name="Access", rank=2, awards_booster_pack=True
            ),
            "business": TierFactory(
                tenant=setup.tenant, code="business", name="Business", rank=3, awards_diploma=True
            ),
        }
        for key, setup in (("a", world.a), ("b", world.b))
    }


@pytest.fixture
def queued(monkeypatch):
    """The generations queued, instead of rendering them (WeasyPrint is slow; one test renders for real)."""
    calls = []
    monkeypatch.setattr(tasks.document_issue, "delay_on_commit", lambda *args: calls.append(args))
    return calls


def diploma(partner, tier, **kwargs) -> Document:
    today = partner.tenant.today()
    kwargs.setdefault("valid_until", today + dt.timedelta(days=60))
    return DocumentFactory(partner=partner, kind=Document.Kind.DIPLOMA, tier=tier, issued_on=today, **kwargs)


def documents_of(partner) -> list[Document]:
    with scopes_disabled():
        return list(Document.objects.filter(partner=partner).order_by("pk"))


# --- the list --------------------------------------------------------------------------------------------


def test_a_manager_sees_the_tenants_documents_only(world, manager, tiers):
    ours = [diploma(world.a.partner, tiers["a"]["business"]), DocumentFactory(partner=world.a.other_partner)]
    theirs = DocumentFactory(partner=world.b.partner)

    response = manager.get(CHANGELIST)

    assert response.status_code == 200
    assert {d.pk for d in response.context["cl"].result_list} == {d.pk for d in ours}
    page = response.content.decode()
    assert admin_download(ours[0]) in page
    assert admin_download(theirs) not in page
    assert "document-state--valid" in page
    assert GENERATE in page


def test_the_superuser_sees_every_tenant(world, client_for):
    documents = [DocumentFactory(partner=world.a.partner), DocumentFactory(partner=world.b.partner)]

    response = client_for(world.a.tenant, world.superuser).get(CHANGELIST)

    assert {d.pk for d in response.context["cl"].result_list} == {d.pk for d in documents}


def test_search_by_partner_reference_and_by_code(world, manager):
    mine = DocumentFactory(partner=world.a.partner)
    DocumentFactory(partner=world.a.other_partner)

    by_ref = manager.get(CHANGELIST, {"q": world.a.partner.external_ref}).context["cl"].result_list
    by_code = manager.get(CHANGELIST, {"q": mine.code}).context["cl"].result_list

    assert [d.pk for d in by_ref] == [mine.pk]
    assert [d.pk for d in by_code] == [mine.pk]


def test_the_state_filter(world, manager, tiers):
    business = tiers["a"]["business"]
    valid = diploma(world.a.partner, business)
    revoked = diploma(world.a.partner, business, revoked_at=timezone.now(), revocation="replaced")
    expired = diploma(world.a.other_partner, business, valid_until=dt.date(2020, 1, 1))

    def listed(state):
        return [d.pk for d in manager.get(CHANGELIST, {"state": state}).context["cl"].result_list]

    assert listed("valid") == [valid.pk]
    assert listed("revoked") == [revoked.pk]
    assert listed("expired") == [expired.pk]


def test_documents_are_read_only(world, manager):
    document = DocumentFactory(partner=world.a.partner)
    change = reverse("admin:documents_document_change", args=[document.pk])

    response = manager.get(change)  # a page to read, with the download link instead of the file's
    assert response.status_code == 200
    assert admin_download(document) in response.content.decode()
    assert manager.post(change, {"language": "en"}).status_code == 403
    assert manager.get(reverse("admin:documents_document_add")).status_code == 403
    assert manager.get(reverse("admin:documents_document_delete", args=[document.pk])).status_code == 403


# --- downloads -------------------------------------------------------------------------------------------


def test_a_manager_downloads_the_tenants_documents_only(world, manager):
    ours = DocumentFactory(partner=world.a.other_partner)
    theirs = DocumentFactory(partner=world.b.partner)

    response = manager.get(admin_download(ours))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == TINY_PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
    assert manager.get(admin_download(theirs)).status_code == 404


def test_partners_people_cannot_use_the_admin_download(world, client_for):
    document = DocumentFactory(partner=world.a.partner)

    response = client_for(world.a.tenant, world.a.admin).get(admin_download(document))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- generation ------------------------------------------------------------------------------------------


def test_the_generate_page_opens_from_the_list(world, manager):
    response = manager.get(GENERATE)

    assert response.status_code == 200
    assert set(response.context["form"].fields) == {"partner", "kind", "tier"}


def test_generating_queues_the_task_and_says_so(world, manager, tiers, queued):
    response = manager.post(
        GENERATE, {"partner": world.a.partner.pk, "kind": "diploma", "tier": tiers["a"]["business"].pk}
    )

    assert response.status_code == 302 and response["Location"] == CHANGELIST
    assert queued == [(world.a.tenant.pk, world.a.partner.pk, "diploma", tiers["a"]["business"].pk)]
    assert "being generated" in manager.get(CHANGELIST).content.decode()


def test_a_welcome_pack_is_for_the_partners_tier_today(world, manager, queued):
    manager.post(GENERATE, {"partner": world.a.partner.pk, "kind": "welcome_pack"})

    assert queued == [(world.a.tenant.pk, world.a.partner.pk, "welcome_pack", None)]


def test_another_tenants_partner_or_tier_is_refused(world, manager, tiers, queued):
    for data in (
        {"partner": world.b.partner.pk, "kind": "welcome_pack"},
        {"partner": world.a.partner.pk, "kind": "diploma", "tier": tiers["b"]["business"].pk},
    ):
        response = manager.post(GENERATE, data)
        assert response.status_code == 400
        assert response.context["form"].errors
    assert queued == []


def test_a_diploma_only_for_a_tier_that_awards_one(world, manager, tiers, queued):
    response = manager.post(
        GENERATE, {"partner": world.a.partner.pk, "kind": "diploma", "tier": tiers["a"]["access"].pk}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["tier"] == ["The Access tier awards no diploma."]
    assert queued == []


def test_generation_runs_and_the_partner_is_told(
    world, manager, tiers, settings, django_capture_on_commit_callbacks
):
    """The one real rendering here: Celery runs eagerly, after the request's commit."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    business = tiers["a"]["business"]

    # Outside tests the service's commit, which sends the e-mail, happens in the task's tenant scope; in a
    # test every commit waits for the test's capture, after the request's scope has closed: hence this one.
    with tenant_scope(world.a.tenant), django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            GENERATE, {"partner": world.a.partner.pk, "kind": "diploma", "tier": business.pk}
        )

    assert response.status_code == 302
    [document] = documents_of(world.a.partner)
    assert (document.kind, document.tier_id, document.revoked_at) == ("diploma", business.pk, None)
    assert document.size > 1000
    assert [m.to for m in mail.outbox] == [[world.a.admin.email]]


def test_the_regenerate_action_queues_one_per_partner_and_kind(world, manager, tiers, queued):
    business, access = tiers["a"]["business"], tiers["a"]["access"]
    valid = diploma(world.a.partner, business)
    revoked = diploma(world.a.partner, business, revoked_at=timezone.now(), revocation="tier_changed")
    packs = [DocumentFactory(partner=world.a.partner), DocumentFactory(partner=world.a.partner)]
    booster = DocumentFactory(partner=world.a.other_partner, kind=Document.Kind.BOOSTER_PACK, tier=access)
    selected = [valid, revoked, *packs, booster]

    response = manager.post(
        CHANGELIST, {"action": "regenerate", "_selected_action": [d.pk for d in selected]}, follow=True
    )

    tenant = world.a.tenant.pk
    assert sorted(queued) == sorted(
        [
            (tenant, world.a.partner.pk, "diploma", business.pk),
            (tenant, world.a.partner.pk, "welcome_pack", None),
            (tenant, world.a.other_partner.pk, "booster_pack", access.pk),
        ]
    )
    page = response.content.decode()
    assert "3 documents are being generated again" in page
    assert "1 diploma is no longer valid and was left alone" in page


def test_the_regenerate_action_cannot_reach_another_tenant(world, manager, queued):
    theirs = DocumentFactory(partner=world.b.partner)

    manager.post(CHANGELIST, {"action": "regenerate", "_selected_action": [theirs.pk]})

    assert queued == []


# --- contacts --------------------------------------------------------------------------------------------


def test_contacts_are_per_tenant(world, manager):
    ours = ContactFactory(tenant=world.a.tenant, title="Support Alpha")
    ContactFactory(tenant=world.b.tenant, title="Support Bravo")

    response = manager.get(reverse("admin:documents_contact_changelist"))
    assert [c.pk for c in response.context["cl"].result_list] == [ours.pk]

    response = manager.post(
        reverse("admin:documents_contact_add"),
        {"kind": "escalation", "level": 2, "title": "Directeur commercial", "position": 0},
    )
    assert response.status_code == 302
    with scopes_disabled():
        added = Contact.objects.get(title="Directeur commercial")
    assert added.tenant == world.a.tenant
