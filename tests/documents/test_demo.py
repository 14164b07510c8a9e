"""The demo's documents (documents/demo.py): every partner's welcome pack, the diplomas of Business and
Premium partners, the contacts; a second load writes nothing. One test: a demo load renders ~100 PDFs."""

import io

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django_scopes import scopes_disabled
from pypdf import PdfReader

from documents.models import Contact, Document
from partnerportal.demo import demo_load
from partnerportal.models import Partner, Tenant
from tests.documents.factories import pdf_text
from tiers.models import PartnerTier

# Rendering ~180 PDFs is the same work on either database; on PostgreSQL, .ci/run's "migrations and demo
# data" step loads the demo with its documents, so this minute is spent once, on SQLite.
pytestmark = pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="rendered once, on SQLite; .ci/run loads the demo with its documents on PostgreSQL",
)


@pytest.fixture
def loaded(db, settings):
    settings.DEMO_DOCUMENTS = True  # off for the rest of the suite (tests/conftest.py)
    return demo_load()


def snapshot() -> dict:
    with scopes_disabled():
        return {
            "documents": list(Document.objects.order_by("pk").values()),
            "contacts": list(Contact.objects.order_by("pk").values()),
        }


def test_the_demo_leaves_every_partner_its_documents_and_a_second_load_writes_nothing(loaded):
    with scopes_disabled():
        for tenant in Tenant.objects.filter(slug__in=["dstny", "openip"]):
            today = tenant.today()
            partners = list(Partner.objects.filter(tenant=tenant))
            documents = list(Document.objects.filter(tenant=tenant).select_related("partner", "tier"))
            assert len(partners) == 40
            welcome = {d.partner_id: d for d in documents if d.kind == Document.Kind.WELCOME_PACK}
            assert set(welcome) == {p.pk for p in partners}  # every one, once
            assert all(d.language == d.partner.language for d in welcome.values())

            current = {
                row.partner_id: row.tier
                for row in PartnerTier.objects.filter(tenant=tenant, partner__status="active").select_related(
                    "tier"
                )
            }
            valid = {
                d.partner_id: d.tier.code
                for d in documents
                if d.kind == Document.Kind.DIPLOMA and d.revoked_at is None and d.valid_until >= today
            }
            awarded = {pk: tier.code for pk, tier in current.items() if tier.code in ("business", "premium")}
            assert awarded and valid == awarded
            boosted = {d.partner_id for d in documents if d.kind == Document.Kind.BOOSTER_PACK}
            assert {pk for pk, tier in current.items() if tier.rank >= 2} <= boosted
            # Suspended and terminated partners hold no valid diploma.
            inactive = {p.pk for p in partners if p.status != "active"}
            assert not inactive & {
                d.partner_id for d in documents if d.kind == "diploma" and d.revoked_at is None
            }

            contacts = list(Contact.objects.filter(tenant=tenant))
            assert sorted(c.level for c in contacts if c.kind == Contact.Kind.ESCALATION) == [1, 2, 3]
            assert {c.title for c in contacts} >= {
                "Support technique",
                "Responsable du programme partenaires",
            }

        sample = Document.objects.filter(tenant__slug="dstny", partner__external_ref="DST-00003")
        pack = sample.get(kind=Document.Kind.WELCOME_PACK)
        with pack.file.open("rb") as handle:
            data = handle.read()
        assert len(PdfReader(io.BytesIO(data)).pages) > 1
        text = pdf_text(data)  # in French, the partner's language: every section of the pack
        for part in (
            "Ce que vous apporte le statut Premium",  # the tier, then its benefits
            "à demander sur votre portail",  # a benefit to claim
            "Dès le statut Starter",  # a lower tier's, named in a paragraph
            "Ce que le programme attend de vous",  # the duties, with their due dates
            "échéance le",
            "Les promotions qui vous sont ouvertes",
            "SIP Trunk Touch",
            "Support technique",  # the contacts and the escalation grid
            "Grille d’escalade" if "Grille d’escalade" in text else "Grille d'escalade",
            "Prochaine évaluation",  # (in capitals)
        ):
            assert part.lower() in text.lower(), part
    assert loaded["created"]["document"] > 0
    before = snapshot()
    mail.outbox.clear()

    again = demo_load()

    assert snapshot() == before
    assert again["created"].get("document", 0) == 0 and again["updated"].get("document", 0) == 0
    assert again["created"].get("contact", 0) == 0 and again["updated"].get("contact", 0) == 0
    assert mail.outbox == []
