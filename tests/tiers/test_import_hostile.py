"""The revenue import (tiers/imports.py) given hostile files: each is imported or rejected whole with a
report naming the line, the ledger of every tenant is as it was, and the record is never left running.

Found when the portal was tried with hostile input (issue 11): a 27-digit amount and the month 0000-01
answered 500 and left the record "En cours"; digits of other scripts passed for ASCII ones; there was no
size limit.
"""

import codecs
import datetime as dt
import io
import time
import tracemalloc
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DataError
from django.urls import reverse
from django_scopes import scopes_disabled

from partnerportal.models import Tenant
from partnerportal.tenancy import tenant_scope
from tests.tiers.factories import RevenueEntryFactory
from tiers import imports
from tiers.imports import ImportResult, revenue_import
from tiers.models import RevenueEntry, RevenueImport, RevenueImportRow

HEADER = "partner_ref;month;category;amount\n"
IMPORT = reverse("admin:tiers_revenueentry_import")


def import_bytes(tenant, data: bytes, *, filename="revenue.csv", **kwargs) -> ImportResult:
    with tenant_scope(tenant):
        return revenue_import(tenant=tenant, stream=io.BytesIO(data), filename=filename, **kwargs)


def import_text(tenant, text: str, **kwargs) -> ImportResult:
    return import_bytes(tenant, text.encode(), **kwargs)


def errors_of(result: ImportResult) -> list[tuple[int, str]]:
    return [(error.line, error.message) for error in result.errors]


def every_ledger() -> list[tuple]:
    """Every tenant's revenue, and the staging table (empty outside an import)."""
    with scopes_disabled():
        assert not RevenueImportRow.objects.exists()
        return sorted(
            RevenueEntry.objects.values_list(
                "tenant__slug", "partner__external_ref", "month", "category", "amount"
            )
        )


def record_of(result: ImportResult) -> RevenueImport:
    with scopes_disabled():
        record = RevenueImport.objects.get(pk=result.record.pk)
    assert record.status != RevenueImport.Status.RUNNING
    assert record.finished_at is not None
    assert (record.lines, record.error_count) == (result.lines, result.error_count)
    return record


@pytest.fixture
def tenants(world):
    """Tenants A and B of ``world``, each with revenue already in its ledger."""
    for setup in (world.a, world.b):
        RevenueEntryFactory(partner=setup.partner, month=dt.date(2026, 1, 1), amount=Decimal("100.00"))
    return world


@pytest.fixture
def untouched(tenants):
    """Asserts, after the test, that no tenant's ledger changed and no staged line is left."""
    before = every_ledger()
    yield
    assert every_ledger() == before


def rejected(result: ImportResult, *expected: tuple[int, str]) -> None:
    """The file was rejected with exactly these (line, code) errors, and the record says so."""
    assert [(e.line, e.code) for e in result.errors] == list(expected), errors_of(result)
    record = record_of(result)
    assert record.status == RevenueImport.Status.REJECTED
    assert [(e["line"], e["code"]) for e in record.errors] == list(expected)


def line(world, month="2026-02", category="recurring", amount="10", ref=None, sep=";") -> str:
    return sep.join([ref or world.a.partner.external_ref, month, category, amount]) + "\n"


# --- the 500s of the issue -----------------------------------------------------------------------------


@pytest.mark.usefixtures("untouched")
def test_an_amount_of_27_digits_is_too_large_not_a_crash(tenants):
    result = import_text(tenants.a.tenant, HEADER + line(tenants, amount="9" * 27))

    rejected(result, (2, "amount_too_large"))
    assert result.errors[0].message == f"amount {'9' * 27} is too large"


@pytest.mark.usefixtures("untouched")
@pytest.mark.parametrize("amount", ["9" * 40 + ",5", "0," + "0" * 40 + "1", "1" * 5000])
def test_amounts_past_decimal_precision_are_reported(tenants, amount):
    result = import_text(tenants.a.tenant, HEADER + line(tenants, amount=amount))

    assert result.error_count == 1 and result.errors[0].line == 2
    record_of(result)


