"""Revenue import: ``partner_ref, month (YYYY-MM), category, amount`` files as French billing tools export.

Accepted: ``;`` or ``,`` delimiters, decimal comma or point (with space or dot thousands separators),
UTF-8 with or without BOM. A file is imported whole or not at all: any bad line rejects the file and
every bad line is reported by its line number (the header is line 1). Re-importing a file changes
nothing (upsert on partner, month and category). Lines stream through a staging table, so memory does
not grow with the file.
"""

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, reset_queries, transaction
from django.db.models import Count, Exists, Min, OuterRef
from django.utils import timezone

from partnerportal.models import Partner, Tenant

from .models import RevenueCategory, RevenueEntry, RevenueImport, RevenueImportRow

COLUMNS = ("partner_ref", "month", "category", "amount")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
STAGE_BATCH = 5000
KEPT_ERRORS = 1000  # stored on the import record; all of them are streamed to ``on_error``


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    record: RevenueImport
    lines: int = 0
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0


class _Rejected(Exception):
    pass


class _CountingReader(io.RawIOBase):
    """Wraps a binary file to report how many bytes were read (for a progress bar)."""

    def __init__(self, raw, on_bytes: Callable[[int], None] | None):
        self.raw, self.on_bytes = raw, on_bytes

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        if self.on_bytes and data:
            self.on_bytes(len(data))
        return len(data)


def parse_amount(text: str) -> Decimal:
    """'1 234,56', '1.234,56', '1234.56' and '1234,5' are all French billing exports' ways of 1234.56 €."""
    value = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("€", "")
    if "," in value:
        value = value.replace(".", "").replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", value):
        raise InvalidOperation(text)
    return Decimal(value)


def _check_line(values: dict, refs: dict[str, int]) -> tuple[tuple | None, list[str]]:
    problems = []
    ref = values["partner_ref"].strip()
    partner_id = refs.get(ref)
    if not ref:
        problems.append("partner_ref is empty")
    elif partner_id is None:
        problems.append(f"unknown partner {ref!r}")
    month = None
    match = MONTH.match(values["month"].strip())
    if match and 1 <= int(match.group(2)) <= 12:
        month = dt.date(int(match.group(1)), int(match.group(2)), 1)
    else:
        problems.append(f"bad month {values['month'].strip()!r} (expected YYYY-MM)")
    category = values["category"].strip().lower()
    if category not in RevenueCategory.values:
        problems.append(
            f"unknown category {values['category'].strip()!r} (expected one of {', '.join(RevenueCategory.values)})"
        )
    amount = None
    try:
        amount = parse_amount(values["amount"])
    except InvalidOperation:
        problems.append(f"amount {values['amount'].strip()!r} is not a number")
    else:
        if amount < 0:
            problems.append(f"amount {values['amount'].strip()} is negative")
        elif amount != amount.quantize(Decimal("0.01")):
            problems.append(f"amount {values['amount'].strip()} has more than two decimals")
        elif amount >= Decimal("1e10"):
            problems.append(f"amount {values['amount'].strip()} is too large")
    if problems:
        return None, problems
    return (partner_id, month, category, amount), []


def revenue_import(
    *,
    tenant: Tenant,
    stream,
    filename: str,
    by=None,
    on_bytes: Callable[[int], None] | None = None,
    on_error: Callable[[LineError], None] | None = None,
) -> ImportResult:
    """Import a revenue file (a binary stream) for ``tenant``: all lines or none.

    The RevenueImport record is written in any case (status imported or rejected, the first errors);
    the ledger changes only when every line is valid.
    """
    record = RevenueImport.objects.create(tenant=tenant, filename=filename[:255], created_by=by)
    result = ImportResult(record=record)

    def error(line: int, message: str):
        err = LineError(line, message)
        result.error_count += 1
        if len(result.errors) < KEPT_ERRORS:
            result.errors.append(err)
        if on_error:
            on_error(err)

    try:
        with transaction.atomic():
            _stage(tenant, stream, record, result, error, on_bytes)
            _report_duplicates(record, error)
            if result.error_count:
                raise _Rejected
            _upsert(record)
            RevenueImportRow.objects.filter(batch=record).delete()
    except _Rejected:
        pass
    record.lines = result.lines
    record.error_count = result.error_count
    record.errors = [{"line": e.line, "message": e.message} for e in result.errors]
    record.status = RevenueImport.Status.REJECTED if result.error_count else RevenueImport.Status.IMPORTED
    record.finished_at = timezone.now()
    record.save(update_fields=["lines", "error_count", "errors", "status", "finished_at"])
    return result


