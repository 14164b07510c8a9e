import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import DutyFulfilment, FulfilmentState


class DutyFulfilmentTable(tables.Table):
    """The checklist of "Mes devoirs": sortable, paginated; the queryset comes from the selector."""

    duty = tables.Column(
        verbose_name=_("Duty"), accessor="duty__title", order_by=("duty__position", "duty__title")
    )
    category = tables.Column(verbose_name=_("Category"), accessor="duty__category")
    due_date = tables.DateColumn(verbose_name=_("Due"), format="SHORT_DATE_FORMAT")
    state = tables.Column(verbose_name=_("State"))
    open = tables.Column(verbose_name="", accessor="pk", orderable=False)

    class Meta:
        model = DutyFulfilment
        fields = ["duty", "category", "due_date", "state", "open"]
        attrs = {"class": "table duty-table"}
        empty_text = _("No duty for now.")

    def __init__(self, *args, today, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.today, self.tenant = today, tenant

    def render_duty(self, value, record):
        blocking = (
            format_html(' <span class="duty-flag">{}</span>', _("blocking")) if record.duty.blocking else ""
        )
        period = (
            format_html(' <span class="muted">({})</span>', record.period_label) if record.period_end else ""
        )
        return format_html("{}{}{}", value, period, blocking)

    def render_category(self, value, record):
        return record.duty.get_category_display()

    def render_state(self, value, record):
        # A refusal says so (with its reason on the duty's page); "overdue" replaces "to do" and "sent".
        overdue = record.state != FulfilmentState.REFUSED and record.is_overdue(
            self.today, tenant=self.tenant
        )
        css = "overdue" if overdue else record.state
        label = _("Overdue") if overdue else record.get_state_display()
        return format_html('<span class="duty-state duty-state--{}">{}</span>', css, label)

    def render_open(self, value, record):
        label = (
            _("Send the evidence")
            if record.is_open and record.duty.evidence in ("document", "training")
            else _("See")
        )
        return format_html(
            '<a class="button button--small button--ghost" href="{}">{}</a>',
            reverse("obligations:fulfilment-detail", args=[value]),
            label,
        )
