import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from partnerportal.formatting import money

from .models import Quote


def _cell(label, *, num: bool = False) -> dict:
    """A column's attributes: its label on every cell too, for the one-block-per-quote layout of phones."""
    td = {"data-label": label}
    if num:
        return {"th": {"class": "num"}, "td": {**td, "class": "num"}}
    return {"td": td}


class QuoteTable(tables.Table):
    """Mes devis: sortable, paginated; the queryset comes from ``selectors.quote_list``."""

    reference = tables.Column(verbose_name=_("Reference"), attrs={"td": {"class": "quote-table__reference"}})
    title = tables.Column(verbose_name=_("Title"), default="—", attrs=_cell(_("Title")))
    priced_on = tables.DateColumn(verbose_name=_("Date"), format="SHORT_DATE_FORMAT", attrs=_cell(_("Date")))
    tier = tables.Column(
        verbose_name=_("Tier"),
        accessor="tier__name",
        order_by=("tier__rank",),
        default="—",
        attrs=_cell(_("Tier")),
    )
    monthly_total = tables.Column(
        verbose_name=_("Monthly excl. VAT"), attrs=_cell(_("Monthly excl. VAT"), num=True)
    )
    one_off_total = tables.Column(
        verbose_name=_("One-off excl. VAT"), attrs=_cell(_("One-off excl. VAT"), num=True)
    )
    created_by = tables.Column(
        verbose_name=_("By"),
        order_by=("created_by__last_name", "created_by__first_name", "created_by__email"),
        default="—",
        attrs=_cell(_("By")),
    )

    class Meta:
        model = Quote
        fields = ["reference", "title", "priced_on", "tier", "monthly_total", "one_off_total", "created_by"]
        attrs = {"class": "table quote-table"}
        empty_text = _("No quote saved yet: price a basket and save it.")

    def render_reference(self, value, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("promos:quote-detail", kwargs={"pk": record.pk}), value
        )

    def render_monthly_total(self, value):
        return money(value)

    def render_one_off_total(self, value):
        return money(value)

    def render_created_by(self, value):
        return value.get_full_name() or value.email
