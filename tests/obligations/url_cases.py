import atexit
import shutil
import tempfile
from decimal import Decimal

from django.core.files.base import ContentFile
from django.test.utils import override_settings

from partnerportal.tenancy import tenant_scope
from tests.url_cases import UrlCase


def _fulfilment(world, **kwargs):
    from tests.obligations.factories import DutyFulfilmentFactory

    return DutyFulfilmentFactory(partner=world.a.partner, duty__title="Charte du partenaire Azur", **kwargs)


def _pk(world):
    return {"pk": _fulfilment(world).pk}


def _document(world):
    """A fulfilment with a stored document, in a temporary private root (never the repository's).

    The walker test (tests/test_url_isolation.py) is outside tests/obligations, so the autouse root of
    tests/obligations/conftest.py does not reach it. The root is a fresh directory, removed when the run
    ends; the override is enabled inside the test, on top of the overrides of the test's ``settings``
    fixture (tests/conftest.py's autouse one), so that fixture's teardown, which restores the settings it
    found, drops this one too: the next test sees the settings it would have seen.
    """
    from obligations.storage import private_storage

    root = tempfile.mkdtemp(prefix="pp-private-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    override_settings(PRIVATE_MEDIA_ROOT=root).enable()
    name = private_storage().save(f"tenants/{world.a.tenant.pk}/duties/case.pdf", ContentFile(b"%PDF-1.4\n"))
    return {"pk": _fulfilment(world, document=name, document_name="charte.pdf").pk}


# The owner's figures, which another partner's plan and forecasts pages must not show.
PLAN_NOTES = "Salon Azur de printemps"
FORECAST_SHOWN = "777\xa0€"  # as the page writes it in French (partnerportal.formatting.money)


def _plan(world):
    from obligations.services import plan_save

    with tenant_scope(world.a.tenant):
        plan_save(
            partner=world.a.partner,
            year=world.a.tenant.today().year,
            objectives={(1, "data"): Decimal("4321")},
            notes=PLAN_NOTES,
            by=world.a.admin,
        )
    return {}


def _forecasts(world):
    from obligations.models import quarter_start
    from obligations.services import forecast_submit

    with tenant_scope(world.a.tenant):
        forecast_submit(
            partner=world.a.partner,
            quarter=quarter_start(world.a.tenant.today()),
            amounts={"sip_trunk": Decimal("777"), "metacentrex": Decimal("0"), "data": Decimal("0")},
            by=world.a.admin,
        )
    return {}


CASES = {
    "obligations:duty-list": UrlCase(
        other_partner=200, other_tenant=200, marker=lambda w: w.a.partner.legal_name
    ),
    "obligations:fulfilment-detail": UrlCase(kwargs=_pk),
    # Without a file the form is shown again (400) to the owner; intruders never see the duty.
    "obligations:fulfilment-upload": UrlCase(kwargs=_pk, method="post", owner=400),
    "obligations:fulfilment-training": UrlCase(kwargs=_pk, method="post", owner=400),
    # The evidence is shown to the tenant's managers too (the back-office links to it), never to B's.
    "obligations:fulfilment-document": UrlCase(kwargs=_document, manager=200, other_manager=404),
    "obligations:plan": UrlCase(
        other_partner=200, other_tenant=200, kwargs=_plan, marker=lambda w: PLAN_NOTES
    ),
    "obligations:forecasts": UrlCase(
        other_partner=200, other_tenant=200, kwargs=_forecasts, marker=lambda w: FORECAST_SHOWN
    ),
}
