"""The dashboard's pages in the back-office: the home page (the admin site's index) and the full lists."""

import django_tables2 as tables
from django.db.models import Count
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import dashboard
from .dashboard_export import table_csv_response
from .models import Partner, Tenant

# --- the core's own part: the review queue and the superuser's summary -----------------------------------


class ReviewTable(tables.Table):
    submitted_at = tables.DateTimeColumn(verbose_name=_("Sent"), format="SHORT_DATETIME_FORMAT")
    kind = tables.Column(verbose_name=_("What"))
    partner_name = tables.Column(
        verbose_name=_("Partner"),
        linkify=lambda record: reverse("admin:partnerportal_partner_change", args=[record.partner_id]),
    )
    item = tables.Column(verbose_name=_("Item"), linkify=lambda record: record.url)

    class Meta:
        attrs = {"class": "dash-table"}
        empty_text = _("Nothing waits for a review.")
        order_by = ("submitted_at",)


def _review_rows(*, tenant, partners):
    return dashboard.review_rows(tenant=tenant, partners=partners)


def _reviews_panel(*, request, tenant) -> dashboard.PanelContent | None:
    counts = dashboard.review_counts(tenant=tenant)
    if not counts:
        return None
    total = sum(n for _source, n in counts)
    rows = dashboard.review_rows(tenant=tenant, limit=6)
    # "Justificatifs des devoirs : 3": the label and its count, no plural to agree.
    breakdown = ", ".join(
        gettext("%(label)s: %(count)s") % {"label": source.label, "count": n} for source, n in counts
    )
    return dashboard.PanelContent(
        cards=[
            dashboard.Card(
                label=gettext("Pending reviews"),
                value=str(total),
                detail=breakdown,
                url=dashboard.list_url("reviews"),
                tone="warn" if total else "good",
            )
        ],
        sections=[
            dashboard.Section(
                title=gettext("Waiting for your review"),
                template="admin/dashboard/section_reviews.html",
                context={
                    "rows": rows,
                    "sources": [
                        {"label": s.label, "count": n, "url": reverse(s.changelist) if s.changelist else ""}
                        for s, n in counts
                    ],
                },
                order=60,
                link=dashboard.list_url("reviews"),
                link_label=gettext("All pending reviews"),
            )
        ],
    )


dashboard.register_panel(dashboard.Panel("reviews", _reviews_panel, order=80))
dashboard.register_list(
    dashboard.DashboardList(
        slug="reviews",
        title=_("Pending reviews"),
        description=_("Duty evidence and benefit claims waiting for a decision, the oldest first."),
        table=ReviewTable,
        rows=_review_rows,
        order=90,
    )
)


def programmes_summary() -> list[dict]:
    """Every tenant with its partners and pending reviews: the platform superuser's overview (a few
    grouped queries, whatever the number of tenants)."""
    partners = dict(
        Partner.objects.order_by().values("tenant").annotate(n=Count("pk")).values_list("tenant", "n")
    )
    active = dict(
        Partner.objects.filter(status=Partner.Status.ACTIVE)
        .order_by()
        .values("tenant")
        .annotate(n=Count("pk"))
        .values_list("tenant", "n")
    )
    reviews = dashboard.review_counts_by_tenant()
    return [
        {
            "tenant": tenant,
            "host": tenant.primary_host,
            "partners": partners.get(tenant.pk, 0),
            "active": active.get(tenant.pk, 0),
            "reviews": reviews.get(tenant.pk, 0),
        }
        for tenant in Tenant.objects.prefetch_related("domains").order_by("name")
    ]


# --- the pages -------------------------------------------------------------------------------------------


def dashboard_context(request) -> dict:
    """The home page's context: the request's tenant's dashboard, and for the platform superuser the
    summary of every programme."""
    tenant = request.tenant
    content = dashboard.dashboard_build(request=request, tenant=tenant)
    return {
        "title": gettext("Dashboard"),
        "dashboard": content,
        "dashboard_lists": [
            {"title": entry.title, "url": dashboard.list_url(entry.slug)} for entry in dashboard.lists()
        ],
        "programmes": programmes_summary() if request.user.is_superuser else None,
        "today": tenant.today(),
    }


def dashboard_list_view(request, slug: str, *, site):
    """A full list (the admin site has checked that this is a manager of the request's tenant)."""
    entry = dashboard.list_get(slug)
    if entry is None:
        raise Http404
    tenant = request.tenant
    filterset = dashboard.partner_filterset(request=request, tenant=tenant)
    partners = dashboard.filtered_partners(filterset)
    table = entry.table(entry.rows(tenant=tenant, partners=partners))
    export = request.GET.get("export") == "csv"
    tables.RequestConfig(request, paginate=False if export else {"per_page": 50}).configure(table)
    if export:
        return table_csv_response(table, filename=f"{tenant.slug}-{slug}-{tenant.today().isoformat()}.csv")
    query = request.GET.copy()
    query.pop("page", None)
    query["export"] = "csv"
    context = {
        **site.each_context(request),
        "title": entry.title,
        "entry": entry,
        "table": table,
        "filter": filterset if entry.filters else None,
        "export_url": f"?{query.urlencode()}",
        "dashboard_lists": [
            {"title": e.title, "url": dashboard.list_url(e.slug), "active": e.slug == slug}
            for e in dashboard.lists()
        ],
    }
    return TemplateResponse(request, "admin/dashboard_list.html", context)
