import atexit
import datetime as dt
import shutil
import tempfile

from django.test.utils import override_settings

from tests.url_cases import UrlCase, everyone


def _private_root() -> None:
    """Documents go to a temporary private root, never the repository's (see tests/obligations/url_cases.py).

    The walker test is outside tests/documents, so the autouse root of its conftest does not reach it; the
    override is enabled inside the test, on top of the ``settings`` fixture's, whose teardown drops it.
    """
    root = tempfile.mkdtemp(prefix="pp-documents-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    override_settings(PRIVATE_MEDIA_ROOT=root).enable()


def _diploma(world):
    from documents.models import Document
    from tests.documents.factories import DocumentFactory

    _private_root()
    today = world.a.tenant.today()
    return DocumentFactory(
        partner=world.a.partner,
        kind=Document.Kind.DIPLOMA,
        issued_on=today,
        valid_until=today + dt.timedelta(days=90),
    )


def _document(world):
    return {"pk": _diploma(world).pk}


def _code(world):
    return {"code": _diploma(world).code}


def _list(world):
    _diploma(world)
    return {}


def _owners_code(world) -> str:
    from django_scopes import scopes_disabled

    from documents.models import Document

    with scopes_disabled():  # test data, read outside a request
        return Document.objects.filter(partner=world.a.partner).values_list("code", flat=True).get()


CASES = {
    # Each partner sees its own documents: the owner's verification code is on no one else's page.
    "documents:document-list": UrlCase(
        kwargs=_list, other_partner=200, other_tenant=200, marker=_owners_code
    ),
    "documents:document-download": UrlCase(kwargs=_document),
    # Public: anyone on the tenant's host checks a diploma; on another tenant's host the code is unknown.
    "documents:verify": everyone(200, kwargs=_code, other_tenant=404, other_manager=404),
}
