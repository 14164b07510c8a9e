"""PostgreSQL restarted under a revenue import (``make drill``): the record is still written, rejected.

Found by the drill: the import's transaction rolled back as it should, but the record's final save went
through the broken connection (then a server still recovering), so the record said "En cours" forever.
"""

import io

import pytest
from django.db import OperationalError, connection

from partnerportal.tenancy import tenant_scope
from tiers import imports
from tiers.imports import revenue_import
from tiers.models import RevenueImport


@pytest.mark.django_db(
    transaction=True
)  # the save retries on a new connection: not inside a test's transaction
def test_the_record_is_written_once_the_database_answers_again(world, monkeypatch):
    tenant = world.a.tenant
    real_save = RevenueImport.save
    failures = []

    def flaky_save(self, *args, **kwargs):
        if kwargs.get("update_fields") and len(failures) < 2:
            failures.append(1)
            raise OperationalError("the database system is not yet accepting connections")
        return real_save(self, *args, **kwargs)

    def fail_staging(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    closed = []
    monkeypatch.setattr(RevenueImport, "save", flaky_save)
    monkeypatch.setattr(imports, "_stage", fail_staging)
    monkeypatch.setattr(connection, "close", lambda: closed.append(1))
    monkeypatch.setattr(imports.time, "sleep", lambda seconds: None)
    data = f"partner_ref;month;category;amount\n{world.a.partner.external_ref};2026-01;recurring;10\n"
    with tenant_scope(tenant):
        result = revenue_import(tenant=tenant, stream=io.BytesIO(data.encode()), filename="r.csv")
        record = RevenueImport.objects.get(pk=result.record.pk)
    assert record.status == RevenueImport.Status.REJECTED
    assert record.errors[0]["code"] == "unexpected"
    assert len(failures) == 2 and len(closed) == 2
