"""The revenue import (tiers/imports.py): every line or none, each bad line named by its number.

The header is line 1, so the first data line is line 2; blank lines keep their numbers.
"""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from partnerportal.tenancy import tenant_scope
from tests.tiers.factories import RevenueEntryFactory
from tiers.imports import ImportResult, parse_amount, revenue_import
from tiers.models import RevenueEntry, RevenueImport

HEADER = "partner_ref;month;category;amount\n"


def import_text(tenant, text: str, *, bom: bool = False, by=None) -> ImportResult:
    data = ("\ufeff" if bom else "").encode() + text.encode("utf-8")
    with tenant_scope(tenant):
        return revenue_import(tenant=tenant, stream=io.BytesIO(data), filename="revenue.csv", by=by)


def errors_of(result: ImportResult) -> list[tuple[int, str]]:
    return [(error.line, error.message) for error in result.errors]


def ledger(tenant=None) -> list[tuple]:
    with scopes_disabled():
        entries = RevenueEntry.objects.all() if tenant is None else RevenueEntry.objects.filter(tenant=tenant)
        return sorted(entries.values_list("partner__external_ref", "month", "category", "amount"))


@pytest.fixture
def refs(dstny):
    """Two partners of Dstny, DST-001 and DST-002."""
    return dstny.partner(external_ref="DST-001"), dstny.partner(external_ref="DST-002")


# --- what is accepted --------------------------------------------------------------------------------


def test_a_semicolon_file_with_decimal_commas_and_a_bom_is_imported(dstny, refs):
    result = import_text(
        dstny.tenant,
        "partner_ref;month;category;amount\r\n"
        "DST-001;2026-01;recurring;1 234,56\r\n"
        "DST-001;2026-01;access_fees;1.000,5\r\n"
        "DST-002;2026-02;usage;\u00a0 12,00 €\r\n",
        bom=True,
    )

    assert result.ok, errors_of(result)
    assert result.lines == 3
    assert ledger() == [
        ("DST-001", dt.date(2026, 1, 1), "access_fees", Decimal("1000.50")),
        ("DST-001", dt.date(2026, 1, 1), "recurring", Decimal("1234.56")),
        ("DST-002", dt.date(2026, 2, 1), "usage", Decimal("12.00")),
    ]
    with scopes_disabled():
        record = RevenueImport.objects.get()
    assert (record.status, record.lines, record.error_count) == (RevenueImport.Status.IMPORTED, 3, 0)


def test_a_comma_file_with_decimal_points_is_imported(dstny, refs):
    result = import_text(
        dstny.tenant,
        'partner_ref,month,category,amount\nDST-001,2026-03,recurring,99.9\nDST-002,2026-03,one_off,"1 500,00"\n',
    )

    assert result.ok, errors_of(result)
    assert ledger() == [
        ("DST-001", dt.date(2026, 3, 1), "recurring", Decimal("99.90")),
        ("DST-002", dt.date(2026, 3, 1), "one_off", Decimal("1500.00")),
    ]


def test_columns_are_found_by_name_whatever_their_order_and_case(dstny, refs):
    result = import_text(
        dstny.tenant, "Amount;Label;Category;Month;Partner_Ref\n250;Abonnements;RECURRING;2026-04;DST-002\n"
    )

    assert result.ok, errors_of(result)
    assert ledger() == [("DST-002", dt.date(2026, 4, 1), "recurring", Decimal("250.00"))]


def test_blank_lines_are_skipped_and_keep_their_numbers(dstny, refs):
    result = import_text(
        dstny.tenant,
        HEADER + "DST-001;2026-01;recurring;100\n\n;;;\nNOPE;2026-01;recurring;100\n\n\n",
    )

    assert errors_of(result) == [(5, "unknown partner 'NOPE'")]
    assert result.lines == 2

    result = import_text(dstny.tenant, HEADER + "\nDST-001;2026-01;recurring;100\n\n")

    assert result.ok and result.lines == 1
    assert ledger() == [("DST-001", dt.date(2026, 1, 1), "recurring", Decimal("100.00"))]


def test_importing_the_same_file_twice_changes_nothing(dstny, refs):
    text = HEADER + "DST-001;2026-01;recurring;100\nDST-002;2026-01;recurring;200,50\n"
    assert import_text(dstny.tenant, text).ok
    with scopes_disabled():
        before = list(
            RevenueEntry.objects.order_by("pk").values_list("pk", "partner", "month", "category", "amount")
        )

    result = import_text(dstny.tenant, text)

    assert result.ok and result.lines == 2
    with scopes_disabled():
        after = list(
            RevenueEntry.objects.order_by("pk").values_list("pk", "partner", "month", "category", "amount")
        )
    assert after == before


def test_a_new_amount_for_a_partner_month_and_category_replaces_the_old_one(dstny, refs):
    RevenueEntryFactory(partner=refs[0], month=dt.date(2026, 1, 1), amount=Decimal("100.00"))

    assert import_text(dstny.tenant, HEADER + "DST-001;2026-01;recurring;150\n").ok

    assert ledger() == [("DST-001", dt.date(2026, 1, 1), "recurring", Decimal("150.00"))]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1234.56", "1234.56"),
        ("1234,5", "1234.50"),
        ("1 234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("0", "0"),
    ],
)
def test_parse_amount_reads_french_and_english_decimals(text, amount):
    assert parse_amount(text) == Decimal(amount)


