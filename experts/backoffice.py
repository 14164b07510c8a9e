"""What Experts Zen adds to the back-office home (partnerportal.dashboard): one card on the assignments that
need a manager's eye — mandates left without an answer past the delay, interventions past the expert's
guaranteed time — from one aggregate over the tenant's open assignments (a small table, whatever the
number of partners)."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from partnerportal import dashboard

from .models import Assignment, AssignmentState

OPEN = (AssignmentState.MANDATED, AssignmentState.ACCEPTED)


def assignments_panel(*, request, tenant) -> dashboard.PanelContent | None:
    now = timezone.now()
    figures = Assignment.objects.filter(tenant=tenant, state__in=OPEN).aggregate(
        open=Count("pk"),
        unanswered=Count("pk", filter=Q(state=AssignmentState.MANDATED, respond_by__lt=now)),
        late=Count("pk", filter=Q(intervene_by__lt=now)),
    )
    if not figures["open"]:
        return None
    changelist = reverse("admin:experts_assignment_changelist")
    detail = gettext("%(unanswered)d without an answer in time, %(late)d past the guaranteed time") % figures
    tone = "bad" if figures["late"] else "warn" if figures["unanswered"] else "neutral"
    url = (
        f"{changelist}?timeliness={'late' if figures['late'] else 'unanswered'}"
        if tone != "neutral"
        else changelist
    )
    return dashboard.PanelContent(
        cards=[
            dashboard.Card(
                label=gettext("Experts Zen assignments running"),
                value=str(figures["open"]),
                detail=detail,
                url=url,
                tone=tone,
            )
        ]
    )


dashboard.register_panel(dashboard.Panel("experts", assignments_panel, order=60))
