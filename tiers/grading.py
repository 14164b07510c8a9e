"""The re-grading engine: set-based, chunked, resumable and idempotent.

The rule (README, "The grading rule"): at an evaluation date D the window is the N complete calendar
months before D (N = the tenant's evaluation period, 6). A partner's basis is its qualifying revenue in
the window divided by the months of the window during which it was a member (the month it joined counts).
Its tier is the highest tier whose threshold for its partner type is ≤ the basis. The comparison is exact:
``revenue ≥ threshold × months``, so no rounding decides a tier; the basis is rounded to the cent (half up)
only to be stored and shown. No qualifying revenue at all gives the lowest tier. A tenant may limit how
many tiers one evaluation can take away. A pin whose end date is on or after D keeps its tier.

One aggregate reads the whole tenant's qualifying revenue for the window. Then, per chunk of partners
(keyset pagination on the id): one query for the partners, one for their pins, then bulk writes — so
the number of queries grows with the chunks, not with the partners. Each chunk commits on its own and skips partners already assessed for D, so a
run that dies midway is finished by running it again, with no partner lost or counted twice.
"""

import datetime as dt
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, reset_queries, transaction
from django.db.models import F, Sum
from django.utils import timezone

from partnerportal.models import Partner, Tenant

from .calendar import Window, months_between, window_for
from .locks import RegradeInProgress, regrade_lock
from .models import Assessment, Evaluation, GradingPolicy, PartnerTier, RevenueEntry, Threshold, Tier, TierPin
from .signals import TierChange

CENT = Decimal("0.01")
# Partners in the programme at the evaluation; applicants have not joined, terminated ones have left.
GRADED_STATUSES = (Partner.Status.ACTIVE, Partner.Status.SUSPENDED)
DEFAULT_CHUNK_SIZE = 20000


class RegradeError(Exception):
    """A run that cannot start; the message is for the person who asked for it."""


__all__ = ["RegradeError", "RegradeInProgress", "regrade", "assessment_rows", "Row", "RegradeResult"]


@dataclass
class Row:
    """One partner's result, for reports and previews."""

    partner_id: int
    partner_ref: str
    partner_name: str
    partner_type: str
    months: int
    revenue: Decimal
    basis: Decimal
    previous_tier: Tier | None
    computed_tier: Tier
    applied_tier: Tier
    reason: str
    movement: str
    # The applied tier differs from the one the partner had (the entry tier if never assessed).
    changed: bool = False


@dataclass
class RegradeResult:
    tenant: Tenant
    window: Window
    dry_run: bool
    already_done: bool = False
    partners: int = 0
    counts: dict = field(default_factory=lambda: {m: 0 for m in Assessment.Movement.values})
    seconds: float = 0.0
    evaluation: Evaluation | None = None

    def summary(self) -> str:
        c = self.counts
        return (
            f"partners {self.partners}, up {c['up']}, down {c['down']}, same {c['same']}, "
            f"pinned {c['pinned']}, seconds {self.seconds:.2f}"
        )