def _stage(tenant, stream, record, result, error, on_bytes) -> None:
    text = io.TextIOWrapper(
        io.BufferedReader(_CountingReader(stream, on_bytes), 1 << 16), encoding="utf-8-sig", newline=""
    )
    try:
        header_line = text.readline()
    except UnicodeDecodeError:
        error(1, "the file is not UTF-8 text")
        return
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    header = [h.strip().lower() for h in next(csv.reader([header_line], delimiter=delimiter), [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        error(1, f"missing column(s) {', '.join(missing)}; the header must name {', '.join(COLUMNS)}")
        return
    index = {c: header.index(c) for c in COLUMNS}
    refs = dict(Partner.objects.filter(tenant=tenant).values_list("external_ref", "pk"))
    batch: list[RevenueImportRow] = []
    line_no = 1
    reader = csv.reader(text, delimiter=delimiter)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except UnicodeDecodeError:
            error(line_no + 1, "the line is not UTF-8 text")
            break
        except csv.Error as exc:
            error(reader.line_num + 1, f"unreadable line ({exc})")
            break
        line_no = reader.line_num + 1  # the header was line 1, read before this reader started
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, often at the end of exports
        result.lines += 1
        if len(cells) < len(header):
            error(line_no, f"{len(cells)} column(s) instead of {len(header)}")
            continue
        parsed, problems = _check_line({c: cells[i] for c, i in index.items()}, refs)
        for problem in problems:
            error(line_no, problem)
        if parsed:
            # Valid lines are staged even when others are bad, so that duplicates are reported too.
            partner_id, month, category, amount = parsed
            batch.append(
                RevenueImportRow(
                    batch=record,
                    line=line_no,
                    partner_id=partner_id,
                    month=month,
                    category=category,
                    amount=amount,
                )
            )
            if len(batch) >= STAGE_BATCH:
                RevenueImportRow.objects.bulk_create(batch)
                batch = []
                reset_queries()  # with DEBUG on, Django keeps every query's SQL: not for a million lines
    if batch:
        RevenueImportRow.objects.bulk_create(batch)


def _report_duplicates(record, error) -> None:
    staged = RevenueImportRow.objects.filter(batch=record)
    groups = (
        staged.values("partner_id", "month", "category")
        .annotate(n=Count("id"), first=Min("line"))
        .filter(n__gt=1)
    )
    dup_rows = staged.filter(
        Exists(
            groups.filter(
                partner_id=OuterRef("partner_id"), month=OuterRef("month"), category=OuterRef("category")
            )
        )
    ).order_by("partner_id", "month", "category", "line")
    first_line = {}
    for row in dup_rows.values("line", "partner_id", "partner__external_ref", "month", "category").iterator():
        key = (row["partner_id"], row["month"], row["category"])
        if key not in first_line:
            first_line[key] = row["line"]
            continue
        error(
            row["line"],
            f"{row['partner__external_ref']} {row['month']:%Y-%m} {row['category']} "
            f"appears twice in the file (first on line {first_line[key]})",
        )


def _upsert(record) -> None:
    """One INSERT … SELECT … ON CONFLICT statement, understood by PostgreSQL and SQLite alike."""
    ledger = RevenueEntry._meta.db_table
    staging = RevenueImportRow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ledger} (tenant_id, partner_id, month, category, amount)
            SELECT %s, partner_id, month, category, amount FROM {staging} WHERE batch_id = %s
            ON CONFLICT (partner_id, month, category) DO UPDATE SET amount = excluded.amount
            """,
            [record.tenant_id, record.pk],
        )
