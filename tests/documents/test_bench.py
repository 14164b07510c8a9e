"""``manage.py bench_pdf`` on tiny numbers, eagerly (a worker could not see the test database)."""

import io
import re

from django.core.management import call_command
from django_scopes import scopes_disabled

from documents import bench
from documents.models import Document
from partnerportal.models import Tenant
from tests.documents.factories import stored_files
from tiers.models import PartnerTier

SUMMARY = re.compile(r"^pdf: diploma median \d+ ms, welcome pack median \d+ ms, 5 diplomas in \d+\.\d s$")


def test_bench_pdf_prints_the_summary_line_and_leaves_nothing(programme):
    partner = programme.partner(legal_name="Atlantique Connect SAS")
    with scopes_disabled():
        PartnerTier.objects.create(
            tenant=programme.tenant,
            partner=partner,
            tier=programme.tiers["premium"],
            since=partner.date_joined,
        )
    out, err = io.StringIO(), io.StringIO()

    call_command("bench_pdf", documents=3, celery=5, chunk=2, eager=True, stdout=out, stderr=err)

    assert SUMMARY.match(out.getvalue().strip()), out.getvalue()
    assert out.getvalue().count("\n") == 1  # the summary alone on stdout
    assert not Tenant.objects.filter(slug=bench.SLUG).exists()
    with scopes_disabled():
        assert not Document.objects.exists()  # rendering is timed unsaved; the bench tenant is dropped
    assert stored_files() == []


def test_the_bench_tenant_issues_exactly_one_diploma_per_partner(programme):
    built = bench.bench_tenant_build(partners=4, logo_from=programme.tenant)
    try:
        seconds, issued = bench.push_diplomas(built, chunk=3, eager=True, progress=lambda done: None)
        assert issued == 4 and seconds > 0
        with scopes_disabled():
            kinds = set(Document.objects.filter(tenant=built.tenant).values_list("kind", flat=True))
        assert kinds == {"diploma"}
    finally:
        bench.bench_tenant_drop()
    assert not Tenant.objects.filter(slug=bench.SLUG).exists()
    assert stored_files() == []


def test_without_a_broker_the_bench_says_so_and_issues_eagerly(programme, monkeypatch, capsys, settings):
    programme.partner()
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(bench, "broker_url", lambda: ("redis://127.0.0.1:1/0", False))
    out = io.StringIO()

    call_command("bench_pdf", documents=1, celery=2, stdout=out)

    assert "no broker: Redis does not answer at redis://127.0.0.1:1/0" in " ".join(
        capsys.readouterr().err.split()
    )
    assert out.getvalue().startswith("pdf: diploma median ")


def test_with_no_broker_configured_the_bench_says_so_and_issues_eagerly(programme, capsys):
    programme.partner()
    out = io.StringIO()

    call_command("bench_pdf", documents=1, celery=2, stdout=out)  # the test settings: eager, no broker

    assert "no broker configured (REDIS_URL)" in " ".join(capsys.readouterr().err.split())
    assert out.getvalue().startswith("pdf: diploma median ")
