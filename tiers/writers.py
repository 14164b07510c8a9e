"""The engine's two hot writes (assessments and current tiers) as plain SQL.

The grading job writes hundreds of thousands of rows: building a model instance per row costs more than
the database does. On PostgreSQL the assessments go through COPY; elsewhere through multi-row INSERTs.
The current tiers are then derived from the assessments just written by one INSERT … SELECT … ON CONFLICT
on both databases, so no second set of rows crosses from Python; so are the history records of the tiers
that changed (tier_history_record). In review mode the same rows go to the proposals' table instead, and
nothing else is written until the evaluation is approved (proposals_apply).
"""

import datetime as dt
import io
from dataclasses import dataclass

from django.db import connection

from .grading import Row
from .models import Assessment, PartnerTier, ProposedAssessment

ASSESSMENT_COLUMNS = [
    "id",
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

NULL = "\\N"  # COPY's text format
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass(frozen=True)
class ChunkContext:
    """What every assessment of a chunk shares."""

    tenant_id: int
    evaluation_id: int
    evaluation_date: dt.date
    window_start: dt.date
    window_end: dt.date
    applied_by_id: int | None
    applied_at: dt.datetime
    proposal: bool = False  # review mode: the rows are a proposal, written to ProposedAssessment

    @property
    def table(self) -> str:
        return (ProposedAssessment if self.proposal else Assessment)._meta.db_table


def _reserve_ids(cursor, count: int, table: str) -> list[int]:
    """Ids from the assessments' sequence, so that the rows can be written with them (COPY returns none)."""
    # The sequence's name is looked up once: inside the call, the catalogue would be read for every id.
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (sequence,) = cursor.fetchone()
    cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
    return [row[0] for row in cursor.fetchall()]


@dataclass
class PreparedChunk:
    """A chunk ready to write: on PostgreSQL its assessment ids are reserved and its COPY text built, so
    that the writer thread only has the database's part left (see engine.ChunkWriter)."""

    rows: list[Row]
    ids: list[int] | None = None
    text: str | None = None


def rows_prepare(*, context: ChunkContext, rows: list[Row]) -> PreparedChunk:
    if connection.vendor != "postgresql":
        return PreparedChunk(rows)  # SQLite hands the ids back from its INSERT … RETURNING
    with connection.cursor() as cursor:
        ids = _reserve_ids(
            cursor, len(rows), context.table
        )  # a chunk that fails leaves a gap in the ids, nothing more
    return PreparedChunk(rows, ids, _copy_text(context, ids, rows))


def _copy_text(context: ChunkContext, ids: list[int], rows: list[Row]) -> str:
    """COPY's text format. Values are ids, dates, decimals, choice codes and one timestamp, with nothing
    to escape but NULL; the note (a duty's title, rare) is escaped. What the rows share is formatted once."""
    shared = (
        f"{context.evaluation_id}\t{context.evaluation_date}\t{context.window_start}\t{context.window_end}\t"
    )
    tenant = f"{context.tenant_id}\t"
    by = NULL if context.applied_by_id is None else context.applied_by_id
    tail = f"\t{by}\t{context.applied_at}\n"
    lines = [
        f"{i}\t{tenant}{row.partner_id}\t{shared}{row.months}\t{row.revenue}\t{row.basis}\t"
        f"{NULL if row.previous_tier is None else row.previous_tier.id}\t{row.computed_tier.id}\t"
        f"{row.applied_tier.id}\t{row.reason}\t{row.movement}\t{row.note.translate(COPY_ESCAPES)}{tail}"
        for i, row in zip(ids, rows, strict=True)
    ]
    return "".join(lines)


def _insert_assessments(cursor, context: ChunkContext, rows: list[Row]) -> list[int]:
    """Multi-row INSERTs … RETURNING (SQLite 3.35+), in batches under SQLite's 999 parameters."""
    ops = connection.ops
    shared = [
        ops.adapt_datefield_value(context.evaluation_date),
        ops.adapt_datefield_value(context.window_start),
        ops.adapt_datefield_value(context.window_end),
    ]
    at = ops.adapt_datetimefield_value(context.applied_at)
    columns = ASSESSMENT_COLUMNS[1:]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    batch = max(1, 900 // len(columns)) if connection.vendor == "sqlite" else 1000
    returned: dict[int, int] = {}
    for start in range(0, len(rows), batch):
        part = rows[start : start + batch]
        values = []
        for row in part:
            values += [
                context.tenant_id,
                row.partner_id,
                context.evaluation_id,
                *shared,
                row.months,
                ops.adapt_decimalfield_value(row.revenue, 14, 2),
                ops.adapt_decimalfield_value(row.basis, 14, 2),
                row.previous_tier.id if row.previous_tier else None,
                row.computed_tier.id,
                row.applied_tier.id,
                row.reason,
                row.movement,
                row.note,
                context.applied_by_id,
                at,
            ]
        cursor.execute(
            f"INSERT INTO {context.table} ({', '.join(columns)}) "
            f"VALUES {', '.join([placeholders] * len(part))} RETURNING partner_id, id",
            values,
        )
        returned.update(cursor.fetchall())
    return [returned[row.partner_id] for row in rows]


def _upsert_current_tiers(cursor, context: ChunkContext, low: int, high: int) -> None:
    """Each assessed partner's current tier, from the chunk's assessments (ids ``low`` to ``high`` of the
    evaluation). "since" moves only when the tier does; on the right of SET, the table's name is the row
    as it was."""
    table, tiers = Assessment._meta.db_table, PartnerTier._meta.db_table
    cursor.execute(
        f"""
        INSERT INTO {tiers} (partner_id, tenant_id, tier_id, since, assessment_id)
        SELECT partner_id, tenant_id, applied_tier_id, evaluation_date, id FROM {table}
        WHERE evaluation_id = %s AND id BETWEEN %s AND %s
        ON CONFLICT (partner_id) DO UPDATE SET
            since = CASE WHEN {tiers}.tier_id = excluded.tier_id THEN {tiers}.since ELSE excluded.since END,
            tier_id = excluded.tier_id,
            assessment_id = excluded.assessment_id
        """,
        [context.evaluation_id, low, high],
    )


def rows_write(*, context: ChunkContext, prepared: PreparedChunk) -> list[int]:
    """Insert an assessment per row and upsert each partner's current tier pointing at it; returns the
    assessment ids in the order of the rows. COPY is the fastest way into PostgreSQL. A proposal's rows
    are inserted in their own table and change no current tier."""
    with connection.cursor() as cursor:
        if prepared.text is not None:
            cursor.copy_expert(
                f"COPY {context.table} ({', '.join(ASSESSMENT_COLUMNS)}) FROM STDIN",
                io.StringIO(prepared.text),
            )
            ids = prepared.ids
        else:
            ids = _insert_assessments(cursor, context, prepared.rows)
        if not context.proposal:
            _upsert_current_tiers(cursor, context, min(ids), max(ids))
    return ids


def tier_history_record(*, context: ChunkContext, low: int, high: int) -> None:
    """The history records (simple-history's table of PartnerTier) of the chunk's tier changes, in one
    INSERT … SELECT from the assessments ``low`` to ``high``: a change is an applied tier other than the
    previous one. The user is the assessment's (whoever ran or approved the evaluation, or overrode the
    partner; none for the scheduled job), the change reason the assessment's reason, or an override's own
    words. Only called for chunks with changes, so an evaluation that changes nothing writes nothing here.

    A partner's first tier (no previous tier) is not a change of it: its first assessment records it, by
    whom and why. Recording it too would add a row per partner to a tenant's first evaluation, some
    150,000 rows and most of a second of index upkeep for the bench's 200,000 partners.
    """
    table, history = Assessment._meta.db_table, PartnerTier.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {history} (partner_id, tenant_id, tier_id, since, assessment_id, history_date,
                                   history_change_reason, history_type, history_user_id)
            SELECT partner_id, tenant_id, applied_tier_id, evaluation_date, id, %s,
                   CASE WHEN reason = %s THEN substr(note, 1, 100) ELSE reason END, '~', applied_by_id
            FROM {table}
            WHERE evaluation_id = %s AND id BETWEEN %s AND %s AND applied_tier_id <> previous_tier_id
            """,
            [
                connection.ops.adapt_datetimefield_value(context.applied_at),
                Assessment.Reason.OVERRIDDEN.value,
                context.evaluation_id,
                low,
                high,
            ],
        )


PROPOSAL_COPY = ASSESSMENT_COLUMNS[1:-2]  # what an assessment takes over from its proposal as it is


def proposals_apply(*, context: ChunkContext, low: int, high: int) -> list[tuple[int, int, int | None, int]]:
    """Turn the evaluation's proposals ``low`` to ``high`` (ids) into assessments and apply their tiers,
    skipping the partners already assessed (an approval that died midway is resumed). An override's
    manager is the assessment's; the others take the approver's. Returns (assessment id, partner id,
    previous tier id, applied tier id) of the rows written."""
    table, proposals = Assessment._meta.db_table, ProposedAssessment._meta.db_table
    columns = ", ".join(PROPOSAL_COPY)
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} ({columns}, applied_by_id, applied_at)
            SELECT {columns}, COALESCE(overridden_by_id, %s), %s FROM {proposals} p
            WHERE evaluation_id = %s AND id BETWEEN %s AND %s
              AND NOT EXISTS (
                SELECT 1 FROM {table} a
                WHERE a.partner_id = p.partner_id AND a.evaluation_date = p.evaluation_date
              )
            ORDER BY id
            RETURNING id, partner_id, previous_tier_id, applied_tier_id
            """,
            [
                context.applied_by_id,
                ops.adapt_datetimefield_value(context.applied_at),
                context.evaluation_id,
                low,
                high,
            ],
        )
        written = cursor.fetchall()
        if written:
            ids = [row[0] for row in written]
            _upsert_current_tiers(cursor, context, min(ids), max(ids))
    return written
