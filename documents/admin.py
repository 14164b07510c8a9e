"""Back-office of the documents: the issued documents (read-only: they are generated, never edited), the
generation on demand, and the support and escalation contacts printed in the packs.

Generating goes through ``tasks.document_issue`` after commit, from the form and the action alike, so a
manager's request never waits for WeasyPrint and the partner is e-mailed as for any new document.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from partnerportal.admin_input import refusing_malformed_choices
from partnerportal.admin_site import TenantAdminMixin
from partnerportal.formatting import date_format

from . import tasks
from .forms import DocumentGenerateForm
from .models import Contact, Document
from .selectors import State, diploma_state, diplomas_in_state
from .views import document_response


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            (State.VALID, _("Valid diplomas")),
            (State.EXPIRED, _("Expired diplomas")),
            (State.REVOKED, _("Revoked")),
        ]

    def queryset(self, request, queryset):
        if self.value() in (State.VALID, State.EXPIRED):
            return diplomas_in_state(queryset, self.value(), today=request.tenant.today())
        if self.value() == State.REVOKED:  # any revoked document, not only diplomas
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(Document)
class DocumentAdmin(TenantAdminMixin, admin.ModelAdmin):
    # Narrow enough for the admin's layout beside its filters: the tier under the kind, short dates, the
    # reason of a revocation on hover (and as a filter), the size with the download link.
    list_display = ["partner", "document", "issued", "until", "state", "download"]
    list_filter = [StateFilter, "kind", ("tier", admin.RelatedOnlyFieldListFilter), "revocation", "language"]
    search_fields = ["partner__legal_name", "partner__trade_name", "partner__external_ref", "=code"]
    list_select_related = ["partner", "tier", "tenant"]
    date_hierarchy = "issued_on"
    actions = ["regenerate"]
    change_list_template = "admin/documents/document/change_list.html"
    # No ``file``: its read-only display would ask the private storage for a URL, which it has none of.
    readonly_fields = [
        "tenant",
        "partner",
        "kind",
        "tier",
        "language",
        "download",
        "code",
        "verify_link",
        "issued_on",
        "valid_until",
        "state",
        "created_at",
        "revoked_at",
        "revocation",
    ]
    fields = readonly_fields

    class Media:
        css = {"all": ["documents/admin.css"]}

    def has_add_permission(self, request):
        return False  # generated (the "Generate a document" page), never uploaded

    def has_change_permission(self, request, obj=None):
        return False  # a document is what was sent: its record is not edited

    def has_delete_permission(self, request, obj=None):
        return False  # revoked or replaced, never deleted: the partner keeps its history

    @admin.display(description=_("state"))
    def state(self, document):
        if document.kind == Document.Kind.DIPLOMA:
            state = diploma_state(document, today=document.tenant.today())
        elif document.revoked_at is not None:
            state = State.REVOKED
        else:
            return "—"
        return format_html(
            '<span class="document-state document-state--{}" title="{}">{}</span>',
            state.value,
            document.get_revocation_display(),
            state.label,
        )

    @admin.display(description=_("document"), ordering="kind")
    def document(self, document):
        tier = (
            format_html('<span class="document-tier">{}</span>', document.tier.name) if document.tier else ""
        )
        return format_html("{}{}", document.get_kind_display(), tier)

    @admin.display(description=_("issued on"), ordering="issued_on")
    def issued(self, document):
        return date_format(document.issued_on, "SHORT_DATE_FORMAT")

    @admin.display(description=_("valid until"), ordering="valid_until")
    def until(self, document):
        return date_format(document.valid_until, "SHORT_DATE_FORMAT") if document.valid_until else "—"

    @admin.display(description=_("file"), ordering="size")
    def download(self, document):
        url = reverse("admin:documents_document_download", args=[document.pk])
        return format_html(
            '<a href="{}">{}</a><span class="document-tier">{}</span>',
            url,
            _("PDF"),
            filesizeformat(document.size),
        )

    @admin.display(description=_("verification page"))
    def verify_link(self, document):
        if document.kind != Document.Kind.DIPLOMA:
            return "—"
        url = reverse("documents:verify", args=[document.code])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("generate/", view(self.generate_view), name="documents_document_generate"),
            path("<int:pk>/download/", view(self.download_view), name="documents_document_download"),
            *super().get_urls(),
        ]

    def download_view(self, request, pk):
        # Through the scoped queryset: another tenant's document is a 404, like one that does not exist.
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = self.get_queryset(request).select_related("partner")
        return document_response(get_object_or_404(queryset, pk=pk))

    def generate_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = refusing_malformed_choices(DocumentGenerateForm)(
            request.POST or None, initial=request.GET.dict() or None, admin_site=self.admin_site
        )
        if request.method == "POST" and form.is_valid():
            partner, kind, tier = (form.cleaned_data[k] for k in ("partner", "kind", "tier"))
            tasks.document_issue.delay_on_commit(
                partner.tenant_id, partner.pk, kind, tier.pk if tier else None
            )
            messages.success(
                request,
                _(
                    "%(document)s for %(partner)s: being generated. It appears in this list in a moment, "
                    "and the partner's administrators are e-mailed."
                )
                % {"document": Document.Kind(kind).label, "partner": partner},
            )
            return redirect("admin:documents_document_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Generate a document"),
            "opts": self.model._meta,
            "form": form,
            "media": self.media + form.media,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/documents/document/generate.html", context, status=status)

    @admin.action(description=_("Regenerate the selected documents for their partners"))
    def regenerate(self, request, queryset):
        """One new document per partner and kind selected (a booster pack per tier). A valid diploma is
        issued again for its tier, which replaces it; one no longer valid is left alone: it was revoked or
        has expired for a reason, and "Generate a document" checks the partner's tier today."""
        jobs, skipped = set(), 0
        for document in queryset.select_related("partner", "tenant"):
            if document.kind == Document.Kind.DIPLOMA:
                if diploma_state(document, today=document.tenant.today()) != State.VALID:
                    skipped += 1
                    continue
                tier_id = document.tier_id
            elif document.kind == Document.Kind.BOOSTER_PACK:
                tier_id = document.tier_id
            else:
                tier_id = None  # a welcome pack shows the partner's tier today
            jobs.add((document.tenant_id, document.partner_id, document.kind, tier_id))
        for job in sorted(jobs, key=lambda job: (job[0], job[1], job[2], job[3] or 0)):
            tasks.document_issue.delay_on_commit(*job)
        if jobs:
            self.message_user(
                request,
                ngettext(
                    "%(count)d document is being generated again; it appears in this list in a moment.",
                    "%(count)d documents are being generated again; they appear in this list in a moment.",
                    len(jobs),
                )
                % {"count": len(jobs)},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d diploma is no longer valid and was left alone: use “Generate a document” "
                    "to issue a new one for the partner's tier today.",
                    "%(count)d diplomas are no longer valid and were left alone: use “Generate a document” "
                    "to issue new ones for the partners' tiers today.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Contact)
class ContactAdmin(TenantAdminMixin, admin.ModelAdmin):
    """The support lines and the escalation grid that the welcome and booster packs print."""

    # Who and how in one column, the hours on each contact's page: narrow enough beside the filters.
    list_display = ["title", "kind", "level", "reach"]
    list_filter = ["kind", "level"]
    search_fields = ["title", "name", "email", "phone"]
    fields = ["tenant", "kind", "level", "title", "name", "email", "phone", "hours", "position"]

    @admin.display(description=_("contact"), ordering="name")
    def reach(self, contact):
        lines = [line for line in (contact.name, contact.email, contact.phone) if line]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)) or "—"