# --- what is rejected, by line -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("NOPE;2026-01;recurring;100", "unknown partner 'NOPE'"),
        (";2026-01;recurring;100", "partner_ref is empty"),
        ("DST-001;2026-13;recurring;100", "bad month '2026-13' (expected YYYY-MM)"),
        ("DST-001;01/2026;recurring;100", "bad month '01/2026' (expected YYYY-MM)"),
        ("DST-001;2026-1;recurring;100", "bad month '2026-1' (expected YYYY-MM)"),
        ("DST-001;2026-01;commission;100", "unknown category 'commission'"),
        ("DST-001;2026-01;recurring;abc", "amount 'abc' is not a number"),
        ("DST-001;2026-01;recurring;", "amount '' is not a number"),
        ("DST-001;2026-01;recurring;1e3", "amount '1e3' is not a number"),
        ("DST-001;2026-01;recurring;-5,00", "amount -5,00 is negative"),
        ("DST-001;2026-01;recurring;10,005", "amount 10,005 has more than two decimals"),
        ("DST-001;2026-01", "2 column(s) instead of 4"),
    ],
)
def test_each_bad_line_is_reported_with_its_number(dstny, refs, line, message):
    result = import_text(dstny.tenant, HEADER + "DST-002;2026-01;recurring;100\n" + line + "\n")

    assert not result.ok
    assert len(result.errors) == 1
    assert result.errors[0].line == 3
    assert result.errors[0].message.startswith(message)
    assert ledger() == []


def test_every_bad_line_is_reported_not_only_the_first(dstny, refs):
    result = import_text(
        dstny.tenant,
        HEADER
        + "NOPE;2026-01;recurring;100\n"  # 2
        + "DST-001;2026-01;recurring;100\n"  # 3
        + "DST-001;2026-13;recurring;100\n"  # 4
        + "DST-002;2026-01;minutes;100\n"  # 5
        + "DST-002;2026-01;recurring;cent\n"  # 6
        + "DST-002;2026-02;recurring;-1\n"  # 7
        + "NOPE;2026-99;bogus;x\n",  # 8: four problems on one line
    )

    assert result.error_count == 9
    assert [line for line, _ in errors_of(result)] == [2, 4, 5, 6, 7, 8, 8, 8, 8]
    with scopes_disabled():
        record = RevenueImport.objects.get()
    assert (record.status, record.lines, record.error_count) == (RevenueImport.Status.REJECTED, 7, 9)
    assert record.errors[0] == {
        "line": 2,
        "code": "unknown_partner",
        "params": {"ref": "'NOPE'"},
        "message": "unknown partner 'NOPE'",  # English, for scripts
    }


def test_the_same_partner_month_and_category_twice_is_reported_on_the_second_line(dstny, refs):
    result = import_text(
        dstny.tenant,
        HEADER
        + "DST-001;2026-01;recurring;100\n"  # 2
        + "DST-001;2026-01;usage;100\n"  # 3: another category
        + "DST-002;2026-01;recurring;100\n"  # 4: another partner
        + "DST-001;2026-01;RECURRING;100,00\n",  # 5: the same as line 2
    )

    assert errors_of(result) == [(5, "DST-001 2026-01 recurring appears twice in the file (first on line 2)")]
    assert ledger() == []


def test_a_header_without_the_required_columns_is_line_1(dstny, refs):
    result = import_text(dstny.tenant, "partner;month;category;montant\nDST-001;2026-01;recurring;100\n")

    assert len(result.errors) == 1
    assert result.errors[0].line == 1
    assert result.errors[0].message.startswith("missing column(s) partner_ref, amount")
    assert ledger() == []


def test_a_file_in_no_encoding_it_could_be_in_is_rejected(dstny, refs):
    # Not UTF-8, so read as Windows-1252, where 0x81 is no character. (UTF-16 and Latin-1 files are
    # imported: tests/tiers/test_import_hostile.py.)
    data = HEADER.encode() + b"DST-001\x81;2026-01;recurring;100\n"
    with tenant_scope(dstny.tenant):
        result = revenue_import(tenant=dstny.tenant, stream=io.BytesIO(data), filename="revenue.csv")

    assert not result.ok
    assert errors_of(result) == [
        (
            2,
            "the line is not Windows-1252 (Latin-1) text, the encoding the start of the file is in; "
            "save the whole file as UTF-8",
        )
    ]
    assert ledger() == []


def test_a_rejected_file_leaves_the_ledger_as_it_was(dstny, refs):
    RevenueEntryFactory(partner=refs[0], month=dt.date(2026, 1, 1), amount=Decimal("100.00"))
    before = ledger()

    result = import_text(
        dstny.tenant,
        HEADER
        + "DST-001;2026-01;recurring;999\n"  # would replace the 100.00
        + "DST-002;2026-01;recurring;500\n"  # would be new
        + "DST-002;2026-02;recurring;oops\n",
    )

    assert not result.ok
    assert ledger() == before
    with scopes_disabled():
        assert RevenueImport.objects.get().status == RevenueImport.Status.REJECTED
        from tiers.models import RevenueImportRow

        assert not RevenueImportRow.objects.exists()  # no staged line is left behind


def test_a_partner_of_another_tenant_is_an_unknown_partner(dstny, refs, world):
    world_ref = world.a.partner.external_ref

    result = import_text(dstny.tenant, HEADER + f"{world_ref};2026-01;recurring;100\n")

    assert errors_of(result) == [(2, f"unknown partner '{world_ref}'")]
    assert ledger() == []


def test_the_import_records_who_imported_it(dstny, refs, world):
    import_text(dstny.tenant, HEADER + "DST-001;2026-01;recurring;100\n", by=world.superuser)

    with scopes_disabled():
        record = RevenueImport.objects.get()
    assert record.created_by == world.superuser
    assert record.finished_at is not None
    assert record.tenant == dstny.tenant
