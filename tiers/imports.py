"""Revenue import: ``partner_ref, month (YYYY-MM), category, amount`` files as French billing tools export.

Accepted: ``;`` or ``,`` delimiters (one per file, the header's), decimal comma or point (with space or
dot thousands separators); UTF-8 with or without BOM, UTF-16 (with a BOM, or without one when the text
shows it) and, when the start of the file is not UTF-8, Windows-1252 (the Latin-1 of Excel's French
"CSV (séparateur: point-virgule)"). A file is imported whole or not at all: any bad line rejects the file
and every bad line is reported by its line number (the header is line 1); so does any other failure, even
an unexpected one: the record is never left running. Re-importing a file changes nothing (upsert on
partner, month and category). Lines stream through a staging table, so memory does not grow with the file;
``REVENUE_IMPORT_MAX_BYTES`` and ``REVENUE_IMPORT_MAX_LINES`` bound the time one file takes.

Hostile files: digits are ASCII digits only (``\\d`` would take ``٢٠٢٦``); a text cell that a spreadsheet
would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return first) is refused; nothing of a cell
is stored but a partner, a month, a category and an amount, and the errors quote cells with ``repr`` (quoted,
control characters escaped) and cut to ``SHOWN`` characters.
"""

import codecs
import csv
import datetime as dt
import io
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, reset_queries, transaction
from django.db.models import Count, Exists, Min, OuterRef
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from partnerportal.models import Partner, Tenant

from .models import RevenueCategory, RevenueEntry, RevenueImport, RevenueImportRow

logger = logging.getLogger(__name__)

COLUMNS = ("partner_ref", "month", "category", "amount")
# [0-9], not \d: in Python \d matches every script's digits, and int("٢٠٢٦") is 2026.
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
# What a spreadsheet runs as a formula at the start of a cell (OWASP "CSV Injection"), as
# partnerportal.dashboard_export neutralises on the way out; here such a cell is refused on the way in.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes the file's encoding could not read (surrogateescape)
SHOWN = 60  # characters of a cell quoted in an error message
STAGE_BATCH = 5000
KEPT_ERRORS = 1000  # stored on the import record; all of them are streamed to ``on_error``