class Grader:
    """Everything a tenant's grading needs that does not depend on the partner, loaded once."""

    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        policy = GradingPolicy.objects.filter(tenant=tenant).first()
        self.categories = policy.qualifying_categories if policy else ["recurring"]
        self.max_demotion = policy.max_demotion_steps if policy else None
        self.tiers = {t.pk: t for t in Tier.objects.filter(tenant=tenant).order_by("rank")}
        if not self.tiers:
            raise RegradeError(
                f"The programme {tenant.slug} has no tiers: add them in the back-office first."
            )
        self.ladder = sorted(self.tiers.values(), key=lambda t: t.rank)
        self.position = {tier.pk: index for index, tier in enumerate(self.ladder)}
        self.lowest = self.ladder[0]
        self.thresholds: dict[int, list[tuple[Decimal, Tier]]] = {}
        for threshold in Threshold.objects.filter(tenant=tenant).order_by("-minimum_monthly"):
            self.thresholds.setdefault(threshold.partner_type_id, []).append(
                (threshold.minimum_monthly, self.tiers[threshold.tier_id])
            )

    def computed_tier(self, partner_type_id: int, revenue: Decimal, months: int) -> Tier:
        # Highest threshold first; the comparison is exact (no rounded average decides a tier).
        for minimum, tier in self.thresholds.get(partner_type_id, []):
            if revenue >= minimum * months:
                return tier
        return self.lowest

    def grade(self, *, partner_type_id, revenue, months, previous_tier_id, pin_tier_id):
        """(computed tier, applied tier, reason, movement) for one partner."""
        previous = self.tiers.get(previous_tier_id) if previous_tier_id else None
        if revenue is None:
            computed, reason = self.lowest, Assessment.Reason.NO_DATA
            revenue = Decimal("0")
        else:
            computed, reason = (
                self.computed_tier(partner_type_id, revenue, months),
                Assessment.Reason.COMPUTED,
            )
        applied = computed
        baseline = previous or self.lowest  # a partner never assessed is at the entry tier
        if self.max_demotion is not None:
            # Counted in tiers of the ladder, whatever numbers the ranks use.
            floor = self.position[baseline.pk] - self.max_demotion
            if self.position[applied.pk] < floor:
                applied = self.ladder[floor]
        if pin_tier_id:
            applied, reason = self.tiers[pin_tier_id], Assessment.Reason.PINNED
            movement = Assessment.Movement.PINNED
        elif applied.rank > baseline.rank:
            movement = Assessment.Movement.UP
        elif applied.rank < baseline.rank:
            movement = Assessment.Movement.DOWN
        else:
            movement = Assessment.Movement.SAME
        return computed, applied, reason, movement


def _chunks(
    tenant: Tenant, evaluation_date: dt.date, chunk_size: int, skip_assessed: bool
) -> Iterator[list[dict]]:
    """Partners to grade, by keyset pages on the id.

    Partners already assessed for the date (a resumed run) are dropped page by page with a range query
    on the (partner, evaluation_date) unique index, rather than with an anti-join whose plan degrades as
    the history grows.
    """
    partners = Partner.objects.filter(
        tenant=tenant, status__in=GRADED_STATUSES, date_joined__lt=evaluation_date
    )
    fields = ["pk", "partner_type_id", "date_joined", "current_tier__tier_id", "current_tier__since"]
    if not skip_assessed:
        # Previews and dry runs show names; a real run reads them back with its report (assessment_rows).
        fields += ["external_ref", "legal_name", "partner_type__name"]
    last_id = 0
    while True:
        page = list(partners.filter(pk__gt=last_id).order_by("pk").values(*fields)[:chunk_size])
        if not page:
            return
        last_id = page[-1]["pk"]
        if skip_assessed:
            done = set(
                Assessment.objects.filter(
                    partner_id__gte=page[0]["pk"], partner_id__lte=last_id, evaluation_date=evaluation_date
                ).values_list("partner_id", flat=True)
            )
            page = [p for p in page if p["pk"] not in done]
        if page:
            yield page


def _revenue_totals(tenant: Tenant, grader: Grader, window: Window) -> dict[int, Decimal]:
    """Qualifying revenue per partner over the window: one aggregate for the whole tenant.

    One statement lets PostgreSQL pick one hash aggregate over the window; per-chunk range aggregates
    were at the mercy of the planner (measured: a parallel scan of the whole ledger for every chunk).
    """
    return dict(
        RevenueEntry.objects.filter(
            tenant=tenant,
            month__gte=window.start,
            month__lte=window.end,
            category__in=grader.categories,
        )
        .order_by()  # Meta.ordering would join the partners for nothing
        .values("partner_id")
        .annotate(total=Sum("amount"))
        .values_list("partner_id", "total")
        .iterator(chunk_size=20000)
    )


