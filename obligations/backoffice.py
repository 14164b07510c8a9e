"""What the duties app adds to the back-office (partnerportal.dashboard, partnerportal.admin): the
programme's compliance rate, the evidence waiting for review, and a partner's duties on its page."""

import datetime as dt

from django.contrib import admin
from django.core.cache import cache
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerportal import dashboard
from partnerportal.admin import partner_inlines_extend
from partnerportal.admin_site import ReadOnlyInlineMixin
from partnerportal.dashboard_charts import Segment, donut
from partnerportal.tenancy import tenant_scope

from .models import DutyFulfilment, FulfilmentState
from .selectors import _done_q, _missed_q, _sent_on


def compliance_of_programme(*, tenant) -> dict[str, int]:
    """The tenant's duties done, missed and waiting for review, by the rule of ``compliance_for`` (done ÷
    due, due = done + missed) over every partner at once: one aggregate."""
    return DutyFulfilment.objects.filter(tenant=tenant).aggregate(
        done=Count("pk", filter=_done_q()),
        missed=Count("pk", filter=_missed_q(today=tenant.today(), sent_on=_sent_on(tenant))),
        waiting=Count("pk", filter=Q(state=FulfilmentState.SUBMITTED)),
    )


# Every manager's home page shows the programme's compliance, an aggregate over all of the tenant's duty
# fulfilments (half a million rows for 50,000 partners: about 0.1 s of the database); the figures are kept
# that long per tenant, and say when they were computed.
COMPLIANCE_TTL = 60


def compliance_of_programme_cached(*, tenant) -> tuple[dict[str, int], dt.datetime]:
    """``compliance_of_programme`` and when it was computed, from the cache (at most COMPLIANCE_TTL old)."""
    key = f"obligations:compliance:{tenant.pk}"
    with tenant_scope(tenant):
        cached = cache.get(key)
        if cached is None:
            cached = (compliance_of_programme(tenant=tenant), timezone.now())
            cache.set(key, cached, COMPLIANCE_TTL)
    return cached


def compliance_panel(*, request, tenant) -> dashboard.PanelContent:
    figures, computed_at = compliance_of_programme_cached(tenant=tenant)
    done, missed, waiting = figures["done"], figures["missed"], figures["waiting"]
    due = done + missed
    rate = None if due == 0 else done * 100 // due  # rounded down, as a partner's score
    value = "—" if rate is None else f"{rate} %"
    tone = "neutral" if rate is None else "good" if rate >= 90 else "warn" if rate >= 70 else "bad"
    detail = gettext("%(done)d of %(due)d due duties fulfilled") % {"done": done, "due": due}
    changelist = reverse("admin:obligations_dutyfulfilment_changelist")
    chart = donut(
        segments=[
            Segment(gettext("Fulfilled"), done, css="dash-donut__done"),
            Segment(gettext("Missed"), missed, css="dash-donut__missed"),
        ],
        centre=value,
        caption=gettext("compliance"),
        label=gettext("Compliance rate: %(detail)s") % {"detail": detail},
    )
    return dashboard.PanelContent(
        cards=[
            dashboard.Card(
                label=gettext("Compliance rate"), value=value, detail=detail, url=changelist, tone=tone
            )
        ],
        sections=[
            dashboard.Section(
                title=gettext("Duties compliance"),
                template="admin/dashboard/section_compliance.html",
                context={
                    "chart": chart,
                    "facts": [
                        (gettext("Fulfilled (approved or waived)"), done, "done"),
                        (gettext("Missed (past due, not done)"), missed, "missed"),
                        (gettext("Evidence waiting for review"), waiting, "waiting"),
                    ],
                    "note": gettext(
                        "Evidence sent on time and waiting for review counts neither way; duties not yet "
                        "due do not count."
                    )
                    + " "
                    + gettext("Figures of %(time)s, computed again every minute.")
                    % {"time": time_format(timezone.localtime(computed_at))},
                },
                order=50,
                link=f"{changelist}?state=all",
                link_label=gettext("All duties"),
            )
        ],
    )


dashboard.register_panel(dashboard.Panel("duties", compliance_panel, order=30))


def _evidence_row(fulfilment: DutyFulfilment) -> dashboard.ReviewRow:
    label = fulfilment.duty.title
    if fulfilment.period_label:
        label = f"{label} ({fulfilment.period_label})"
    return dashboard.ReviewRow(
        kind=gettext("Duty evidence"),
        partner_id=fulfilment.partner_id,
        partner_name=str(fulfilment.partner),
        item=label,
        submitted_at=fulfilment.submitted_at,
        url=reverse("admin:obligations_dutyfulfilment_change", args=[fulfilment.pk]),
    )


dashboard.register_review_source(
    dashboard.ReviewSource(
        key="duties",
        label=_("Duty evidence"),
        pending=lambda: DutyFulfilment.objects.filter(state=FulfilmentState.SUBMITTED).select_related(
            "partner", "duty"
        ),
        row=_evidence_row,
        changelist="admin:obligations_dutyfulfilment_changelist",
        order=10,
        submitted="submitted_at",
    )
)


DUTY_HISTORY_DAYS = 2 * 366


class DutyFulfilmentInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The partner's duties of the last two years (those no longer required left out); decisions are
    taken on each duty's own page."""

    model = DutyFulfilment
    fields = ["duty", "period", "due_date", "state", "submitted_at", "decided_at"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("duties of the last two years")

    def get_queryset(self, request):
        since = request.tenant.today() - dt.timedelta(days=DUTY_HISTORY_DAYS)
        return (
            super()
            .get_queryset(request)
            .exclude(state=FulfilmentState.CLOSED)
            .filter(due_date__gte=since)
            .select_related("duty", "partner")  # str() of a row names its partner
            .order_by("-due_date", "duty__position")
        )


partner_inlines_extend(DutyFulfilmentInline, order=50)
