"""What the tiers app adds to the back-office (partnerportal.dashboard, partnerportal.admin): partners per
tier and type, movements at the last evaluation and projected at the next, partners close to promotion and
at risk of demotion, the lists behind them, the tier filter, and the revenue and assessments of a partner.

The projection is the engine's dry run over the rolling window ("if we evaluated today", the figures of
"Mon statut" and of the evaluation preview), for the whole tenant at once: a handful of queries whatever
the number of partners (the engine reads them in chunks of 20,000).
"""

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import django_filters
import django_tables2 as tables
from django.contrib import admin
from django.core.cache import cache
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format, time_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from partnerportal import dashboard
from partnerportal.admin import partner_inlines_extend, partner_list_extend
from partnerportal.admin_site import ReadOnlyInlineMixin
from partnerportal.dashboard_charts import Segment, grouped_columns, stacked_bars
from partnerportal.formatting import date_format, money
from partnerportal.models import Partner, PartnerType
from partnerportal.tenancy import tenant_scope

from .calendar import add_months, next_evaluation_date, rolling_window
from .catalogue import NO_PROJECTION, PROJECTION_TTL, projection_key, summary_key
from .engine import regrade
from .grading import GRADED_STATUSES, Grader, RegradeError, Row
from .models import Assessment, Evaluation, RevenueEntry, Tier
from .selectors import partner_list_at_risk
from .standing import progress_percent

# "Close to promotion": a monthly basis within 10 % of the next tier's threshold.
CLOSE_TO_PROMOTION = Decimal("0.90")
PANEL_ROWS = 5


@dataclass(slots=True)
class Projection:
    """One partner evaluated today: its tier now, the tier it would get, and the way to the next one."""

    partner_id: int
    ref: str
    name: str
    partner_type: str
    current: Tier
    computed: Tier
    projected: Tier
    movement: str
    reason: str
    basis: Decimal
    next_tier: Tier | None
    next_threshold: Decimal | None
    # Kept at its tier by the grace period at the last evaluation (selectors.AT_RISK), as its home says.
    kept_by_grace: bool = False

    @property
    def progress(self) -> int | None:
        return progress_percent(self.basis, self.next_threshold)

    @property
    def gap(self) -> Decimal | None:
        if self.next_threshold is None:
            return None
        return max(Decimal("0"), self.next_threshold - self.basis)

    @property
    def close_to_promotion(self) -> bool:
        return (
            self.movement != Assessment.Movement.UP
            and self.next_threshold is not None
            and self.basis >= self.next_threshold * CLOSE_TO_PROMOTION
        )

    @property
    def at_risk(self) -> bool:
        """It would lose its tier: projected below it, or kept at it only by a grace period or a limit on
        demotions (its computed tier is below), or the last evaluation kept it by grace (the partner's home
        flags it too). A pinned partner keeps its tier, whatever its revenue."""
        if self.movement == Assessment.Movement.PINNED:
            return False
        return (
            self.kept_by_grace
            or self.projected.rank < self.current.rank
            or self.computed.rank < self.current.rank
        )