@pytest.mark.usefixtures("untouched")
@pytest.mark.parametrize("month", ["0000-01", "0000-00", "2026-00", "9999-13"])
def test_a_month_out_of_the_calendar_is_a_bad_month(tenants, month):
    result = import_text(tenants.a.tenant, HEADER + line(tenants, month=month))

    rejected(result, (2, "bad_month"))
    assert result.errors[0].message == f"bad month '{month}' (expected YYYY-MM)"


@pytest.mark.usefixtures("untouched")
@pytest.mark.parametrize(
    ("month", "amount", "code"),
    [
        ("٢٠٢٦-١٠", "100", "bad_month"),  # Arabic-Indic digits
        ("２０２６-１０", "100", "bad_month"),  # full-width digits
        ("۲۰۲۶-۱۰", "100", "bad_month"),  # Persian digits
        ("2026-10", "١٠٠", "amount_not_number"),
        ("2026-10", "１００,５０", "amount_not_number"),
        ("2026-10", "१००", "amount_not_number"),  # Devanagari
    ],
)
def test_digits_other_than_ascii_are_refused(tenants, month, amount, code):
    result = import_text(tenants.a.tenant, HEADER + line(tenants, month=month, amount=amount))

    rejected(result, (2, code))


def test_an_unexpected_failure_rejects_the_file_naming_the_line(tenants, untouched, monkeypatch, caplog):
    def broken_upsert(record):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imports, "_upsert", broken_upsert)

    result = import_text(tenants.a.tenant, HEADER + line(tenants) + line(tenants, month="2026-03"))

    rejected(result, (3, "unexpected"))
    assert result.errors[0].message == (
        "the import stopped on an unexpected error (RuntimeError) after this line; nothing was imported"
    )
    assert "disk on fire" in caplog.text  # logged in full for the people who run the portal