def _grade_chunk(
    grader: Grader, window: Window, chunk: list[dict], revenue: dict[int, Decimal]
) -> list[tuple[dict, Row]]:
    low, high = chunk[0]["pk"], chunk[-1]["pk"]
    pins = {}
    for partner_id, tier_id in (
        TierPin.objects.filter(partner_id__gte=low, partner_id__lte=high, ends_on__gte=window.evaluation_date)
        .order_by("partner_id", "created_at")
        .values_list("partner_id", "tier_id")
    ):
        pins[partner_id] = tier_id  # the newest pin of a partner wins
    graded = []
    for p in chunk:
        months = min(window.months, months_between(p["date_joined"], window.evaluation_date))
        total = revenue.get(p["pk"])
        computed, applied, reason, movement = grader.grade(
            partner_type_id=p["partner_type_id"],
            revenue=total,
            months=months,
            previous_tier_id=p["current_tier__tier_id"],
            pin_tier_id=pins.get(p["pk"]),
        )
        total = total or Decimal("0")
        row = Row(
            partner_id=p["pk"],
            partner_ref=p.get("external_ref", ""),
            partner_name=p.get("legal_name", ""),
            partner_type=p.get("partner_type__name", ""),
            months=months,
            revenue=total,
            basis=(total / months).quantize(CENT, ROUND_HALF_UP),
            previous_tier=grader.tiers.get(p["current_tier__tier_id"]),
            computed_tier=computed,
            applied_tier=applied,
            reason=reason,
            movement=movement,
            changed=applied.id != (p["current_tier__tier_id"] or grader.lowest.id),
        )
        graded.append((p, row))
    return graded


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
    "applied_by_id",
    "applied_at",
]
PARTNER_TIER_COLUMNS = ["partner_id", "tenant_id", "tier_id", "since", "assessment_id"]
PARTNER_TIER_UPSERT = (
    "ON CONFLICT (partner_id) DO UPDATE SET tier_id = excluded.tier_id, since = excluded.since, "
    "assessment_id = excluded.assessment_id"
)


def _write_postgresql(assessments: list[tuple], partner_tiers: list[tuple]) -> list[int]:
    """COPY is the fastest way into PostgreSQL.

    Ids are taken from the sequence first, so that the current tiers can point at their assessments;
    current tiers go through a temporary table into one INSERT … ON CONFLICT. Values are ids, dates,
    decimals, choice codes and one timestamp: nothing to escape but NULL.
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
            by,
            at,
        ) in zip(ids, assessments, strict=True):
            previous = "\\N" if previous is None else previous
            by = "\\N" if by is None else by
            lines.append(
                f"{i}\t{tenant}\t{partner}\t{evaluation}\t{day}\t{start}\t{end}\t{months}\t{revenue}\t{basis}\t"
                f"{previous}\t{computed}\t{applied}\t{reason}\t{movement}\t{by}\t{at}\n"
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


def _write_chunk(*, tenant, evaluation, window, graded, by, now) -> list[int]:
    """Write the chunk's assessments and current tiers; returns the assessment ids in ``graded`` order."""
    by_id = by.pk if by else None
    assessments = [
        (
            tenant.pk,
            row.partner_id,
            evaluation.pk,
            window.evaluation_date,
            window.start,
            window.end,
            row.months,
            row.revenue,
            row.basis,
            row.previous_tier.id if row.previous_tier else None,
            row.computed_tier.id,
            row.applied_tier.id,
            row.reason,
            row.movement,
            by_id,
            now,
        )
        for _, row in graded
    ]
    partner_tiers = [
        (
            row.partner_id,
            tenant.pk,
            row.applied_tier.id,
            # "since" moves only when the tier does.
            p["current_tier__since"]
            if p["current_tier__tier_id"] == row.applied_tier.id
            else window.evaluation_date,
        )
        for p, row in graded
    ]
    if connection.vendor == "postgresql":
        ids = _write_postgresql(assessments, partner_tiers)
    else:
        ids = _write_generic(assessments, partner_tiers)
    counts = {m: 0 for m in Assessment.Movement.values}
    for _, row in graded:
        counts[row.movement] += 1
    Evaluation.objects.filter(pk=evaluation.pk).update(
        partners=F("partners") + len(graded), **{m: F(m) + n for m, n in counts.items()}
    )
    return ids


