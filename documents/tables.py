import django_tables2 as tables
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from partnerportal.formatting import date_format

from .models import Document


class DocumentTable(tables.Table):
    """The history of "Mes documents": older packs, and diplomas no longer valid (with why).

    Its rows carry a ``state`` (selectors.State) set by ``selectors.document_shelf``; the list is short and already
    in order, so nothing sorts or pages here.
    """

    kind = tables.Column(verbose_name=_("Document"))
    issued_on = tables.DateColumn(verbose_name=_("Issued on"), format="SHORT_DATE_FORMAT")
    valid_until = tables.DateColumn(verbose_name=_("Valid until"), format="SHORT_DATE_FORMAT")
    state = tables.Column(verbose_name=_("State"), empty_values=())
    download = tables.Column(verbose_name=_("File"), accessor="pk")

    class Meta:
        model = Document
        fields = ["kind", "issued_on", "valid_until", "state", "download"]
        orderable = False
        attrs = {"class": "table document-table"}
        empty_text = _("No older document.")

    def render_kind(self, value, record):
        if record.tier_id:
            return format_html(
                '{} <span class="muted">· {}</span>', record.get_kind_display(), record.tier.name
            )
        return record.get_kind_display()

    def render_state(self, value, record):
        reason = (
            format_html('<span class="document-reason">{}</span>', record.get_revocation_display())
            if record.revocation
            else ""
        )
        return format_html(
            '<span class="document-state document-state--{}">{}</span>{}',
            record.state.value,
            record.state.label,
            reason,
        )

    def render_download(self, value, record):
        # The visible text is the same on every row; the hidden part says which document it fetches.
        return format_html(
            '<a href="{}" download>{}<span class="sr-only"> {} {}</span></a> '
            '<span class="muted small">PDF · {}</span>',
            reverse("documents:document-download", args=[value]),
            _("Download"),
            record.get_kind_display(),
            date_format(record.issued_on, "SHORT_DATE_FORMAT"),
            filesizeformat(record.size),
        )