def test_a_database_error_while_staging_rejects_the_file(tenants, untouched, monkeypatch):
    monkeypatch.setattr(imports, "STAGE_BATCH", 2)
    real_stage_rows = imports._stage_rows
    calls = []

    def failing_stage_rows(rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise DataError("numeric field overflow")
        return real_stage_rows(rows)

    monkeypatch.setattr(imports, "_stage_rows", failing_stage_rows)
    months = [f"2026-{m:02d}" for m in range(2, 7)]

    result = import_text(tenants.a.tenant, HEADER + "".join(line(tenants, month=m) for m in months))

    rejected(result, (5, "unexpected"))  # the second batch ends on line 5
    assert "DataError" in result.errors[0].message


def test_the_command_reports_an_unexpected_failure_and_leaves_no_running_record(
    tenants, untouched, monkeypatch, tmp_path, capsys
):
    monkeypatch.setattr(imports, "_report_duplicates", lambda record, error: 1 / 0)
    Tenant.objects.filter(pk=tenants.a.tenant.pk).update(default_language="en")
    path = tmp_path / "revenue.csv"
    path.write_text(HEADER + line(tenants))

    with pytest.raises(CommandError, match="rejected, nothing imported: 1 error"):
        call_command("import_revenue", "--tenant", tenants.a.tenant.slug, str(path))

    assert "line 2: the import stopped on an unexpected error (ZeroDivisionError)" in capsys.readouterr().err
    with scopes_disabled():
        assert not RevenueImport.objects.filter(status=RevenueImport.Status.RUNNING).exists()


# --- size and length -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("untouched")
def test_a_file_over_the_size_limit_is_rejected_naming_the_limit(tenants, settings):
    settings.REVENUE_IMPORT_MAX_BYTES = 100_000
    months = [f"{y:04d}-{m:02d}" for y in range(2000, 2400) for m in range(1, 13)]
    data = (HEADER + "".join(line(tenants, month=month) for month in months)).encode()
    assert len(data) > 100_000

    counted = import_bytes(tenants.a.tenant, data)  # size unknown: counted while reading
    announced = import_bytes(tenants.a.tenant, data, size=len(data))  # refused before reading

    rejected(announced, (1, "file_too_large"))
    assert announced.errors[0].message == (
        "the file is larger than the limit of 0.1 MB; nothing was imported: split it into smaller files"
    )
    # Read by blocks of 64 kB: the first is taken, the second goes past the limit, in the middle of a line.
    (error,) = counted.errors
    assert error.code == "file_too_large"
    assert 2 < error.line < len(months)
    assert record_of(counted).status == RevenueImport.Status.REJECTED


@pytest.mark.usefixtures("untouched")
def test_a_file_over_the_line_limit_is_rejected_at_the_first_line_past_it(tenants, settings):
    settings.REVENUE_IMPORT_MAX_LINES = 3
    months = [f"2026-{m:02d}" for m in range(1, 6)]

    result = import_text(tenants.a.tenant, HEADER + "".join(line(tenants, month=m) for m in months))

    rejected(result, (5, "too_many_lines"))
    assert result.errors[0].message.startswith("the file has more than 3 data lines, the limit")


class GeneratedCsv(io.RawIOBase):
    """A CSV of ``count`` data lines made as it is read, never held whole: what was read is counted."""

    def __init__(self, header: str, row, count: int):
        self.rows = (row(i).encode() for i in range(count))
        self.pending = header.encode()
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        while len(self.pending) < len(buffer):
            chunk = b"".join(r for _, r in zip(range(1000), self.rows, strict=False))
            if not chunk:
                break
            self.pending += chunk
        data, self.pending = self.pending[: len(buffer)], self.pending[len(buffer) :]
        buffer[: len(data)] = data
        self.read_bytes += len(data)
        return len(data)


@pytest.mark.usefixtures("untouched")
def test_a_million_lines_over_the_line_limit_are_refused_without_reading_them_all(tenants, settings):
    settings.REVENUE_IMPORT_MAX_LINES = 2_000
    ref = tenants.a.partner.external_ref
    stream = GeneratedCsv(
        HEADER, lambda i: f"{ref};{2000 + i // 12:04d}-{i % 12 + 1:02d};usage;1\n", 1_000_000
    )
    started = time.monotonic()

    with tenant_scope(tenants.a.tenant):
        result = revenue_import(tenant=tenants.a.tenant, stream=stream, filename="million.csv")

    rejected(result, (2_002, "too_many_lines"))
    assert stream.read_bytes < 200_000  # about 2,000 lines and a read-ahead block, of 25 MB
    assert time.monotonic() - started < 10


def test_an_import_streams_in_bounded_memory(tenants, monkeypatch):
    """Memory does not grow with the file: 4 times the lines, about the same peak."""
    monkeypatch.setattr(imports, "STAGE_BATCH", 500)
    ref = tenants.a.partner.external_ref

    def peak(count: int) -> int:
        stream = GeneratedCsv(
            HEADER, lambda i: f"{ref};{1000 + i // 12:04d}-{i % 12 + 1:02d};usage;1\n", count
        )
        tracemalloc.start()
        try:
            with tenant_scope(tenants.a.tenant):
                result = revenue_import(tenant=tenants.a.tenant, stream=stream, filename="big.csv")
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert result.ok and result.lines == count, errors_of(result)

    small, large = peak(1_000), peak(4_000)

    assert large < small * 1.5 + 200_000, (small, large)


# --- formulas, encodings, delimiters -------------------------------------------------------------------


@pytest.mark.usefixtures("untouched")
@pytest.mark.parametrize(
    ("cells", "column"),
    [
        (("=cmd|' /C calc'!A0", "2026-02", "recurring", "10"), "partner_ref"),
        (("+33123", "2026-02", "recurring", "10"), "partner_ref"),
        (("-2+3", "2026-02", "recurring", "10"), "partner_ref"),
        (("@SUM(A1:A9)", "2026-02", "recurring", "10"), "partner_ref"),
        (("\t=1+1", "2026-02", "recurring", "10"), "partner_ref"),  # tab: stripped, the formula stays
        ((None, "=2026-02", "recurring", "10"), "month"),
        ((None, "2026-02", '=HYPERLINK("http://evil.test","x")', "10"), "category"),
        ((None, "2026-02", "recurring", "+10"), "amount"),
        ((None, "2026-02", "recurring", "=10*1000"), "amount"),
        ((None, "2026-02", "recurring", "@10"), "amount"),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_is_refused(tenants, cells, column):
    ref, month, category, amount = cells
    csv_line = ";".join([ref or tenants.a.partner.external_ref, month, category, amount]) + "\n"

    result = import_text(tenants.a.tenant, HEADER + line(tenants, month="2026-09") + csv_line)

    rejected(result, (3, "formula"))
    value = dict(zip(("partner_ref", "month", "category", "amount"), cells, strict=True))[column].strip()
    assert result.errors[0].message.startswith(f"{column} {value!r}")
    assert result.errors[0].message.endswith(
        "starts like a spreadsheet formula (=, +, -, @, tab): formulas are refused"
    )


@pytest.mark.usefixtures("untouched")
def test_a_negative_amount_is_still_called_negative(tenants):
    result = import_text(tenants.a.tenant, HEADER + line(tenants, amount="-5"))

    rejected(result, (2, "amount_negative"))


def test_a_formula_in_an_ignored_column_is_never_stored(tenants):
    result = import_text(
        tenants.a.tenant,
        "partner_ref;label;month;category;amount\n"
        f"{tenants.a.partner.external_ref};=cmd|' /C calc'!A0;2026-02;recurring;10\n",
    )

    assert result.ok  # only the partner, the month, the category and the amount are kept
    with scopes_disabled():
        record = RevenueImport.objects.get(pk=result.record.pk)
        assert "=cmd" not in str(record.errors)
        assert list(
            RevenueEntry.objects.filter(month=dt.date(2026, 2, 1)).values_list("amount", flat=True)
        ) == [Decimal("10.00")]


@pytest.mark.usefixtures("untouched")
def test_a_long_or_hostile_cell_is_quoted_cut_and_escaped(tenants):
    hostile = "<script>alert(1)</script>\x1b[31m\x00" + "x" * 10_000

    result = import_text(tenants.a.tenant, HEADER + line(tenants, ref=hostile))

    rejected(result, (2, "unknown_partner"))
    message = result.errors[0].message
    assert message == "unknown partner '<script>alert(1)</script>\\x1b[31m\\x00" + "x" * 29 + "…'"
    assert "\x1b" not in message and "\x00" not in message


def upload(client, data: bytes, name="revenue.csv"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_the_back_office_shows_hostile_cells_escaped_and_imports_nothing(tenants, untouched, client_for):
    manager = client_for(tenants.a.tenant, tenants.a.manager)

    response = upload(manager, (HEADER + line(tenants, ref="<script>alert(1)</script>")).encode())

    assert response.status_code == 400
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda text: codecs.BOM_UTF8 + text.encode(), id="UTF-8 with a BOM"),
        pytest.param(lambda text: text.encode("utf-16"), id="UTF-16 with a BOM"),
        pytest.param(lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"), id="UTF-16 BE with a BOM"),
        pytest.param(lambda text: text.encode("utf-16-le"), id="UTF-16 LE without a BOM"),
        pytest.param(lambda text: text.encode("utf-16-be"), id="UTF-16 BE without a BOM"),
        pytest.param(lambda text: text.encode("cp1252"), id="Windows-1252"),
        pytest.param(lambda text: text.replace("€", "").replace("’", "'").encode("latin-1"), id="Latin-1"),
    ],
)
def test_utf16_and_latin1_files_are_read(tenants, data):
    ref = tenants.a.partner.external_ref
    text = (
        "partner_ref;libellé;month;category;amount\r\n" + f"{ref};Frais d’accès;2026-02;usage;1 234,50 €\r\n"
    )
    result = import_bytes(tenants.a.tenant, data(text))

    assert result.ok, errors_of(result)
    with scopes_disabled():
        assert RevenueEntry.objects.get(tenant=tenants.a.tenant, month=dt.date(2026, 2, 1)).amount == Decimal(
            "1234.50"
        )


@pytest.mark.usefixtures("untouched")
def test_a_file_that_stops_being_utf8_far_down_is_rejected_at_that_line(tenants):
    good = "".join(line(tenants, month=f"{y:04d}-{m:02d}") for y in range(2000, 2200) for m in range(1, 13))
    data = HEADER.encode() + good.encode() + line(tenants, ref="Société", month="2300-01").encode("latin-1")
    assert len(data) > 1 << 16  # past the block the encoding is told from

    result = import_bytes(tenants.a.tenant, data)

    rejected(result, (2 + 200 * 12, "not_decodable"))
    assert result.errors[0].message.startswith(
        "the line is not UTF-8 text, the encoding the start of the file is in"
    )


@pytest.mark.usefixtures("untouched")
def test_a_utf16_file_cut_in_the_middle_of_a_character_is_rejected(tenants):
    data = (HEADER + line(tenants)).encode("utf-16")[:-1]

    result = import_bytes(tenants.a.tenant, data)

    assert result.error_count == 1 and result.errors[0].code == "not_decodable"
    record_of(result)


@pytest.mark.usefixtures("untouched")
def test_a_line_with_the_other_delimiter_is_named(tenants):
    result = import_text(
        tenants.a.tenant,
        HEADER
        + line(tenants)  # 2
        + line(tenants, month="2026-03", sep=",")  # 3
        + line(tenants, month="2026-04", amount="1,5")  # 4: a decimal comma, fine
        + f"{tenants.a.partner.external_ref};2026-05;recurring,12\n",  # 5: one column short
    )

    rejected(result, (3, "mixed_delimiters"), (5, "column_count"))
    assert result.errors[0].message == (
        "the line is separated by “,” where the header uses “;”: a file uses one delimiter"
    )


@pytest.mark.usefixtures("untouched")
def test_a_comma_file_with_a_semicolon_line_is_named(tenants):
    text = (
        "partner_ref,month,category,amount\n"
        + line(tenants, sep=",")
        + line(tenants, month="2026-03", amount="1,5")
    )

    result = import_text(tenants.a.tenant, text)

    rejected(result, (3, "mixed_delimiters"))


@pytest.mark.usefixtures("untouched")
def test_a_header_that_mixes_delimiters_is_named(tenants):
    result = import_text(tenants.a.tenant, "partner_ref;month,category;amount\n" + line(tenants))

    rejected(result, (1, "mixed_delimiters_header"))


# --- tenants --------------------------------------------------------------------------------------------


def test_a_partner_of_another_tenant_is_an_error_and_that_tenant_is_untouched(tenants, untouched):
    b_ref = tenants.b.partner.external_ref
    assert not any(p.external_ref == b_ref for p in (tenants.a.partner, tenants.a.other_partner))

    result = import_text(
        tenants.a.tenant,
        HEADER + line(tenants) + line(tenants, ref=b_ref, month="2026-01", amount="999999"),
    )

    rejected(result, (3, "unknown_partner"))
    with scopes_disabled():
        assert RevenueEntry.objects.get(tenant=tenants.b.tenant).amount == Decimal("100.00")


def test_a_valid_file_changes_only_its_own_tenant(tenants):
    before_b = [row for row in every_ledger() if row[0] == tenants.b.tenant.slug]

    result = import_text(tenants.a.tenant, HEADER + line(tenants, month="2026-01", amount="5"))

    assert result.ok
    assert [row for row in every_ledger() if row[0] == tenants.b.tenant.slug] == before_b
    with scopes_disabled():
        assert RevenueEntry.objects.get(tenant=tenants.a.tenant).amount == Decimal("5.00")


def test_a_control_character_in_the_file_name_is_not_stored(tenants):
    result = import_text(tenants.a.tenant, HEADER + line(tenants), filename="rev\x00enue\n.csv")

    assert record_of(result).filename == "revenue.csv"


# --- the back-office upload ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        HEADER + "{ref};2026-01;recurring;" + "9" * 27 + "\n",
        HEADER + "{ref};0000-01;recurring;10\n",
        HEADER + "{ref};٢٠٢٦-١٠;recurring;10\n",
    ],
)
def test_the_back_office_answers_400_not_500(tenants, untouched, client_for, body):
    manager = client_for(tenants.a.tenant, tenants.a.manager)

    response = upload(manager, body.format(ref=tenants.a.partner.external_ref).encode())

    assert response.status_code == 400
    assert "<tr><td>2</td>" in response.content.decode()
    with scopes_disabled():
        assert RevenueImport.objects.get().status == RevenueImport.Status.REJECTED


def test_the_back_office_refuses_a_file_over_the_limit(tenants, untouched, client_for, settings):
    settings.REVENUE_IMPORT_MAX_BYTES = 1_000_000
    manager = client_for(tenants.a.tenant, tenants.a.manager)

    response = upload(manager, HEADER.encode() + b"x" * 1_000_001)

    assert response.status_code == 400
    with scopes_disabled():
        record = RevenueImport.objects.get()
    assert record.status == RevenueImport.Status.REJECTED
    assert record.errors[0]["code"] == "file_too_large"
    assert record.errors[0]["params"] == {"megabytes": "1"}
