"""Back-office: the benefits catalogue (managers edit it) and the claims' review queue.

Every decision goes through the services, from the row buttons, the bulk actions and the refusal form
alike, so the partner is e-mailed the same way whichever a manager uses.
"""

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from partnerportal.admin_site import TenantAdminMixin, TenantRelatedFieldListFilter
from partnerportal.formatting import date_format

from . import services
from .forms import BenefitAdminForm, ClaimRefuseForm
from .models import Benefit, Claim


@admin.register(Benefit)
class BenefitAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = BenefitAdminForm
    list_display = [
        "title",
        "code",
        "category",
        "from_tier",
        "kind",
        "value",
        "quantity",
        "period",
        "validity_months",
        "requires_approval",
        "is_active",
        "position",
    ]
    list_filter = ["category", "kind", ("from_tier", TenantRelatedFieldListFilter), "is_active"]
    list_select_related = ["from_tier", "tenant"]
    search_fields = ["title", "code", "description"]
    filter_horizontal = ["partner_types"]
    fieldsets = [
        (None, {"fields": ["tenant", "code", "title", "description", "category", "position", "is_active"]}),
        (_("Who gets it"), {"fields": ["from_tier", "partner_types", "replaces"]}),
        (
            _("Claims"),
            {"fields": ["kind", "quantity", "period", "validity_months", "value", "requires_approval"]},
        ),
        (_("On the portal"), {"fields": ["portal_page"]}),
    ]


class ClaimStateFilter(admin.SimpleListFilter):
    """By state; the default view is the queue itself, pending claims first, then the approved ones."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return Claim.State.choices

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


@admin.register(Claim)
class ClaimAdmin(TenantAdminMixin, SimpleHistoryAdmin):
    list_display = ["partner", "benefit", "state", "decide", "claimed_on", "period_start"]
    list_filter = [ClaimStateFilter, ("benefit", TenantRelatedFieldListFilter)]
    # Fetched for the page's rows after the sort (get_queryset), not joined before it: the queue's order
    # reads only the claims, and PostgreSQL sorted every claim joined to its partner for the page of 50.
    list_select_related = ()
    # A queue worked from the top, with decision buttons on every row: 50 rows a page, as the partners'
    # list, rather than the admin's 100 (each row costs about a millisecond to render).
    list_per_page = 50
    show_full_result_count = False  # "12 of 22,482": a second count of every claim, on every page
    search_fields = ["partner__external_ref", "partner__legal_name", "partner__trade_name", "benefit__title"]
    actions = ["approve_selected", "fulfil_selected"]
    readonly_fields = [
        "partner",
        "benefit",
        "claimed_by",
        "state",
        "period_start",
        "note",
        "refusal_reason",
        "created_at",
        "decided_by",
        "decided_at",
        "fulfilled_at",
        "cancelled_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False  # partners claim on their portal

    def has_delete_permission(self, request, obj=None):
        return False  # a claim is a record; a refusal or a cancellation closes it

    def has_change_permission(self, request, obj=None):
        # A claim changes through the services only (the decision views and actions ask without ``obj``):
        # its change page is read-only, with no Save that would write around them.
        return obj is None and super().has_change_permission(request, obj)

    def get_queryset(self, request):
        # The queue: pending claims first, then approved ones, the newest first within each (a sorted column
        # wins). The annotation must exist before the ordering is applied, hence no super() here.
        queue_order = Case(
            When(state=Claim.State.PENDING, then=Value(0)),
            When(state=Claim.State.APPROVED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return (
            self.model._default_manager.annotate(queue_order=queue_order)
            .prefetch_related("partner", "benefit", "claimed_by", "tenant")
            .order_by(*self.get_ordering(request))
        )

    def get_ordering(self, request):
        if request.GET.get(ClaimStateFilter.parameter_name) in Claim.State.values:
            # One state: the newest first, read from the claim_queue index rather than sorted.
            return ["-created_at"]
        return ["queue_order", "-created_at"]

    class Media:
        css = {"all": ["benefits/admin.css"]}

    @admin.display(description=_("claimed"), ordering="created_at")
    def claimed_on(self, claim):
        return date_format(timezone.localtime(claim.created_at), "SHORT_DATE_FORMAT")

    @admin.display(description=_("decide"))
    def decide(self, claim):
        # Buttons of the change list's own form (formaction): one click, with its CSRF token.
        buttons = []
        if claim.state == Claim.State.PENDING:
            buttons.append((reverse("admin:benefits_claim_approve", args=[claim.pk]), _("Approve")))
        if claim.state in (Claim.State.PENDING, Claim.State.APPROVED):
            buttons.append((reverse("admin:benefits_claim_fulfil", args=[claim.pk]), _("Fulfil")))
        if not buttons:
            return "—"
        html = format_html_join(
            " ", '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button>', buttons
        )
        return format_html(
            '{} <a class="button" href="{}">{}</a>',
            html,
            reverse("admin:benefits_claim_refuse", args=[claim.pk]),
            _("Refuse…"),
        )

    # --- bulk actions ---------------------------------------------------------------------------

    @admin.action(description=_("Approve the selected pending claims"))
    def approve_selected(self, request, queryset):
        ids = services.claims_approve(claims=queryset, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d claim approved.", "%(count)d claims approved.", len(ids))
            % {"count": len(ids)},
            messages.SUCCESS if ids else messages.WARNING,
        )

    @admin.action(description=_("Mark the selected claims fulfilled"))
    def fulfil_selected(self, request, queryset):
        ids = services.claims_fulfil(claims=queryset, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d claim fulfilled.", "%(count)d claims fulfilled.", len(ids))
            % {"count": len(ids)},
            messages.SUCCESS if ids else messages.WARNING,
        )

    # --- one claim --------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", view(self.approve_view), name="benefits_claim_approve"),
            path("<int:pk>/fulfil/", view(self.fulfil_view), name="benefits_claim_fulfil"),
            path("<int:pk>/refuse/", view(self.refuse_view), name="benefits_claim_refuse"),
            *super().get_urls(),
        ]

    def _claim(self, request, pk) -> Claim:
        return get_object_or_404(self.get_queryset(request).select_related("benefit", "partner"), pk=pk)

    def _decide(self, request, pk, service, done):
        if request.method != "POST" or not self.has_change_permission(request):
            return redirect("admin:benefits_claim_changelist")
        claim = self._claim(request, pk)
        try:
            service(claim=claim, by=request.user)
        except services.ClaimError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, done % {"benefit": claim.benefit, "partner": claim.partner})
        return redirect("admin:benefits_claim_changelist")

    def approve_view(self, request, pk):
        return self._decide(request, pk, services.claim_approve, _("%(partner)s: %(benefit)s approved."))

    def fulfil_view(self, request, pk):
        return self._decide(request, pk, services.claim_fulfil, _("%(partner)s: %(benefit)s fulfilled."))

    def refuse_view(self, request, pk):
        if not self.has_change_permission(request):
            return redirect("admin:benefits_claim_changelist")
        claim = self._claim(request, pk)
        form = ClaimRefuseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.claim_refuse(claim=claim, by=request.user, reason=form.cleaned_data["reason"])
            except services.ClaimError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(partner)s: %(benefit)s refused.")
                    % {"benefit": claim.benefit, "partner": claim.partner},
                )
            return redirect("admin:benefits_claim_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refuse a claim"),
            "opts": self.model._meta,
            "claim": claim,
            "form": form,
        }
        return TemplateResponse(
            request, "admin/benefits/claim/refuse.html", context, status=400 if form.is_bound else 200
        )
