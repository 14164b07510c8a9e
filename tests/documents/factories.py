"""Factories of the documents app: a document record with a real (tiny) PDF behind it, and issuing for real."""

import datetime as dt
import io

import factory
from django.core.files.base import ContentFile
from django_scopes import scopes_disabled
from pypdf import PdfReader

from documents import services
from documents.models import Contact, Document, documents_storage
from partnerportal.models import Partner
from tests.partnerportal.factories import PartnerFactory, ScopedFactory

TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class DocumentFactory(ScopedFactory):
    """A document row whose file is a placeholder PDF: for views and permissions, not for content."""

    class Meta:
        model = Document

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    kind = Document.Kind.WELCOME_PACK
    language = "fr"
    issued_on = dt.date(2026, 7, 1)
    file = factory.LazyFunction(lambda: ContentFile(TINY_PDF, name="document.pdf"))
    size = len(TINY_PDF)


class ContactFactory(ScopedFactory):
    class Meta:
        model = Contact

    tenant = factory.SubFactory("tests.partnerportal.factories.TenantFactory")
    kind = Contact.Kind.SUPPORT
    title = "Support technique"
    phone = "+33 1 23 45 67 89"
    email = "support@example.test"


def issue(partner: Partner, kind: str, **kwargs) -> Document:
    """Render and keep a real document (WeasyPrint) for ``partner``."""
    with scopes_disabled():  # test data: the service reads the partner's apps through their selectors
        return services.document_issue(partner=partner, kind=kind, **kwargs)


def pdf_text(data: bytes) -> str:
    """Every page's text, whitespace collapsed (pypdf reads a line break where the layout wrapped)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def pdf_of(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def documents_of(partner: Partner, **filters) -> list[Document]:
    with scopes_disabled():  # the test reads what services and tasks wrote
        return list(Document.objects.filter(partner=partner, **filters).order_by("created_at", "pk"))


def stored_files() -> list[str]:
    """Every file in the documents storage (the test's own folder, see conftest)."""
    storage = documents_storage()
    found, folders = [], [""]
    while folders:
        folder = folders.pop()
        if not storage.exists(folder or "."):
            continue
        subfolders, files = storage.listdir(folder)
        found += [f"{folder}/{name}" for name in files]
        folders += [f"{folder}/{name}".lstrip("/") for name in subfolders]
    return found
