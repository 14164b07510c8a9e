"""What the recruitment app adds to the back-office (partnerportal.dashboard, partnerportal.admin): the
applications to vet in the managers' review queue, and the application on its partner's page."""

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerportal import dashboard
from partnerportal.admin import partner_inlines_extend
from partnerportal.admin_site import ReadOnlyInlineMixin

from .models import Application


def _application_row(application: Application) -> dashboard.ReviewRow:
    return dashboard.ReviewRow(
        kind=gettext("Application"),
        partner_id=application.partner_id,
        partner_name=str(application.partner),
        item=gettext("Wants to become %(type)s") % {"type": application.partner.partner_type.name},
        submitted_at=application.submitted_at,
        url=reverse("admin:recruitment_application_vet", args=[application.pk]),
    )


# The queue's panel counts the pending ones (the (tenant, state) index) and reads the oldest few.
dashboard.register_review_source(
    dashboard.ReviewSource(
        key="applications",
        label=_("Applications"),
        pending=lambda: Application.objects.filter(state=Application.State.PENDING).select_related(
            "partner", "partner__partner_type"
        ),
        row=_application_row,
        changelist="admin:recruitment_application_changelist",
        order=5,
        submitted="submitted_at",
    )
)


class ApplicationInline(ReadOnlyInlineMixin, admin.StackedInline):
    """The partner's application, if it came through the public form; vetted on its own page."""

    model = Application
    fields = [
        "contact_first_name",
        "contact_last_name",
        "contact_email",
        "submitted_at",
        "state",
        "decided_at",
    ]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("application")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner")


partner_inlines_extend(ApplicationInline, order=5)
