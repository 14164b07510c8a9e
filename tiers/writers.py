"""The engine's two hot writes (assessments and current tiers) as plain SQL.

The grading job writes hundreds of thousands of rows: building a model instance per row costs more than
the database does. On PostgreSQL the rows go through COPY; elsewhere through multi-row INSERTs.
"""

import datetime as dt
import io
from decimal import Decimal

from django.db import connection

from .models import Assessment, PartnerTier


def _insert(table: str, columns: list[str], rows: list[tuple], suffix: str = "") -> list[tuple]:
    """Multi-row INSERT in batches; ``suffix`` may add ON CONFLICT or RETURNING (PostgreSQL and SQLite).

    The grading job writes hundreds of thousands of rows: building a model instance per row costs more
    than the database does, so the two hot writes are plain SQL here.
    """
    returned = []
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    batch = max(1, 900 // len(columns)) if connection.vendor == "sqlite" else 1000
    with connection.cursor() as cursor:
        for i in range(0, len(rows), batch):
            part = rows[i : i + batch]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholders] * len(part))} {suffix}",
                [value for row in part for value in row],
            )
            if "RETURNING" in suffix:
                returned.extend(cursor.fetchall())
    return returned


ASSESSMENT_COLUMNS = [
    "tenant_id",
    "partner_id",
    "evaluation_id",
    "evaluation_date",
    "window_start",
    "window_end",
    "months_counted",
    "revenue",
    "basis",
    "previous_tier_id",
    "computed_tier_id",
    "applied_tier_id",
    "reason",
    "movement",
    "note",
    "applied_by_id",
    "applied_at",
]
PARTNER_TIER_COLUMNS = ["partner_id", "tenant_id", "tier_id", "since", "assessment_id"]
PARTNER_TIER_UPSERT = (
    "ON CONFLICT (partner_id) DO UPDATE SET tier_id = excluded.tier_id, since = excluded.since, "
    "assessment_id = excluded.assessment_id"
)


COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    return value.translate(COPY_ESCAPES)


def _write_postgresql(assessments: list[tuple], partner_tiers: list[tuple]) -> list[int]:
    """COPY is the fastest way into PostgreSQL.

    Ids are taken from the sequence first, so that the current tiers can point at their assessments;
    current tiers go through a temporary table into one INSERT … ON CONFLICT. Values are ids, dates,
    decimals, choice codes and one timestamp, with nothing to escape but NULL; the note (a duty's title,
    rare) is escaped for COPY's text format.
    """
    table, tier_table = Assessment._meta.db_table, PartnerTier._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(assessments)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        lines = []
        for i, (
            tenant,
            partner,
            evaluation,
            day,
            start,
            end,
            months,
            revenue,
            basis,
            previous,
            computed,
            applied,
            reason,
            movement,
            note,
            by,
            at,
        ) in zip(ids, assessments, strict=True):
            previous = "\\N" if previous is None else previous
            by = "\\N" if by is None else by
            note = _copy_text(note) if note else ""
            lines.append(
                f"{i}\t{tenant}\t{partner}\t{evaluation}\t{day}\t{start}\t{end}\t{months}\t{revenue}\t{basis}\t"
                f"{previous}\t{computed}\t{applied}\t{reason}\t{movement}\t{note}\t{by}\t{at}\n"
            )
        cursor.copy_expert(
            f"COPY {table} (id, {', '.join(ASSESSMENT_COLUMNS)}) FROM STDIN", io.StringIO("".join(lines))
        )
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS regrade_partner_tier (LIKE {tier_table}) ON COMMIT DELETE ROWS"
        )
        # Inside an outer transaction (tests, load_demo) the chunks are only savepoints and "ON COMMIT
        # DELETE ROWS" has not fired yet.
        cursor.execute("TRUNCATE regrade_partner_tier")
        text = "".join(
            f"{partner}\t{tenant}\t{tier}\t{since}\t{i}\n"
            for (partner, tenant, tier, since), i in zip(partner_tiers, ids, strict=True)
        )
        cursor.copy_expert(
            f"COPY regrade_partner_tier ({', '.join(PARTNER_TIER_COLUMNS)}) FROM STDIN", io.StringIO(text)
        )
        columns = ", ".join(PARTNER_TIER_COLUMNS)
        cursor.execute(
            f"INSERT INTO {tier_table} ({columns}) SELECT {columns} FROM regrade_partner_tier {PARTNER_TIER_UPSERT}"
        )
    return ids


def _write_generic(assessments: list[tuple], partner_tiers: list[tuple]) -> list[int]:
    ops = connection.ops
    adapters = {
        dt.datetime: ops.adapt_datetimefield_value,
        dt.date: ops.adapt_datefield_value,
        Decimal: lambda value: ops.adapt_decimalfield_value(value, 14, 2),
    }

    def adapt(row):
        return tuple(adapters[type(v)](v) if type(v) in adapters else v for v in row)

    returned = dict(
        _insert(
            Assessment._meta.db_table,
            ASSESSMENT_COLUMNS,
            [adapt(row) for row in assessments],
            suffix="RETURNING partner_id, id",
        )
    )
    ids = [returned[row[1]] for row in assessments]
    _insert(
        PartnerTier._meta.db_table,
        PARTNER_TIER_COLUMNS,
        [adapt((*row[:4], i)) for i, row in zip(ids, partner_tiers, strict=True)],
        suffix=PARTNER_TIER_UPSERT,
    )
    return ids


def rows_write(assessments: list[tuple], partner_tiers: list[tuple]) -> list[int]:
    """Insert ``assessments`` (ASSESSMENT_COLUMNS) and upsert ``partner_tiers`` (partner, tenant, tier,
    since), each current tier pointing at its assessment; returns the assessment ids in order."""
    if connection.vendor == "postgresql":
        return _write_postgresql(assessments, partner_tiers)
    return _write_generic(assessments, partner_tiers)