def regrade(
    *,
    tenant: Tenant,
    evaluation_date: dt.date,
    dry_run: bool = False,
    by=None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_row: Callable[[Row], None] | None = None,
    on_chunk: Callable[[int], None] | None = None,
    on_changes: Callable[[list[TierChange]], None] | None = None,
) -> RegradeResult:
    """Grade every partner of ``tenant`` at ``evaluation_date``; see the module docstring for the rule.

    Writes one Assessment per partner and its PartnerTier, chunk by chunk; a dry run writes nothing.
    ``on_changes`` gets each chunk's tier changes inside the chunk's transaction, so that the caller can
    act when it commits (the engine sends and queues nothing itself). A second run of a finished
    evaluation writes nothing; a run while another runs for the same tenant raises RegradeInProgress.
    """
    if chunk_size < 1:
        raise RegradeError(f"The chunk size must be at least 1, not {chunk_size}.")
    started = time.perf_counter()
    window = window_for(evaluation_date, tenant.evaluation_period_months)
    grader = Grader(tenant)
    result = RegradeResult(tenant=tenant, window=window, dry_run=dry_run)

    revenue = _revenue_totals(tenant, grader, window)

    if dry_run:
        for chunk in _chunks(tenant, evaluation_date, chunk_size, skip_assessed=False):
            for _, row in _grade_chunk(grader, window, chunk, revenue):
                result.partners += 1
                result.counts[row.movement] += 1
                if on_row:
                    on_row(row)
            if on_chunk:
                on_chunk(len(chunk))
        result.seconds = time.perf_counter() - started
        return result

    with regrade_lock(tenant):
        evaluation, _ = Evaluation.objects.get_or_create(
            tenant=tenant,
            evaluation_date=evaluation_date,
            defaults={"window_start": window.start, "window_end": window.end, "started_by": by},
        )
        if evaluation.status == Evaluation.Status.FINISHED:
            result.already_done = True
        else:
            Evaluation.objects.filter(pk=evaluation.pk).update(status=Evaluation.Status.RUNNING, error="")
            try:
                for chunk in _chunks(tenant, evaluation_date, chunk_size, skip_assessed=True):
                    graded = _grade_chunk(grader, window, chunk, revenue)
                    with transaction.atomic():
                        if connection.vendor == "postgresql":
                            # A chunk lost to a server crash is redone by the next run, so the job need
                            # not wait for each commit to reach the disk.
                            with connection.cursor() as cursor:
                                cursor.execute("SET LOCAL synchronous_commit TO OFF")
                        assessment_ids = _write_chunk(
                            tenant=tenant,
                            evaluation=evaluation,
                            window=window,
                            graded=graded,
                            by=by,
                            now=timezone.now(),
                        )
                        changes = [
                            TierChange(
                                row.partner_id,
                                row.previous_tier.id if row.previous_tier else None,
                                row.applied_tier.id,
                                assessment_id,
                            )
                            for (_, row), assessment_id in zip(graded, assessment_ids, strict=True)
                            if row.changed
                        ]
                        if changes and on_changes:
                            on_changes(changes)
                    if on_chunk:
                        on_chunk(len(chunk))
                    reset_queries()  # with DEBUG on, Django would keep every chunk's SQL
            except Exception as exc:
                Evaluation.objects.filter(pk=evaluation.pk).update(
                    status=Evaluation.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
                )
                raise
            Evaluation.objects.filter(pk=evaluation.pk).update(
                status=Evaluation.Status.FINISHED, finished_at=timezone.now()
            )
        evaluation.refresh_from_db()
    result.evaluation = evaluation
    result.partners = evaluation.partners
    result.counts = {m: getattr(evaluation, m) for m in Assessment.Movement.values}
    if on_row:
        for row in assessment_rows(evaluation=evaluation):
            on_row(row)
    result.seconds = time.perf_counter() - started
    return result


def assessment_rows(*, evaluation: Evaluation) -> Iterator[Row]:
    """The rows of a finished evaluation, streamed, for reports."""
    queryset = (
        Assessment.objects.filter(evaluation=evaluation)
        .select_related("partner", "partner__partner_type", "previous_tier", "computed_tier", "applied_tier")
        .order_by("partner_id")
    )
    for a in queryset.iterator(chunk_size=2000):
        yield Row(
            partner_id=a.partner_id,
            partner_ref=a.partner.external_ref,
            partner_name=a.partner.legal_name,
            partner_type=a.partner.partner_type.name,
            months=a.months_counted,
            revenue=a.revenue,
            basis=a.basis,
            previous_tier=a.previous_tier,
            computed_tier=a.computed_tier,
            applied_tier=a.applied_tier,
            reason=a.reason,
            movement=a.movement,
        )