@dataclass
class TierProjection:
    grader: Grader
    evaluation_date: dt.date  # the date the rolling window ends before
    next_evaluation: dt.date
    rows: list[Projection]
    # Set on the compact copy kept in the cache, whose rows are only those the dashboard lists.
    stored_counts: dict[str, int] | None = None
    computed_at: dt.datetime | None = None
    # Graded partners per (type id, tier id) (``tier_distribution``), kept with the compact copy: it is
    # dropped on the same changes (partners, evaluations, tier changes) and costs a scan of the tenant's
    # partners, which every manager's home page would otherwise pay.
    distribution: dict[tuple[int, int], int] | None = None
    # Set on the panel's summary, which keeps only the first rows of each list: their full lengths.
    totals: dict[str, int] | None = None

    @property
    def counts(self) -> dict[str, int]:
        if self.stored_counts is not None:
            return self.stored_counts
        counts = {m: 0 for m in Assessment.Movement.values}
        for row in self.rows:
            counts[row.movement] += 1
        return counts

    def compact(self) -> "TierProjection":
        """What the dashboard and its lists read: the counts, and the partners close to promotion or at
        risk (a few percent of a tenant's partners), small enough to keep in the cache."""
        return TierProjection(
            grader=self.grader,
            evaluation_date=self.evaluation_date,
            next_evaluation=self.next_evaluation,
            rows=[r for r in self.rows if r.close_to_promotion or r.at_risk],
            stored_counts=self.counts,
            computed_at=timezone.now(),
            distribution=self.distribution,
        )

    def summary(self) -> "TierProjection":
        """What the dashboard's panel shows: the counts, the distribution, and the first PANEL_ROWS partners
        close to promotion and at risk with the lists' lengths. A few kilobytes, where the compact copy
        holds every partner of the two lists (a megabyte at 50,000 partners, read from the cache and
        unpickled on every manager's home page)."""
        close, risk = self.close_to_promotion(), self.at_risk()
        first = close[:PANEL_ROWS] + [row for row in risk[:PANEL_ROWS] if row not in close[:PANEL_ROWS]]
        return dataclasses.replace(
            self, rows=first, stored_counts=self.counts, totals={"close": len(close), "risk": len(risk)}
        )

    def close_to_promotion(self) -> list[Projection]:
        rows = [r for r in self.rows if r.close_to_promotion]
        return sorted(rows, key=lambda r: (-(r.progress or 0), r.name))

    def at_risk(self) -> list[Projection]:
        rows = [r for r in self.rows if r.at_risk]
        return sorted(rows, key=lambda r: (r.projected.rank - r.current.rank, r.name))


def tier_projection(*, tenant) -> TierProjection | None:
    """Every graded partner of ``tenant`` evaluated today (the engine's dry run), with its next threshold.

    None when the programme has no tiers yet."""
    try:
        grader = Grader(tenant)
    except RegradeError:
        return None
    window = rolling_window(tenant)
    rows: list[Row] = []
    regrade(tenant=tenant, evaluation_date=window.evaluation_date, dry_run=True, on_row=rows.append)
    # The rows name the partner's type; its thresholds are keyed by the type's id.
    types = dict(
        Partner.objects.filter(tenant=tenant, status__in=GRADED_STATUSES).values_list("pk", "partner_type_id")
    )
    ladders = {
        type_id: sorted(bars, key=lambda bar: bar[1].rank) for type_id, bars in grader.thresholds.items()
    }
    graced = set(partner_list_at_risk(tenant=tenant).values_list("pk", flat=True))
    projections = []
    for row in rows:
        current = row.previous_tier or grader.lowest
        following = next(
            (
                (minimum, tier)
                for minimum, tier in ladders.get(types.get(row.partner_id), [])
                if tier.rank > current.rank
            ),
            None,
        )
        projections.append(
            Projection(
                partner_id=row.partner_id,
                ref=row.partner_ref,
                name=row.partner_name,
                partner_type=row.partner_type,
                current=current,
                computed=row.computed_tier,
                projected=row.applied_tier,
                movement=row.movement,
                reason=row.reason,
                basis=row.basis,
                next_tier=following[1] if following else None,
                next_threshold=following[0] if following else None,
                kept_by_grace=row.partner_id in graced,
            )
        )
    return TierProjection(
        grader=grader,
        evaluation_date=window.evaluation_date,
        next_evaluation=next_evaluation_date(tenant),
        rows=projections,
    )


