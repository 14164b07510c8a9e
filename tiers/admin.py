from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from partnerportal.admin_site import (
    ReadOnlyMixin,
    TenantAdminMixin,
    TenantInlineMixin,
    TenantRelatedFieldListFilter,
)
from partnerportal.formatting import date_format

from . import selectors, services
from .calendar import is_evaluation_date, latest_due_date, tenant_today
from .grading import RegradeError
from .imports import import_error_text, revenue_import
from .models import (
    Assessment,
    Evaluation,
    GradingPolicy,
    PartnerTier,
    ProposedAssessment,
    RevenueEntry,
    RevenueImport,
    Threshold,
    Tier,
    TierPin,
)
from .services import tier_pin
from .tasks import approve_evaluation, regrade_tenant


class ThresholdInline(TenantInlineMixin, admin.TabularInline):
    model = Threshold
    extra = 0


@admin.register(Tier)
class TierAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["name", "rank", "code", "colour", "description"]
    inlines = [ThresholdInline]


@admin.register(GradingPolicy)
class GradingPolicyAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = [
        "tenant",
        "qualifying_categories",
        "max_demotion_steps",
        "evaluation_review",
        "grace_evaluations",
    ]


class RevenueImportForm(forms.Form):
    file = forms.FileField(
        label=_("Revenue file (CSV)"), help_text=_("Columns partner_ref, month (YYYY-MM), category, amount.")
    )


@admin.register(RevenueEntry)
class RevenueEntryAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["partner", "month", "category", "amount"]
    list_filter = ["category", "month"]
    search_fields = ["partner__external_ref", "partner__legal_name"]
    list_select_related = ["partner", "tenant"]
    autocomplete_fields = ["partner"]
    date_hierarchy = "month"
    change_list_template = "admin/tiers/revenueentry/change_list.html"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="tiers_revenueentry_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = RevenueImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            result = revenue_import(
                tenant=request.tenant,
                stream=upload.file,
                filename=upload.name,
                by=request.user,
                size=upload.size,
            )
            if result.ok:
                messages.success(
                    request,
                    ngettext(
                        "%(file)s: %(lines)d line imported.",
                        "%(file)s: %(lines)d lines imported.",
                        result.lines,
                    )
                    % {"file": upload.name, "lines": result.lines},
                )
                return redirect("admin:tiers_revenueentry_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import revenue"),
            "form": form,
            "result": result,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/tiers/revenue_import.html", context, status=400 if result else 200
        )