# What can be wrong with a file, by code. The record stores the code and its parameters, so that the
# back-office shows each error in the reader's language, and the English text for scripts.
MESSAGES = {
    "not_utf8": gettext_noop("the file is not UTF-8 text"),  # kept for records written before 2026-12
    "line_not_utf8": gettext_noop("the line is not UTF-8 text"),  # idem
    "not_decodable": gettext_noop(
        "the line is not %(encoding)s text, the encoding the start of the file is in; save the whole file as UTF-8"
    ),
    "file_too_large": gettext_noop(
        "the file is larger than the limit of %(megabytes)s MB; nothing was imported: split it into smaller files"
    ),
    "too_many_lines": gettext_noop(
        "the file has more than %(max)s data lines, the limit; nothing was imported: split it into smaller files"
    ),
    "missing_columns": gettext_noop("missing column(s) %(missing)s; the header must name %(columns)s"),
    "mixed_delimiters_header": gettext_noop(
        "the header mixes “;” and “,”: a file uses one delimiter, the same on every line"
    ),
    "mixed_delimiters": gettext_noop(
        "the line is separated by “%(found)s” where the header uses “%(expected)s”: a file uses one delimiter"
    ),
    "unreadable_line": gettext_noop("unreadable line (%(error)s)"),
    "column_count": gettext_noop("%(count)s column(s) instead of %(expected)s"),
    "formula": gettext_noop(
        "%(column)s %(value)s starts like a spreadsheet formula (=, +, -, @, tab): formulas are refused"
    ),
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
    "unexpected": gettext_noop(
        "the import stopped on an unexpected error (%(error)s) after this line; nothing was imported"
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
    last_line: int = 1  # the last line read, named by an error that is no line's fault

    @property
    def ok(self) -> bool:
        return self.error_count == 0


class _Rejected(Exception):
    pass


class TooLarge(Exception):
    pass


class CountingReader(io.RawIOBase):
    """Wraps a binary file to report how many bytes were read (for a progress bar) and to stop reading past
    ``limit`` bytes, whatever the file says its size is."""

    def __init__(self, raw, on_bytes: Callable[[int], None] | None, limit: int):
        self.raw, self.on_bytes, self.limit, self.count = raw, on_bytes, limit, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        if self.count > self.limit:
            raise TooLarge
        if self.on_bytes and data:
            self.on_bytes(len(data))
        return len(data)


def shown(value: str) -> str:
    """A cell as an error quotes it: ``repr`` (quoted, control characters escaped), at most ``SHOWN``
    characters of it."""
    return repr(value if len(value) <= SHOWN else value[:SHOWN] + "…")


def parse_amount(text: str) -> Decimal:
    """'1 234,56', '1.234,56', '1234.56' and '1234,5' are all French billing exports' ways of 1234.56 €."""
    value = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("€", "")
    if "," in value:
        value = value.replace(".", "").replace(",", ".")
    if not AMOUNT.fullmatch(value):
        raise InvalidOperation(text)
    return Decimal(value)


def _formula(column: str, value: str) -> tuple[str, dict] | None:
    if value.startswith(FORMULA_PREFIXES):
        return "formula", {"column": column, "value": shown(value)}
    return None


def _check_line(values: dict, refs: dict[str, int]) -> tuple[tuple | None, list[tuple[str, dict]]]:
    problems = []
    ref = values["partner_ref"].strip()
    partner_id = refs.get(ref)
    if not ref:
        problems.append(("partner_ref_empty", {}))
    elif formula := _formula("partner_ref", ref):
        problems.append(formula)
    elif partner_id is None:
        problems.append(("unknown_partner", {"ref": shown(ref)}))
    month = None
    match = MONTH.fullmatch(values["month"].strip())
    if match:
        try:
            month = dt.date(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:  # month 13, year 0
            pass
    if month is None:
        problems.append(
            _formula("month", values["month"].strip())
            or ("bad_month", {"month": shown(values["month"].strip())})
        )
    category = values["category"].strip().lower()
    if category not in RevenueCategory.values:
        problems.append(
            _formula("category", values["category"].strip())
            or (
                "unknown_category",
                {
                    "category": shown(values["category"].strip()),
                    "categories": ", ".join(RevenueCategory.values),
                },
            )
        )
    amount = None
    try:
        amount = parse_amount(values["amount"])
    except InvalidOperation:
        text = values["amount"].strip()
        problems.append(
            (_formula("amount", text) if not text.startswith("-") else None)
            or ("amount_not_number", {"amount": shown(text)})
        )
    else:
        # Only digits, a sign and a point passed parse_amount: the cell is shown as it is.
        text = {"amount": values["amount"].strip()}
        if amount < 0:
            problems.append(("amount_negative", text))
        elif amount >= Decimal("1e10"):  # before quantize(), which fails past 28 digits
            problems.append(("amount_too_large", text))
        elif amount != amount.quantize(Decimal("0.01")):
            problems.append(("amount_decimals", text))
    if problems:
        return None, problems
    return (partner_id, month, category, amount), []


def revenue_import(
    *,
    tenant: Tenant,
    stream,
    filename: str,
    by=None,
    size: int | None = None,
    on_bytes: Callable[[int], None] | None = None,
    on_error: Callable[[LineError], None] | None = None,
) -> ImportResult:
    """Import a revenue file (a binary stream) for ``tenant``: all lines or none.

    The RevenueImport record is written in any case, imported or rejected with the first errors, each
    naming its line; an unexpected failure rejects the file too (and is logged), so the record is never
    left running. The ledger changes only when every line is valid. ``size``, when known, rejects a file
    over ``REVENUE_IMPORT_MAX_BYTES`` before reading it; an unknown size is counted while reading.
    """
    name = "".join(c for c in filename if c.isprintable())[:255]  # a NUL is refused by PostgreSQL
    record = RevenueImport.objects.create(tenant=tenant, filename=name, created_by=by)
    result = ImportResult(record=record)

    def error(line: int, code: str, **params):
        err = LineError(line, code, params)
        result.error_count += 1
        if len(result.errors) < KEPT_ERRORS:
            result.errors.append(err)
        if on_error:
            on_error(err)

    limit = settings.REVENUE_IMPORT_MAX_BYTES
    try:
        if size is not None and size > limit:
            _too_large(1, limit, error)
            raise _Rejected
        with transaction.atomic():
            _stage(tenant, stream, record, result, error, on_bytes, limit)
            _report_duplicates(record, error)
            if result.error_count:
                raise _Rejected
            _upsert(record)
            RevenueImportRow.objects.filter(batch=record).delete()
    except _Rejected:
        pass
    except Exception as exc:  # whatever it was, the file is rejected and the record says so, by line
        logger.exception(
            "revenue import %s of tenant %s failed at line %s", record.pk, tenant.pk, result.last_line
        )
        error(result.last_line, "unexpected", error=type(exc).__name__)
    record.lines = result.lines
    record.error_count = result.error_count
    record.errors = [e.as_json() for e in result.errors]
    record.status = RevenueImport.Status.REJECTED if result.error_count else RevenueImport.Status.IMPORTED
    record.finished_at = timezone.now()
    _record_save(record, ["lines", "error_count", "errors", "status", "finished_at"])
    return result


RECORD_SAVE_SECONDS = 60


def _record_save(record: RevenueImport, fields: list[str]) -> None:
    """Write the outcome on the record even when the database went away under the import (PostgreSQL
    restarted: ``make drill``): the broken connection is dropped and the save retried, with back-off, until
    the server accepts again, so that no record is left running. Not inside a caller's transaction, which
    a new connection could not continue."""
    deadline = time.monotonic() + RECORD_SAVE_SECONDS
    delay = 0.25
    while True:
        try:
            record.save(update_fields=fields)
            return
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or time.monotonic() > deadline:
                raise
            connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 5)


def _too_large(line: int, limit: int, error) -> None:
    error(line, "file_too_large", megabytes=f"{limit / 1_000_000:g}")


def detect_encoding(head: bytes) -> tuple[str, str]:
    """The codec of a file from its first bytes, and its name for the reader.

    A BOM says it. Without one, UTF-16 shows as a NUL byte beside most characters of the (ASCII) header;
    bytes that are not UTF-8 in the first block mean Windows-1252 (a UTF-8 character cut by the end of the
    block does not count). A file that turns out not to be UTF-8 further on is rejected at that line.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "UTF-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "UTF-16"
    sample = head[:4096]
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 8:
        if odd.count(0) > len(odd) // 2 and even.count(0) == 0:
            return "utf-16-le", "UTF-16"
        if even.count(0) > len(even) // 2 and odd.count(0) == 0:
            return "utf-16-be", "UTF-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason != "unexpected end of data":
            return "cp1252", "Windows-1252 (Latin-1)"
    return "utf-8", "UTF-8"


def _stage(tenant, stream, record, result, error, on_bytes, limit) -> None:
    raw = io.BufferedReader(CountingReader(stream, on_bytes, limit), 1 << 16)
    try:
        codec, encoding = detect_encoding(raw.peek(1 << 16))
        # Undecodable bytes become lone surrogates instead of failing the whole block they are in: the
        # line that holds them is then named exactly.
        text = io.TextIOWrapper(raw, encoding=codec, errors="surrogateescape", newline="")
        header_line = text.readline()
    except TooLarge:
        _too_large(1, limit, error)
        return
    except UnicodeError:  # a UTF-16 file of an odd number of bytes, or the like
        error(1, "not_decodable", encoding="UTF-16")
        return
    if UNDECODABLE.search(header_line):
        error(1, "not_decodable", encoding=encoding)
        return
    semicolons, commas = header_line.count(";"), header_line.count(",")
    delimiter = ";" if semicolons > commas else ","
    header = [h.strip().lower() for h in next(csv.reader([header_line], delimiter=delimiter), [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        if semicolons and commas:
            error(1, "mixed_delimiters_header")
        else:
            error(1, "missing_columns", missing=", ".join(missing), columns=", ".join(COLUMNS))
        return
    other = "," if delimiter == ";" else ";"
    index = {c: header.index(c) for c in COLUMNS}
    max_lines = settings.REVENUE_IMPORT_MAX_LINES
    refs = dict(Partner.objects.filter(tenant=tenant).values_list("external_ref", "pk"))
    batch: list[tuple] = []
    line_no = 1
    reader = csv.reader(text, delimiter=delimiter)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except TooLarge:
            _too_large(reader.line_num + 1, limit, error)
            break
        except UnicodeError:
            error(reader.line_num + 1, "not_decodable", encoding=encoding)
            break
        except csv.Error as exc:
            error(reader.line_num + 1, "unreadable_line", error=str(exc))
            break
        line_no = result.last_line = reader.line_num + 1  # the header was line 1, read before this reader
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, often at the end of exports
        result.lines += 1
        if result.lines > max_lines:
            error(line_no, "too_many_lines", max=max_lines)
            break
        if any(UNDECODABLE.search(cell) for cell in cells):
            error(line_no, "not_decodable", encoding=encoding)
            continue
        if len(cells) < len(header):
            # Fewer cells than the header, and enough of the other delimiter to make up the columns: the
            # line was written with the other one ("1,5" in a ";" file is a decimal comma, not this).
            if delimiter.join(cells).count(other) >= len(header) - 1:
                error(line_no, "mixed_delimiters", found=other, expected=delimiter)
            else:
                error(line_no, "column_count", count=len(cells), expected=len(header))
            continue
        parsed, problems = _check_line({c: cells[i] for c, i in index.items()}, refs)
        for code, params in problems:
            error(line_no, code, **params)
        if parsed:
            # Valid lines are staged even when others are bad, so that duplicates are reported too.
            partner_id, month, category, amount = parsed
            batch.append(
                (
                    record.pk,
                    line_no,
                    partner_id,
                    connection.ops.adapt_datefield_value(month),
                    category,
                    connection.ops.adapt_decimalfield_value(amount, 12, 2),
                )
            )
            if len(batch) >= STAGE_BATCH:
                _stage_rows(batch)
                batch = []
                reset_queries()  # with DEBUG on, Django keeps every query's SQL: not for a million lines
    if batch:
        _stage_rows(batch)


def _stage_rows(rows: list[tuple]) -> None:
    """Checked lines into the staging table, many per INSERT. Tuples, not model instances and
    ``bulk_create``: building and saving a million instances was two thirds of a million-line import's
    time. (``executemany`` is no faster: psycopg2 sends one statement per row.)"""
    staging = RevenueImportRow._meta.db_table
    columns = ("batch_id", "line", "partner_id", "month", "category", "amount")
    size = max(connection.ops.bulk_batch_size(columns, rows), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {staging} ({', '.join(columns)}) VALUES {values}",
                [value for row in chunk for value in row],
            )


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