def cached_tier_projection(*, tenant) -> TierProjection | None:
    """``tier_projection``'s compact copy, from the cache: the engine's dry run over a tenant of 50,000
    partners takes seconds, and the dashboard is every manager's home page. The entry is dropped whenever
    what it is computed from changes (tiers/catalogue.py: revenue, tiers, pins, partners, evaluations) and
    lives at most PROJECTION_TTL seconds."""
    with tenant_scope(tenant):
        cached = cache.get(projection_key(tenant.pk))
        if cached is None:
            projection = tier_projection(tenant=tenant)
            if projection is not None:
                projection.distribution = tier_distribution(tenant=tenant, grader=projection.grader)
            cached = NO_PROJECTION if projection is None else projection.compact()
            cache.set(projection_key(tenant.pk), cached, PROJECTION_TTL)
    return None if cached == NO_PROJECTION else cached


def cached_tier_summary(*, tenant) -> TierProjection | None:
    """The panel's ``TierProjection.summary``, from the cache, dropped and expiring with the projection."""
    with tenant_scope(tenant):
        cached = cache.get(summary_key(tenant.pk))
        if cached is None:
            projection = cached_tier_projection(tenant=tenant)
            cached = NO_PROJECTION if projection is None else projection.summary()
            cache.set(summary_key(tenant.pk), cached, PROJECTION_TTL)
    return None if cached == NO_PROJECTION else cached


def tier_distribution(*, tenant, grader: Grader) -> dict[tuple[int, int], int]:
    """Graded partners per (type id, tier id): one grouped query; a partner never assessed is at the entry
    tier."""
    counts: dict[tuple[int, int], int] = {}
    for type_id, tier_id, n in (
        Partner.objects.filter(tenant=tenant, status__in=GRADED_STATUSES)
        .order_by()
        .values("partner_type_id", "current_tier__tier_id")
        .annotate(n=Count("pk"))
        .values_list("partner_type_id", "current_tier__tier_id", "n")
    ):
        key = (type_id, tier_id or grader.lowest.pk)
        counts[key] = counts.get(key, 0) + n
    return counts


def evaluation_last(*, tenant) -> Evaluation | None:
    return (
        Evaluation.objects.filter(tenant=tenant, status=Evaluation.Status.FINISHED)
        .order_by("-evaluation_date")
        .first()
    )


# --- the panel ---------------------------------------------------------------------------------------------

MOVEMENTS = [
    (Assessment.Movement.UP, _("Up")),
    (Assessment.Movement.DOWN, _("Down")),
    (Assessment.Movement.SAME, _("Same")),
    (Assessment.Movement.PINNED, _("Pinned")),
    (Assessment.Movement.HELD, _("Held")),
]


def _money(amount: Decimal) -> str:
    return money(amount, decimals=0)


def _partner_url(partner_id: int) -> str:
    return reverse("admin:partnerportal_partner_change", args=[partner_id])


def _top_items(rows: list[Projection], *, risk: bool) -> list[dict]:
    items = []
    for row in rows[:PANEL_ROWS]:
        if risk:
            meta = gettext("%(tier)s → %(projected)s, %(basis)s per month") % {
                "tier": row.current.name,
                "projected": row.computed.name,
                "basis": _money(row.basis),
            }
        elif row.movement in (Assessment.Movement.HELD, Assessment.Movement.PINNED):
            # It clears the threshold, or nearly, but would keep its tier: say why.
            meta = str(Assessment.Reason(row.reason).label)
        else:
            meta = gettext("%(gap)s per month short of %(tier)s") % {
                "gap": _money(row.gap or 0),
                "tier": row.next_tier.name if row.next_tier else "",
            }
        items.append(
            {
                "label": row.name,
                "url": _partner_url(row.partner_id),
                "meta": meta,
                "badge": row.partner_type,
                "progress": None if risk else row.progress,
            }
        )
    return items


