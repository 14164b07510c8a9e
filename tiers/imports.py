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
from django.utils.translation import gettext, gettext_noop

from partnerportal.models import Partner, Tenant

from .models import RevenueCategory, RevenueEntry, RevenueImport, RevenueImportRow

COLUMNS = ("partner_ref", "month", "category", "amount")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
STAGE_BATCH = 5000
KEPT_ERRORS = 1000  # stored on the import record; all of them are streamed to ``on_error``


# What can be wrong with a file, by code. The record stores the code and its parameters, so that the
# back-office shows each error in the reader's language, and the English text for scripts.
MESSAGES = {
    "not_utf8": gettext_noop("the file is not UTF-8 text"),
    "line_not_utf8": gettext_noop("the line is not UTF-8 text"),
    "missing_columns": gettext_noop("missing column(s) %(missing)s; the header must name %(columns)s"),
    "unreadable_line": gettext_noop("unreadable line (%(error)s)"),
    "column_count": gettext_noop("%(count)s column(s) instead of %(expected)s"),
    "partner_ref_empty": gettext_noop("partner_ref is empty"),
    "unknown_partner": gettext_noop("unknown partner %(ref)s"),
    "bad_month": gettext_noop("bad month %(month)s (expected YYYY-MM)"),
    "unknown_category": gettext_noop("unknown category %(category)s (expected one of %(categories)s)"),
    "amount_not_number": gettext_noop("amount %(amount)s is not a number"),
    "amount_negative": gettext_noop("amount %(amount)s is negative"),
    "amount_decimals": gettext_noop("amount %(amount)s has more than two decimals"),
    "amount_too_large": gettext_noop("amount %(amount)s is too large"),
    "duplicate_line": gettext_noop(
        "%(ref)s %(month)s %(category)s appears twice in the file (first on line %(first)s)"
    ),
}


@dataclass(frozen=True)
class LineError:
    line: int
    code: str
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """In English, whatever the active language: for scripts, logs and the stored record."""
        return MESSAGES[self.code] % self.params

    def text(self) -> str:
        """In the active language."""
        return gettext(MESSAGES[self.code]) % self.params

    def as_json(self) -> dict:
        return {"line": self.line, "code": self.code, "params": self.params, "message": self.message}

    def __str__(self) -> str:
        return gettext("line %(line)s: %(message)s") % {"line": self.line, "message": self.text()}


def import_error_text(error: dict) -> str:
    """A stored error (``RevenueImport.errors``) in the active language; records written before errors
    had codes keep their English message."""
    template = MESSAGES.get(error.get("code", ""))
    if template is None:
        return error.get("message", "")
    try:
        return gettext(template) % error.get("params", {})
    except (KeyError, TypeError, ValueError):
        return error.get("message", "")


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


def _check_line(values: dict, refs: dict[str, int]) -> tuple[tuple | None, list[tuple[str, dict]]]:
    problems = []
    ref = values["partner_ref"].strip()
    partner_id = refs.get(ref)
    if not ref:
        problems.append(("partner_ref_empty", {}))
    elif partner_id is None:
        problems.append(("unknown_partner", {"ref": repr(ref)}))
    month = None
    match = MONTH.match(values["month"].strip())
    if match and 1 <= int(match.group(2)) <= 12:
        month = dt.date(int(match.group(1)), int(match.group(2)), 1)
    else:
        problems.append(("bad_month", {"month": repr(values["month"].strip())}))
    category = values["category"].strip().lower()
    if category not in RevenueCategory.values:
        problems.append(
            (
                "unknown_category",
                {
                    "category": repr(values["category"].strip()),
                    "categories": ", ".join(RevenueCategory.values),
                },
            )
        )
    amount = None
    try:
        amount = parse_amount(values["amount"])
    except InvalidOperation:
        problems.append(("amount_not_number", {"amount": repr(values["amount"].strip())}))
    else:
        shown = {"amount": values["amount"].strip()}
        if amount < 0:
            problems.append(("amount_negative", shown))
        elif amount != amount.quantize(Decimal("0.01")):
            problems.append(("amount_decimals", shown))
        elif amount >= Decimal("1e10"):
            problems.append(("amount_too_large", shown))
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

    def error(line: int, code: str, **params):
        err = LineError(line, code, params)
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
    record.errors = [e.as_json() for e in result.errors]
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
        error(1, "not_utf8")
        return
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    header = [h.strip().lower() for h in next(csv.reader([header_line], delimiter=delimiter), [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        error(1, "missing_columns", missing=", ".join(missing), columns=", ".join(COLUMNS))
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
            error(line_no + 1, "line_not_utf8")
            break
        except csv.Error as exc:
            error(reader.line_num + 1, "unreadable_line", error=str(exc))
            break
        line_no = reader.line_num + 1  # the header was line 1, read before this reader started
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, often at the end of exports
        result.lines += 1
        if len(cells) < len(header):
            error(line_no, "column_count", count=len(cells), expected=len(header))
            continue
        parsed, problems = _check_line({c: cells[i] for c, i in index.items()}, refs)
        for code, params in problems:
            error(line_no, code, **params)
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
            "duplicate_line",
            ref=row["partner__external_ref"],
            month=f"{row['month']:%Y-%m}",
            category=row["category"],
            first=first_line[key],
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