@admin.register(RevenueImport)
class RevenueImportAdmin(ReadOnlyMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["filename", "status", "lines", "error_count", "created_by", "created_at"]
    list_filter = ["status"]
    exclude = ["errors"]
    readonly_fields = ["error_list"]

    @admin.display(description=_("first errors"))
    def error_list(self, obj):
        """The stored errors in the reader's language (the record keeps codes, not sentences)."""
        if not obj.errors:
            return "-"
        return format_html_join(
            mark_safe("<br>"),
            "{}",
            (
                (_("line %(line)s: %(message)s") % {"line": e.get("line"), "message": import_error_text(e)},)
                for e in obj.errors
            ),
        )


class ManualRunForm(forms.Form):
    evaluation_date = forms.DateField(
        label=_("Evaluation date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    confirm = forms.BooleanField(label=_("I understand that this changes partners' tiers and e-mails them."))

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_evaluation_date(self):
        day = self.cleaned_data["evaluation_date"]
        if not is_evaluation_date(self.tenant, day):
            raise forms.ValidationError(
                _("Choose the first day of an evaluation month (%(months)s).")
                % {"months": ", ".join(str(m) for m in sorted(self.tenant.evaluation_months))}
            )
        latest = selectors.evaluation_latest_applied(tenant=self.tenant)
        if latest and day < latest:
            raise forms.ValidationError(
                _(
                    "The evaluation of %(latest)s is already applied: an older one would take tiers back in time."
                )
                % {"latest": date_format(latest)}
            )
        return day


class ProposalOverrideForm(forms.Form):
    tier = forms.ModelChoiceField(label=_("Tier to apply"), queryset=Tier.objects.none(), empty_label=None)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required: it is kept on the partner's assessment and in the tier's history."),
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = Tier.objects.filter(tenant=tenant).order_by("rank")


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = [
        "evaluation_date",
        "status",
        "partners",
        "up",
        "down",
        "same",
        "pinned",
        "held",
        "started_by",
        "approved_by",
        "finished_at",
        "review_link",
    ]
    list_filter = ["status"]
    list_select_related = ["started_by", "approved_by", "tenant"]
    change_list_template = "admin/tiers/evaluation/change_list.html"
    proposal_page_size = 100

    def get_urls(self):
        return [
            path("preview/", self.admin_site.admin_view(self.preview_view), name="tiers_evaluation_preview"),
            path(
                "<int:evaluation_id>/proposal/",
                self.admin_site.admin_view(self.proposal_view),
                name="tiers_evaluation_proposal",
            ),
            path(
                "<int:evaluation_id>/proposal/<int:proposal_id>/override/",
                self.admin_site.admin_view(self.override_view),
                name="tiers_evaluation_override",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("review"))
    def review_link(self, evaluation):
        if evaluation.status != Evaluation.Status.PROPOSED:
            return ""
        url = reverse("admin:tiers_evaluation_proposal", args=[evaluation.pk])
        return format_html('<a href="{}">{}</a>', url, _("Review and approve"))

    def _proposed(self, request, evaluation_id) -> Evaluation:
        """The request's tenant's evaluation (filtered by tenant: the superuser's admin is unscoped)."""
        return get_object_or_404(Evaluation.objects.filter(tenant=request.tenant), pk=evaluation_id)

    def proposal_view(self, request, evaluation_id):
        """Review mode: every partner's current → proposed tier; approve as a whole, or discard."""
        if not self.has_view_permission(request):
            return redirect("admin:index")
        evaluation = self._proposed(request, evaluation_id)
        day = date_format(evaluation.evaluation_date)
        if evaluation.status != Evaluation.Status.PROPOSED:
            messages.info(request, _("The evaluation of %(date)s is not awaiting approval.") % {"date": day})
            return redirect("admin:tiers_evaluation_changelist")
        if request.method == "POST" and "approve" in request.POST:
            approve_evaluation.delay_on_commit(evaluation.tenant_id, evaluation.pk, request.user.pk)
            messages.success(request, _("The evaluation of %(date)s is being applied.") % {"date": day})
            return redirect("admin:tiers_evaluation_changelist")
        if request.method == "POST" and "discard" in request.POST:
            try:
                services.evaluation_discard(evaluation=evaluation)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("The proposal of %(date)s was discarded; it will be computed again.") % {"date": day},
                )
            return redirect("admin:tiers_evaluation_changelist")
        movers_only = request.GET.get("all") != "1"
        search = request.GET.get("q", "").strip()
        rows = selectors.proposal_list(evaluation=evaluation, movers_only=movers_only, search=search)
        page = Paginator(rows, self.proposal_page_size).get_page(request.GET.get("p"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Evaluation of %(date)s: proposal") % {"date": day},
            "opts": self.model._meta,
            "evaluation": evaluation,
            "counts": selectors.proposal_counts(evaluation=evaluation),
            "page": page,
            "movers_only": movers_only,
            "search": search,
        }
        return TemplateResponse(request, "admin/tiers/evaluation_proposal.html", context)

    def override_view(self, request, evaluation_id, proposal_id):
        """One partner of a proposal gets another tier, for a reason (required)."""
        if not self.has_view_permission(request):
            return redirect("admin:index")
        evaluation = self._proposed(request, evaluation_id)
        proposal = get_object_or_404(
            ProposedAssessment.objects.filter(evaluation=evaluation).select_related(
                "partner", "previous_tier", "computed_tier", "applied_tier", "proposed_tier"
            ),
            pk=proposal_id,
        )
        back = reverse("admin:tiers_evaluation_proposal", args=[evaluation.pk])
        form = ProposalOverrideForm(
            request.POST or None, tenant=evaluation.tenant, initial={"tier": proposal.applied_tier_id}
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.proposal_override(
                    proposal=proposal,
                    tier=form.cleaned_data["tier"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("%(partner)s will get %(tier)s when the evaluation is approved.")
                    % {"partner": proposal.partner, "tier": form.cleaned_data["tier"]},
                )
                return redirect(back)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Override the proposed tier of %(partner)s") % {"partner": proposal.partner},
            "opts": self.model._meta,
            "evaluation": evaluation,
            "proposal": proposal,
            "form": form,
            "back": back,
        }
        return TemplateResponse(
            request, "admin/tiers/evaluation_override.html", context, status=400 if form.errors else 200
        )

    def preview_view(self, request):
        """ "If we evaluated today": counts and movers, any day; applying is for due dates or manual runs."""
        tenant = request.tenant
        due = latest_due_date(tenant)
        due_done = selectors.evaluation_is_applied(tenant=tenant, evaluation_date=due)
        awaiting = selectors.evaluation_awaiting_approval(tenant=tenant)
        form = ManualRunForm(request.POST or None, tenant=tenant, initial={"evaluation_date": due})
        if request.method == "POST":
            if "apply_due" in request.POST and not due_done and not awaiting:
                regrade_tenant.delay_on_commit(tenant.pk, due.isoformat(), request.user.pk)
                messages.success(
                    request, _("The evaluation of %(date)s is running.") % {"date": date_format(due)}
                )
                return redirect("admin:tiers_evaluation_changelist")
            if "manual_run" in request.POST and not awaiting and form.is_valid():
                day = form.cleaned_data["evaluation_date"]
                regrade_tenant.delay_on_commit(tenant.pk, day.isoformat(), request.user.pk)
                messages.success(
                    request, _("The evaluation of %(date)s is running.") % {"date": date_format(day)}
                )
                return redirect("admin:tiers_evaluation_changelist")
        try:
            preview = selectors.evaluation_preview(tenant=tenant)
        except RegradeError as error:  # a programme with no tiers yet: nothing to preview
            messages.error(request, str(error))
            return redirect("admin:tiers_evaluation_changelist")
        window, result, movers = preview.window, preview.result, preview.movers
        context = {
            **self.admin_site.each_context(request),
            "title": _("Tier preview: if we evaluated today"),
            "opts": self.model._meta,
            "today": tenant_today(tenant),
            "window": window,
            "result": result,
            "movers": movers[:500],
            "movers_total": len(movers),
            "due": due,
            "due_done": due_done,
            "awaiting": awaiting,
            "review": getattr(
                GradingPolicy.objects.filter(tenant=tenant).first(), "evaluation_review", False
            ),
            "form": form,
        }
        return TemplateResponse(request, "admin/tiers/evaluation_preview.html", context)


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = [
        "partner",
        "evaluation_date",
        "basis",
        "previous_tier",
        "applied_tier",
        "movement",
        "reason",
        "note",
    ]
    list_filter = [
        "evaluation_date",
        "movement",
        "reason",
        ("applied_tier", TenantRelatedFieldListFilter),
    ]
    search_fields = ["partner__external_ref", "partner__legal_name"]
    list_select_related = ["partner", "previous_tier", "applied_tier", "tenant"]


@admin.register(PartnerTier)
class PartnerTierAdmin(ReadOnlyMixin, TenantAdminMixin, SimpleHistoryAdmin):
    list_display = ["partner", "tier", "since"]
    list_filter = [("tier", TenantRelatedFieldListFilter)]
    search_fields = ["partner__external_ref", "partner__legal_name"]
    list_select_related = ["partner", "tier", "tenant"]


@admin.register(TierPin)
class TierPinAdmin(TenantAdminMixin, SimpleHistoryAdmin):
    list_display = ["partner", "tier", "ends_on", "reason", "created_by", "created_at"]
    autocomplete_fields = ["partner"]
    exclude = ["created_by"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new pin goes through the service, as from anywhere else.
        pin = tier_pin(
            partner=obj.partner, tier=obj.tier, reason=obj.reason, ends_on=obj.ends_on, by=request.user
        )
        form.instance = pin
        obj.pk = pin.pk


@admin.display(description=_("tier"), ordering="current_tier__tier__rank")
def current_tier_name(partner):
    current = getattr(partner, "current_tier", None)
    return current.tier.name if current else "—"
