"""Lead import: a CSV file of leads, by the revenue import's rules (tiers/imports.py).

Columns ``customer, contact_name, contact_email, contact_phone, postal_code, city, product_lines,
monthly_value, source`` (``notes`` optional); product lines by code, several separated by ``|``; the source
by code (``website``, ``event``…). The file is read as the revenue import reads it, with its helpers: the
encoding from its first bytes (UTF-8 with or without BOM, UTF-16, Windows-1252), ``;`` or ``,`` as the
header has it, decimal comma or point, formula cells refused, ``LEAD_IMPORT_MAX_BYTES`` and
``LEAD_IMPORT_MAX_LINES``. All or nothing: any bad line rejects the file, every bad line is named with its
field and value, and nothing of a rejected file is written. Imported leads are new: the next routing pass
offers them.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from partnerportal.geography import BY_CODE, departement_of_postal_code, postal_code_normalised
from partnerportal.models import Tenant
from partnerportal.validators import validate_single_line

# The revenue import's reading helpers: the same rules for every file the back-office takes.
from tiers.imports import (
    FORMULA_PREFIXES,
    UNDECODABLE,
    CountingReader,
    TooLarge,
    detect_encoding,
    parse_amount,
    shown,
)

from .models import Lead, ProductLine

COLUMNS = (
    "customer",
    "contact_name",
    "contact_email",
    "contact_phone",
    "postal_code",
    "city",
    "product_lines",
    "monthly_value",
    "source",
)
OPTIONAL = ("notes",)
REQUIRED_CELLS = ("customer", "contact_name", "postal_code", "city", "monthly_value", "source")
MAX_LENGTH = {
    "customer": 200,
    "contact_name": 150,
    "contact_email": 254,
    "contact_phone": 30,
    "city": 100,
    "notes": 2000,
}

MESSAGES = {
    "not_decodable": gettext_noop(
        "the line is not %(encoding)s text, the encoding the start of the file is in"
    ),
    "file_too_large": gettext_noop(
        "the file is larger than the limit of %(megabytes)s MB; nothing was imported"
    ),
    "too_many_lines": gettext_noop(
        "the file has more than %(max)s data lines, the limit; nothing was imported"
    ),
    "missing_columns": gettext_noop("missing column(s) %(missing)s; the header must name %(columns)s"),
    "unreadable_line": gettext_noop("unreadable line (%(error)s)"),
    "column_count": gettext_noop("%(count)s column(s) instead of %(expected)s"),
    "empty": gettext_noop("%(column)s is empty"),
    "too_long": gettext_noop("%(column)s %(value)s is longer than %(max)s characters"),
    "formula": gettext_noop(
        "%(column)s %(value)s starts like a spreadsheet formula (=, +, -, @, tab): formulas are refused"
    ),
    "control": gettext_noop("%(column)s %(value)s holds a control character"),
    "bad_email": gettext_noop("contact_email %(value)s is not an e-mail address"),
    "bad_postal_code": gettext_noop("postal_code %(value)s is not the postal code of a French département"),
    "unknown_product_line": gettext_noop(
        "product_lines: unknown product line %(value)s (expected %(codes)s)"
    ),
    "bad_value": gettext_noop("monthly_value %(value)s is not an amount of at most two decimals"),
    "negative_value": gettext_noop("monthly_value %(value)s is negative"),
    "unknown_source": gettext_noop("source %(value)s is unknown (expected one of %(sources)s)"),
    "no_lines": gettext_noop("the file has no data line"),
}


@dataclass(frozen=True)
class LineError:
    line: int
    code: str
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return MESSAGES[self.code] % self.params

    def text(self) -> str:
        return gettext(MESSAGES[self.code]) % self.params

    def __str__(self) -> str:
        return gettext("line %(line)s: %(message)s") % {"line": self.line, "message": self.text()}


@dataclass
class ImportResult:
    lines: int = 0
    errors: list[LineError] = field(default_factory=list)
    created: list[int] = field(default_factory=list)  # lead ids

    @property
    def ok(self) -> bool:
        return not self.errors


def _check(values: dict, lines: dict[str, ProductLine]) -> tuple[dict | None, list[tuple[str, dict]]]:
    problems: list[tuple[str, dict]] = []
    clean = {}
    for column, value in values.items():
        value = value.strip()
        # "-5" in the amount is a negative number, said so below, as the revenue import does.
        if value.startswith(FORMULA_PREFIXES) and not (column == "monthly_value" and value.startswith("-")):
            problems.append(("formula", {"column": column, "value": shown(value)}))
            continue
        if column != "notes":
            try:
                validate_single_line(value)
            except ValidationError:
                problems.append(("control", {"column": column, "value": shown(value)}))
                continue
        if column in REQUIRED_CELLS and not value:
            problems.append(("empty", {"column": column}))
            continue
        if column in MAX_LENGTH and len(value) > MAX_LENGTH[column]:
            problems.append(
                ("too_long", {"column": column, "value": shown(value), "max": MAX_LENGTH[column]})
            )
            continue
        clean[column] = value
    if email := clean.get("contact_email"):
        try:
            validate_email(email)
        except ValidationError:
            problems.append(("bad_email", {"value": shown(email)}))
    if "postal_code" in clean:
        clean["postal_code"] = postal_code_normalised(clean["postal_code"])
        code = departement_of_postal_code(clean["postal_code"])
        if code is None:
            problems.append(("bad_postal_code", {"value": shown(clean["postal_code"])}))
        else:
            clean["departement"], clean["region"] = code, BY_CODE[code].region
    chosen = []
    for code in filter(None, (c.strip() for c in clean.get("product_lines", "").split("|"))):
        if code.lower() in lines:
            chosen.append(lines[code.lower()])
        else:
            problems.append(
                ("unknown_product_line", {"value": shown(code), "codes": ", ".join(sorted(lines)) or "—"})
            )
    clean["product_lines"] = chosen
    if "monthly_value" in clean:
        try:
            amount = parse_amount(clean["monthly_value"])
        except InvalidOperation:
            problems.append(("bad_value", {"value": shown(clean["monthly_value"])}))
        else:
            if amount < 0:
                problems.append(("negative_value", {"value": shown(clean["monthly_value"])}))
            elif amount >= Decimal("1e10") or amount != amount.quantize(Decimal("0.01")):
                problems.append(("bad_value", {"value": shown(clean["monthly_value"])}))
            else:
                clean["monthly_value"] = amount
    if "source" in clean:
        source = clean["source"].lower()
        if source not in Lead.Source.values:
            problems.append(
                (
                    "unknown_source",
                    {"value": shown(clean["source"]), "sources": ", ".join(Lead.Source.values)},
                )
            )
        clean["source"] = source
    return (None if problems else clean), problems


def leads_import(*, tenant: Tenant, stream, by=None, size: int | None = None) -> ImportResult:
    """Import a lead file (a binary stream) for ``tenant``: every line or none. Returns the lines read,
    the errors (each naming its line, field and value) and the ids of the leads created."""
    result = ImportResult()
    limit = settings.LEAD_IMPORT_MAX_BYTES

    def error(line: int, code: str, **params):
        result.errors.append(LineError(line, code, params))

    if size is not None and size > limit:
        error(1, "file_too_large", megabytes=f"{limit / 1_000_000:g}")
        return result
    rows = _read(tenant, stream, result, error, limit)
    if result.errors:
        return result
    if not rows:
        error(1, "no_lines")
        return result
    with transaction.atomic():
        leads = Lead.objects.bulk_create(
            [
                Lead(
                    tenant=tenant,
                    created_by=by,
                    customer=row["customer"],
                    contact_name=row["contact_name"],
                    contact_email=row.get("contact_email", ""),
                    contact_phone=row.get("contact_phone", ""),
                    postal_code=row["postal_code"],
                    city=row["city"],
                    departement=row["departement"],
                    region=row["region"],
                    monthly_value=row["monthly_value"],
                    source=row["source"],
                    notes=row.get("notes", ""),
                )
                for row in rows
            ]
        )
        if not all(lead.pk for lead in leads):  # a backend that returns no ids from bulk_create
            raise RuntimeError("bulk_create returned no primary keys")
        through = Lead.product_lines.through
        through.objects.bulk_create(
            [
                through(lead_id=lead.pk, productline_id=line.pk)
                for lead, row in zip(leads, rows, strict=True)
                for line in row["product_lines"]
            ]
        )
    result.created = [lead.pk for lead in leads]
    return result


def _read(tenant, stream, result: ImportResult, error, limit: int) -> list[dict]:
    raw = io.BufferedReader(CountingReader(stream, None, limit), 1 << 16)
    try:
        codec, encoding = detect_encoding(raw.peek(1 << 16))
        text = io.TextIOWrapper(raw, encoding=codec, errors="surrogateescape", newline="")
        header_line = text.readline()
    except TooLarge:
        error(1, "file_too_large", megabytes=f"{limit / 1_000_000:g}")
        return []
    except UnicodeError:
        error(1, "not_decodable", encoding="UTF-16")
        return []
    if UNDECODABLE.search(header_line):
        error(1, "not_decodable", encoding=encoding)
        return []
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    header = [h.strip().lower() for h in next(csv.reader([header_line], delimiter=delimiter), [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        error(1, "missing_columns", missing=", ".join(missing), columns=", ".join(COLUMNS))
        return []
    index = {c: header.index(c) for c in (*COLUMNS, *OPTIONAL) if c in header}
    lines = {
        code.lower(): line
        for code, line in ((pl.code, pl) for pl in ProductLine.objects.filter(tenant=tenant))
    }
    rows = []
    reader = csv.reader(text, delimiter=delimiter)
    max_lines = settings.LEAD_IMPORT_MAX_LINES
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except TooLarge:
            error(reader.line_num + 1, "file_too_large", megabytes=f"{limit / 1_000_000:g}")
            break
        except UnicodeError:
            error(reader.line_num + 1, "not_decodable", encoding=encoding)
            break
        except csv.Error as exc:
            error(reader.line_num + 1, "unreadable_line", error=str(exc))
            break
        line_no = reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        result.lines += 1
        if result.lines > max_lines:
            error(line_no, "too_many_lines", max=max_lines)
            break
        if any(UNDECODABLE.search(cell) for cell in cells):
            error(line_no, "not_decodable", encoding=encoding)
            continue
        if len(cells) < len(header):
            error(line_no, "column_count", count=len(cells), expected=len(header))
            continue
        clean, problems = _check({c: cells[i] for c, i in index.items()}, lines)
        for code, params in problems:
            error(line_no, code, **params)
        if clean:
            rows.append(clean)
    return rows
