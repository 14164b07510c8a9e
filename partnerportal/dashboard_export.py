"""The dashboard's lists as CSV, neutralised against formula injection.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some read one that starts
with a tab or a carriage return the same way) as a formula: a partner's name typed as
``=HYPERLINK(...)`` would run on the manager's machine. Such text cells get a leading ``'``, which the
spreadsheet shows as text (OWASP, "CSV Injection"). Numbers are written as they are: a number is never a
formula, and "-5" stays a number.
"""

import csv
import datetime as dt
from decimal import Decimal

import django_tables2 as tables
from django.http import HttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")


def csv_safe(value) -> str | int | Decimal | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def table_csv_response(table: tables.Table, *, filename: str) -> HttpResponse:
    """The whole table (every page, in its current order, without the columns excluded from export)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # the BOM: spreadsheets then read the accents as UTF-8
    writer = csv.writer(response)
    for row in table.as_values():
        writer.writerow([csv_safe(value) for value in row])
    return response
