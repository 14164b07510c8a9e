"""The back-office home page (/admin/): what the apps contribute to it, in registries the core owns.

Each app adds its part from its own ``backoffice`` module, found the way Django finds ``admin`` modules
(``autodiscover_modules``), so the core names no app and an app removed from INSTALLED_APPS takes its
panels, lists and review queue with it:

- panels: figures (cards) and sections (a chart, a short list) of the tenant's dashboard;
- lists: the full lists behind the panels, django-tables2 tables narrowed by the partners' filter
  (django-filter), sortable and exported to CSV (dashboard_views.py);
- review sources: what waits for a manager's decision (duty evidence, benefit claims), merged into one
  queue here;
- partner filters: extra filters of the partners' filter (the tier).

Every function here takes the tenant: the platform superuser's back-office runs unscoped, so a query
that relied on the scope alone would read every tenant.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from .models import Partner, PartnerType, Tenant

# --- what a panel shows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """A headline figure; ``tone`` (neutral, good, warn, bad) colours it."""

    label: str
    value: str
    detail: str = ""
    url: str = ""
    tone: str = "neutral"


@dataclass(frozen=True)
class Section:
    """A block of the dashboard, rendered by ``template`` with ``context`` (admin/dashboard/section_*.html)."""

    title: str
    template: str
    context: dict
    order: int = 100
    link: str = ""  # "see all" address
    link_label: str = ""


@dataclass
class PanelContent:
    cards: list[Card] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class Panel:
    key: str
    build: Callable[..., PanelContent | None]  # build(request=..., tenant=...)
    order: int = 100


@dataclass(frozen=True)
class DashboardList:
    """A full list behind the dashboard: ``rows(tenant=..., partners=...)`` gives the table's data, where
    ``partners`` is the filtered partners' queryset, or None when no filter is set."""

    slug: str
    title: str
    table: type[tables.Table]
    rows: Callable[..., Any]
    description: str = ""
    order: int = 100
    filters: bool = True


@dataclass(frozen=True)
class ReviewRow:
    kind: str
    partner_id: int
    partner_name: str
    item: str
    submitted_at: dt.datetime | None
    url: str


@dataclass(frozen=True)
class ReviewSource:
    """Items waiting for a manager: ``pending()`` is a queryset of a model with ``tenant`` and ``partner``
    (unfiltered: the core narrows it to the tenant), ``row(obj)`` one item as a row of the queue."""

    key: str
    label: str
    pending: Callable[[], QuerySet]
    row: Callable[[Any], ReviewRow]
    changelist: str = ""  # URL name of the app's own queue
    order: int = 100
    submitted: str = ""  # the field that says since when an item waits (the panel reads the oldest only)


_panels: list[Panel] = []
_lists: dict[str, DashboardList] = {}
_review_sources: list[ReviewSource] = []
_partner_filters: dict[str, django_filters.Filter] = {}
_discovered = False


def discover() -> None:
    """Import every app's ``backoffice`` module once (the admin site does it when it builds its URLs)."""
    global _discovered
    if not _discovered:
        _discovered = True
        autodiscover_modules("backoffice")


def register_panel(panel: Panel) -> None:
    if all(p.key != panel.key for p in _panels):
        _panels.append(panel)
        _panels.sort(key=lambda p: p.order)


def register_list(entry: DashboardList) -> None:
    _lists.setdefault(entry.slug, entry)


def register_review_source(source: ReviewSource) -> None:
    if all(s.key != source.key for s in _review_sources):
        _review_sources.append(source)
        _review_sources.sort(key=lambda s: s.order)


def partner_filter_extend(name: str, filter_: django_filters.Filter) -> None:
    """Add a filter to the partners' filter of the dashboard's lists (the tiers app adds the tier)."""
    _partner_filters.setdefault(name, filter_)


def panels() -> list[Panel]:
    discover()
    return list(_panels)


def list_get(slug: str) -> DashboardList | None:
    discover()
    return _lists.get(slug)


def lists() -> list[DashboardList]:
    discover()
    return sorted(_lists.values(), key=lambda entry: entry.order)


def review_sources() -> list[ReviewSource]:
    discover()
    return list(_review_sources)


def list_url(slug: str, **query) -> str:
    url = reverse("admin:dashboard-list", args=[slug])
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return url


# --- the partners' filter -------------------------------------------------------------------------------


def _partner_types(request):
    return PartnerType.objects.filter(tenant=request.tenant).order_by("position", "name")


class PartnerFilterBase(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    partner_type = django_filters.ModelChoiceFilter(
        label=_("Partner type"), queryset=_partner_types, empty_label=_("All types")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Partner.Status.choices, empty_label=_("All statuses")
    )

    class Meta:
        model = Partner
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(legal_name__icontains=value)
            | Q(trade_name__icontains=value)
            | Q(external_ref__icontains=value)
            | Q(city__icontains=value)
        )


def partner_filterset(*, request: HttpRequest, tenant: Tenant) -> django_filters.FilterSet:
    """The partners' filter with the apps' extra filters (after the search), bound to the query string."""
    discover()
    filterset_class = type("PartnerFilter", (PartnerFilterBase,), dict(_partner_filters))
    order = ["q", *_partner_filters, "partner_type", "status"]
    filterset_class.base_filters = {name: filterset_class.base_filters[name] for name in order}
    return filterset_class(
        request.GET or None, queryset=Partner.objects.filter(tenant=tenant), request=request
    )


def filtered_partners(filterset: django_filters.FilterSet) -> QuerySet[Partner] | None:
    """The filtered partners, or None when no filter is set (lists then need not narrow their rows)."""
    if not filterset.is_bound or not filterset.is_valid():
        return None
    if not any(value not in (None, "") for value in filterset.form.cleaned_data.values()):
        return None
    return filterset.qs


# --- the review queue (the core's own list and panel) ----------------------------------------------------


def review_rows(
    *, tenant: Tenant, partners: QuerySet[Partner] | None = None, limit: int | None = None
) -> list[ReviewRow]:
    """Everything waiting for a decision, oldest first: one query per source; with ``limit``, only the
    ``limit`` oldest (each source reads no more than that, so a queue of thousands costs the panel nothing)."""
    rows = []
    for source in review_sources():
        pending = source.pending().filter(tenant=tenant)
        if partners is not None:
            pending = pending.filter(partner__in=partners)
        if limit is not None and source.submitted:
            pending = pending.order_by(F(source.submitted).asc(nulls_last=True), "pk")[:limit]
        rows.extend(source.row(obj) for obj in pending)
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: r.submitted_at or far_future)
    return rows if limit is None else rows[:limit]


def review_counts(*, tenant: Tenant) -> list[tuple[ReviewSource, int]]:
    return [(s, s.pending().filter(tenant=tenant).count()) for s in review_sources()]


def review_counts_by_tenant() -> dict[int, int]:
    """Pending reviews per tenant id, for the platform superuser's summary (one query per source)."""
    totals: dict[int, int] = {}
    for source in review_sources():
        for tenant_id, n in (
            source.pending().order_by().values("tenant").annotate(n=Count("pk")).values_list("tenant", "n")
        ):
            totals[tenant_id] = totals.get(tenant_id, 0) + n
    return totals


def dashboard_build(*, request: HttpRequest, tenant: Tenant) -> PanelContent:
    """Every panel's cards and sections for ``tenant``, in the panels' order."""
    content = PanelContent()
    for panel in panels():
        built = panel.build(request=request, tenant=tenant)
        if built is not None:
            content.cards.extend(built.cards)
            content.sections.extend(built.sections)
    content.sections.sort(key=lambda s: s.order)
    return content