def tiers_panel(*, request, tenant) -> dashboard.PanelContent | None:
    projection = cached_tier_summary(tenant=tenant)
    if projection is None:
        return None
    grader = projection.grader
    distribution = projection.distribution
    if distribution is None:
        distribution = tier_distribution(tenant=tenant, grader=grader)
    types = list(PartnerType.objects.filter(tenant=tenant).order_by("position", "name"))
    graded = sum(distribution.values())
    applicants = Partner.objects.filter(tenant=tenant, status=Partner.Status.APPLICANT).count()
    close, risk = projection.close_to_promotion(), projection.at_risk()
    totals = projection.totals or {"close": len(close), "risk": len(risk)}
    last = evaluation_last(tenant=tenant)
    counts = projection.counts

    tier_rows = [
        (
            tier.name,
            tier.colour,
            [
                Segment(label=t.name, value=distribution.get((t.pk, tier.pk), 0), css=f"dash-series-{i % 6}")
                for i, t in enumerate(types)
            ],
        )
        for tier in reversed(grader.ladder)
    ]
    tier_table = [
        {
            "tier": tier,
            "url": dashboard.list_url("partners", tier=tier.pk),
            "counts": [distribution.get((t.pk, tier.pk), 0) for t in types],
            "total": sum(distribution.get((t.pk, tier.pk), 0) for t in types),
        }
        for tier in reversed(grader.ladder)
    ]
    groups = [
        (
            str(name),
            [
                Segment(
                    label=gettext("Last evaluation"),
                    value=getattr(last, key, 0) if last else 0,
                    css="dash-series-muted",
                ),
                Segment(label=gettext("Projected"), value=counts[key], css="dash-series-0"),
            ],
        )
        for key, name in MOVEMENTS
    ]
    next_label = date_format(projection.next_evaluation)
    sections = [
        dashboard.Section(
            title=gettext("Partners per tier"),
            template="admin/dashboard/section_tiers.html",
            context={
                "chart": stacked_bars(rows=tier_rows, label=gettext("Partners per tier and type")),
                "types": [{"name": t.name, "css": f"dash-series-{i % 6}"} for i, t in enumerate(types)],
                "table": tier_table,
                "type_totals": [
                    sum(distribution.get((t.pk, tier.pk), 0) for tier in grader.ladder) for t in types
                ],
                "total": graded,
            },
            order=10,
            link=dashboard.list_url("partners"),
            link_label=gettext("All partners"),
        ),
        dashboard.Section(
            title=gettext("Tier movements"),
            template="admin/dashboard/section_chart.html",
            context={
                "chart": grouped_columns(
                    groups=groups,
                    label=gettext("Tier movements at the last evaluation and projected at the next"),
                ),
                "legend": [
                    {
                        "name": gettext("Last evaluation (%(date)s)")
                        % {"date": date_format(last.evaluation_date)}
                        if last
                        else gettext("No evaluation yet"),
                        "css": "dash-series-muted",
                    },
                    {
                        "name": gettext("Projected on %(date)s") % {"date": next_label},
                        "css": "dash-series-0",
                    },
                ],
                "note": gettext(
                    "Projected: today's monthly basis over the last %(months)d complete months, graded by the "
                    "programme's rule (pins, holds and grace included), as computed at %(time)s."
                )
                % {
                    "months": tenant.evaluation_period_months,
                    "time": time_format(timezone.localtime(projection.computed_at or timezone.now())),
                },
            },
            order=20,
            link=reverse("admin:tiers_evaluation_preview"),
            link_label=gettext("Evaluation preview"),
        ),
        dashboard.Section(
            title=gettext("Close to promotion"),
            template="admin/dashboard/section_list.html",
            context={
                "items": _top_items(close, risk=False),
                "empty": gettext("Nobody within 10 % of the next tier."),
                "total": totals["close"],
            },
            order=30,
            link=dashboard.list_url("promotion"),
            link_label=gettext("All %(count)d") % {"count": totals["close"]},
        ),
        dashboard.Section(
            title=gettext("At risk of demotion"),
            template="admin/dashboard/section_list.html",
            context={
                "items": _top_items(risk, risk=True),
                "empty": gettext("Nobody would lose a tier today."),
                "total": totals["risk"],
                "tone": "bad",
            },
            order=40,
            link=dashboard.list_url("at-risk"),
            link_label=gettext("All %(count)d") % {"count": totals["risk"]},
        ),
    ]
    cards = [
        dashboard.Card(
            label=gettext("Partners in the programme"),
            value=number_format(graded, 0, force_grouping=True),
            detail=ngettext("%(count)d applicant", "%(count)d applicants", applicants)
            % {"count": applicants},
            url=dashboard.list_url("partners"),
        ),
        dashboard.Card(
            label=gettext("Close to promotion"),
            value=str(totals["close"]),
            detail=gettext("within 10 % of the next tier"),
            url=dashboard.list_url("promotion"),
            tone="good" if close else "neutral",
        ),
        dashboard.Card(
            label=gettext("At risk of demotion"),
            value=str(totals["risk"]),
            detail=gettext("evaluated on %(date)s") % {"date": next_label},
            url=dashboard.list_url("at-risk"),
            tone="bad" if risk else "good",
        ),
    ]
    return dashboard.PanelContent(cards=cards, sections=sections)


