import tempfile

from django.core.files.base import ContentFile
from django.test.utils import override_settings

from tests.url_cases import UrlCase

_PRIVATE = None


def _fulfilment(world, **kwargs):
    from tests.obligations.factories import DutyFulfilmentFactory

    return DutyFulfilmentFactory(partner=world.a.partner, duty__title="Charte du partenaire Azur", **kwargs)


def _pk(world):
    return {"pk": _fulfilment(world).pk}


def _document(world):
    """A fulfilment with a stored document, in a temporary private root (never the repository's)."""
    global _PRIVATE
    if _PRIVATE is None:
        _PRIVATE = override_settings(PRIVATE_MEDIA_ROOT=tempfile.mkdtemp(prefix="pp-private-"))
        _PRIVATE.enable()
    from obligations.storage import private_storage

    name = private_storage().save(f"tenants/{world.a.tenant.pk}/duties/case.pdf", ContentFile(b"%PDF-1.4\n"))
    return {"pk": _fulfilment(world, document=name, document_name="charte.pdf").pk}


CASES = {
    "obligations:duty-list": UrlCase(
        other_partner=200, other_tenant=200, marker=lambda w: w.a.partner.legal_name
    ),
    "obligations:fulfilment-detail": UrlCase(kwargs=_pk),
    # Without a file the form is shown again (400) to the owner; intruders never see the duty.
    "obligations:fulfilment-upload": UrlCase(kwargs=_pk, method="post", owner=400),
    "obligations:fulfilment-training": UrlCase(kwargs=_pk, method="post", owner=400),
    "obligations:fulfilment-document": UrlCase(kwargs=_document),
    "obligations:plan": UrlCase(other_partner=200, other_tenant=200),
    "obligations:forecasts": UrlCase(other_partner=200, other_tenant=200),
}
