"""What the benefits app adds to the back-office (partnerportal.dashboard, partnerportal.admin): the claims
waiting for a decision, and a partner's claims on its page."""

import datetime as dt

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerportal import dashboard
from partnerportal.admin import partner_inlines_extend
from partnerportal.admin_site import ReadOnlyInlineMixin

from .models import Claim


def _claim_row(claim: Claim) -> dashboard.ReviewRow:
    return dashboard.ReviewRow(
        kind=gettext("Benefit claim"),
        partner_id=claim.partner_id,
        partner_name=str(claim.partner),
        item=claim.benefit.title,
        submitted_at=claim.created_at,
        url=reverse("admin:benefits_claim_change", args=[claim.pk]),
    )


dashboard.register_review_source(
    dashboard.ReviewSource(
        key="claims",
        label=_("Benefit claims"),
        pending=lambda: Claim.objects.filter(state=Claim.State.PENDING).select_related("partner", "benefit"),
        row=_claim_row,
        changelist="admin:benefits_claim_changelist",
        order=20,
        submitted="created_at",
    )
)

CLAIM_HISTORY_DAYS = 2 * 366


class ClaimInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The partner's claims of the last two years; decisions are taken in the claims' queue."""

    model = Claim
    fields = ["benefit", "state", "created_at", "period_start", "decided_at"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("benefit claims of the last two years")

    def get_queryset(self, request):
        since = request.tenant.today() - dt.timedelta(days=CLAIM_HISTORY_DAYS)
        return (
            super()
            .get_queryset(request)
            .filter(created_at__date__gte=since)
            .select_related("benefit", "partner")  # str() of a row names its partner
            .order_by("-created_at")
        )


partner_inlines_extend(ClaimInline, order=40)