dashboard.register_panel(dashboard.Panel("tiers", tiers_panel, order=10))


# --- the lists ---------------------------------------------------------------------------------------------


def _admin_link(record) -> str:
    return _partner_url(getattr(record, "partner_id", None) or record.pk)


class PartnerTierTable(tables.Table):
    external_ref = tables.Column(verbose_name=_("Reference"))
    legal_name = tables.Column(verbose_name=_("Partner"), linkify=_admin_link)
    partner_type = tables.Column(verbose_name=_("Type"), accessor="partner_type__name")
    tier = tables.Column(
        verbose_name=_("Tier"),
        accessor="current_tier__tier__name",
        order_by=("current_tier__tier__rank",),
        default="—",
    )
    basis = tables.Column(
        verbose_name=_("Monthly basis (€)"),
        accessor="current_tier__assessment__basis",
        default="—",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    status = tables.Column(verbose_name=_("Status"))
    channel_manager = tables.Column(verbose_name=_("Channel manager"), default="—")
    city = tables.Column(verbose_name=_("City"))

    class Meta:
        attrs = {"class": "dash-table"}
        empty_text = _("No partner matches.")
        order_by = ("legal_name",)

    def render_basis(self, value):
        return number_format(value, 2, force_grouping=True)

    def value_basis(self, value):
        return value


def _partners_rows(*, tenant, partners):
    queryset = partners if partners is not None else Partner.objects.filter(tenant=tenant)
    return queryset.filter(tenant=tenant).select_related(
        "partner_type", "current_tier__tier", "current_tier__assessment", "channel_manager"
    )


class ProjectionTable(tables.Table):
    ref = tables.Column(verbose_name=_("Reference"))
    name = tables.Column(verbose_name=_("Partner"), linkify=_admin_link)
    partner_type = tables.Column(verbose_name=_("Type"))
    current = tables.Column(verbose_name=_("Tier"), order_by=("current__rank",))
    basis = tables.Column(
        verbose_name=_("Monthly basis (€)"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    next_tier = tables.Column(verbose_name=_("Next tier"), default="—", order_by=("next_tier__rank",))
    next_threshold = tables.Column(
        verbose_name=_("Its threshold (€)"),
        default="—",
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    progress = tables.Column(
        verbose_name=_("Progress"), default="—", attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    projected = tables.Column(verbose_name=_("Projected tier"), order_by=("projected__rank",))
    reason = tables.Column(verbose_name=_("Why"))

    class Meta:
        attrs = {"class": "dash-table"}
        empty_text = _("No partner matches.")

    def render_basis(self, value):
        return number_format(value, 2, force_grouping=True)

    def render_next_threshold(self, value):
        return number_format(value, 2, force_grouping=True)

    def render_progress(self, value):
        return f"{value} %"

    def render_reason(self, value):
        return Assessment.Reason(value).label if value in Assessment.Reason.values else value

    def value_reason(self, value):
        return self.render_reason(value)

    def value_current(self, value):
        return value.name

    value_projected = value_next_tier = value_current


def _narrowed(rows: list[Projection], partners) -> list[Projection]:
    if partners is None:
        return rows
    ids = set(partners.values_list("pk", flat=True))
    return [r for r in rows if r.partner_id in ids]


def _promotion_rows(*, tenant, partners):
    projection = cached_tier_projection(tenant=tenant)
    return _narrowed(projection.close_to_promotion(), partners) if projection else []


def _risk_rows(*, tenant, partners):
    projection = cached_tier_projection(tenant=tenant)
    return _narrowed(projection.at_risk(), partners) if projection else []


dashboard.register_list(
    dashboard.DashboardList(
        slug="partners",
        title=_("Partners per tier"),
        description=_("Every partner with its current tier and the monthly basis of its last assessment."),
        table=PartnerTierTable,
        rows=_partners_rows,
        order=10,
    )
)
dashboard.register_list(
    dashboard.DashboardList(
        slug="promotion",
        title=_("Close to promotion"),
        description=_(
            "Partners whose monthly basis, evaluated today, is within 10 % of the next tier's threshold."
        ),
        table=ProjectionTable,
        rows=_promotion_rows,
        order=20,
    )
)
dashboard.register_list(
    dashboard.DashboardList(
        slug="at-risk",
        title=_("At risk of demotion"),
        description=_(
            "Partners whose monthly basis, evaluated today, falls below their tier's threshold (kept only by "
            "a grace period or a limit on demotions included)."
        ),
        table=ProjectionTable,
        rows=_risk_rows,
        order=30,
    )
)


# --- the tier filter of the lists ------------------------------------------------------------------------


def _tiers_of(request):
    return Tier.objects.filter(tenant=request.tenant).order_by("rank")


def _filter_tier(queryset, name, tier):
    if tier is None:
        return queryset
    # A partner never assessed is at the entry tier.
    is_entry = not Tier.objects.filter(tenant_id=tier.tenant_id, rank__lt=tier.rank).exists()
    condition = Q(current_tier__tier=tier)
    if is_entry:
        condition |= Q(current_tier__isnull=True)
    return queryset.filter(condition)


dashboard.partner_filter_extend(
    "tier",
    django_filters.ModelChoiceFilter(
        label=_("Tier"), queryset=_tiers_of, method=_filter_tier, empty_label=_("All tiers")
    ),
)


# --- the partners' admin: monthly basis column, revenue and assessments -----------------------------------


@admin.display(description=_("monthly basis"), ordering="current_tier__assessment__basis")
def basis_column(partner) -> str:
    current = getattr(partner, "current_tier", None)
    if current is None or current.assessment is None:
        return "—"
    return _money(current.assessment.basis)


partner_list_extend(
    column=basis_column,
    before="status",
    queryset=lambda queryset: queryset.select_related("current_tier__assessment"),
)


REVENUE_MONTHS = 12


class RevenueInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = RevenueEntry
    verbose_name_plural = _("revenue of the last 12 months")
    fields = ["month", "category", "amount"]
    readonly_fields = fields
    ordering = ["-month", "category"]

    def get_queryset(self, request):
        since = add_months(request.tenant.today(), -REVENUE_MONTHS)
        return (
            super()
            .get_queryset(request)
            .filter(month__gte=since)
            .select_related("partner")  # str() of a row names its partner
            .order_by("-month", "category")
        )


class AssessmentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Assessment
    fields = ["evaluation_date", "basis", "previous_tier", "applied_tier", "movement", "reason", "note"]
    readonly_fields = fields
    ordering = ["-evaluation_date"]

    def get_queryset(self, request):
        # str() of a row (its title on the page) names the partner and the tier.
        return super().get_queryset(request).select_related("previous_tier", "applied_tier", "partner")


partner_inlines_extend(AssessmentInline, order=20)
partner_inlines_extend(RevenueInline, order=30)
