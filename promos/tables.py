import django_tables2 as tables
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Quote


def _money(value) -> str:
    return f"{floatformat(value, '2g')} €"


class QuoteTable(tables.Table):
    """Mes devis: sortable, paginated; the queryset comes from ``selectors.quote_list``."""

    reference = tables.Column(verbose_name=_("Reference"))
    title = tables.Column(verbose_name=_("Title"), default="—")
    priced_on = tables.DateColumn(verbose_name=_("Date"), format="SHORT_DATE_FORMAT")
    tier = tables.Column(verbose_name=_("Tier"), accessor="tier__name", order_by=("tier__rank",), default="—")
    monthly_total = tables.Column(
        verbose_name=_("Monthly excl. VAT"), attrs={"th": {"class": "num"}, "td": {"class": "num"}}
    )
    one_off_total = tables.Column(
        verbose_name=_("One-off excl. VAT"), attrs={"th": {"class": "num"}, "td": {"class": "num"}}
    )
    created_by = tables.Column(
        verbose_name=_("By"),
        order_by=("created_by__last_name", "created_by__first_name", "created_by__email"),
        default="—",
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
        return _money(value)

    def render_one_off_total(self, value):
        return _money(value)

    def render_created_by(self, value):
        return value.get_full_name() or value.email
