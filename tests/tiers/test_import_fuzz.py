"""Fuzzing the revenue import (tiers/imports.py) with hypothesis: arbitrary bytes, arbitrary lines, and rows
near valid ones, in the encodings and with the delimiters it reads, directly and through the back-office's
upload. Whatever the file: no exception escapes, the import is accepted whole or rejected whole with errors
that name lines of the file, the record is never left running, and the other tenant is untouched.
"""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnerportal.tenancy import tenant_scope
from tiers.imports import import_error_text, parse_amount, revenue_import
from tiers.models import RevenueCategory, RevenueEntry, RevenueImport, RevenueImportRow

IMPORT = reverse("admin:tiers_revenueentry_import")
# derandomize: the same examples on every run (CI stays green or red for a reason); deadline off: the
# database's first queries are slow; the function-scoped ``world`` is shared by the examples on purpose.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def ledger() -> dict[tuple, Decimal]:
    with scopes_disabled():
        return {
            (tenant, ref, month, category): amount
            for tenant, ref, month, category, amount in RevenueEntry.objects.values_list(
                "tenant__slug", "partner__external_ref", "month", "category", "amount"
            )
        }


def check(result, before: dict, data_lines: int) -> None:
    """What holds for every import, whatever its file."""
    with scopes_disabled():
        record = RevenueImport.objects.get(pk=result.record.pk)
        assert not RevenueImportRow.objects.exists()  # nothing staged is left behind
    assert record.status in (RevenueImport.Status.IMPORTED, RevenueImport.Status.REJECTED)
    assert record.finished_at is not None
    assert record.error_count == result.error_count
    for error in record.errors:
        assert 1 <= error["line"] <= data_lines + 2, error  # a line of the file (or the one after the last)
        assert import_error_text(error)  # in the reader's language, from its code and parameters
        with translation.override("en"):
            assert import_error_text(error) == error["message"]
    after = ledger()
    if record.status == RevenueImport.Status.REJECTED:
        assert result.error_count > 0
        assert after == before  # nothing written from a rejected file
    else:
        assert result.error_count == 0
    assert {k: v for k, v in after.items() if k[0] == "bravo"} == {
        k: v for k, v in before.items() if k[0] == "bravo"
    }  # the other tenant, untouched


def run(world, data: bytes):
    before = ledger()
    with tenant_scope(world.a.tenant):
        result = revenue_import(tenant=world.a.tenant, stream=io.BytesIO(data), filename="fuzz.csv")
    check(result, before, data.count(b"\n") + data.count(b"\r") + 1)
    return result


@pytest.fixture
def world_with_revenue(world):
    from tests.tiers.factories import RevenueEntryFactory

    for setup in (world.a, world.b):
        RevenueEntryFactory(partner=setup.partner, month=dt.date(2026, 1, 1), amount=Decimal("100.00"))
    return world


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes(world_with_revenue, data):
    run(world_with_revenue, data)


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_after_a_valid_header(world_with_revenue, data):
    run(world_with_revenue, b"partner_ref;month;category;amount\n" + data)


@FUZZ
@given(st.lists(st.text(max_size=40), max_size=8))
def test_arbitrary_text_lines(world_with_revenue, lines):
    run(
        world_with_revenue,
        ("partner_ref,month,category,amount\n" + "\n".join(lines)).encode("utf-8", "surrogatepass"),
    )


junk = st.text(max_size=12)
refs = st.sampled_from(["A-REF", "A-OTHER", "B-REF", "", "NOPE", "=cmd|' /C calc'!A0", "@SUM(1)", " A-REF "])
months = st.one_of(
    st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(0, 9999), st.integers(0, 13)),
    st.sampled_from(["٢٠٢٦-١٠", "２０２６-１０", "2026-1", "2026/01", "-2026-01", ""]),
    junk,
)
categories = st.one_of(
    st.sampled_from(RevenueCategory.values), st.sampled_from(["RECURRING", "+usage", ""]), junk
)
amounts = st.one_of(
    st.decimals(min_value=0, max_value=10**10, places=2, allow_nan=False).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=1, max_value=60).map(lambda n: "9" * n),
    st.sampled_from(["1 234,56", "1.234,56", "12,00 €", "-5", "+5", "1e3", "١٠٠", "10,005", "NaN", ""]),
    junk,
)


@st.composite
def near_valid_file(draw) -> tuple[bytes, list[tuple]]:
    delimiter = draw(st.sampled_from([";", ","]))
    rows = draw(st.lists(st.tuples(refs, months, categories, amounts), max_size=8))
    header = delimiter.join(draw(st.permutations(["partner_ref", "month", "category", "amount"])))
    order = header.split(delimiter)

    def cell(text: str) -> str:
        needs_quotes = any(c in text for c in (delimiter, '"', "\n", "\r"))
        return '"' + text.replace('"', '""') + '"' if needs_quotes else text

    lines = [header] + [
        delimiter.join(
            cell(dict(zip(("partner_ref", "month", "category", "amount"), row, strict=True))[c])
            for c in order
        )
        for row in rows
    ]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines) + newline
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"]))
    try:
        return text.encode(encoding), rows
    except UnicodeEncodeError:
        return text.encode("utf-8"), rows


@FUZZ
@given(near_valid_file())
def test_rows_near_valid_ones(world_with_revenue, file):
    world = world_with_revenue
    with scopes_disabled():
        world.a.partner.external_ref, world.a.other_partner.external_ref = "A-REF", "A-OTHER"
        world.b.partner.external_ref = "B-REF"
        for partner in (world.a.partner, world.a.other_partner, world.b.partner):
            partner.save(update_fields=["external_ref"])
    data, rows = file

    result = run(world, data)

    if any(row[0].strip() == "B-REF" for row in rows):
        assert not result.ok  # another tenant's partner is unknown here
    if result.ok:
        after = ledger()
        for ref, month, category, amount in rows:
            key = (
                "alpha",
                ref.strip(),
                dt.date(*map(int, month.strip().split("-")), 1),
                category.strip().lower(),
            )
            assert after[key] == parse_amount(amount)


@FUZZ
@given(st.one_of(st.binary(max_size=300), near_valid_file().map(lambda f: f[0])))
def test_the_back_office_upload_never_answers_500(world_with_revenue, client_for, data):
    world = world_with_revenue
    manager = client_for(world.a.tenant, world.a.manager)
    before = ledger()

    response = manager.post(IMPORT, {"file": SimpleUploadedFile("fuzz.csv", data, content_type="text/csv")})

    # An empty file is the form's error (200, no import); any other is imported (302) or rejected (400).
    assert response.status_code in ((200,) if not data else (302, 400)), response.status_code
    with scopes_disabled():
        assert not RevenueImport.objects.filter(status=RevenueImport.Status.RUNNING).exists()
    if response.status_code == 400:
        assert ledger() == before
