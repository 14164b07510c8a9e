import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Claim


class ClaimTable(tables.Table):
    benefit = tables.Column(
        verbose_name=_("Benefit"), accessor="benefit__title", order_by=("benefit__title",)
    )
    created_at = tables.DateColumn(verbose_name=_("Claimed"), format="SHORT_DATE_FORMAT")
    claimed_by = tables.Column(verbose_name=_("By"), accessor="claimed_by", orderable=False, default="—")
    state = tables.TemplateColumn(
        template_name="benefits/_claim_state.html", verbose_name=_("State"), order_by=("state",)
    )
    actions = tables.TemplateColumn(
        template_name="benefits/_claim_actions.html", verbose_name="", orderable=False
    )

    class Meta:
        model = Claim
        fields = ["benefit", "created_at", "claimed_by", "state", "actions"]
        attrs = {"class": "table"}
        empty_text = _("No claim yet.")
        order_by = ("-created_at",)
