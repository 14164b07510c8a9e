"""Back-office of the duties: the catalogue, the review queue, plans and forecasts, the partners' score."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from partnerportal.admin_site import (
    ReadOnlyMixin,
    TenantAdminMixin,
    TenantInlineMixin,
    TenantRelatedFieldListFilter,
)
from partnerportal.models import Tenant

from . import services, tasks
from .models import DevelopmentPlan, Duty, DutyFulfilment, FulfilmentState, PlanObjective, SalesForecast
from .selectors import partners_with_compliance

# --- the partners' list: compliance column and filter ------------------------------------------------


def with_compliance(queryset):
    """The partners' list hook: compliance on each partner's tenant's today (the superuser's list spans
    tenants, a handful of them, read in one query)."""
    return partners_with_compliance(queryset, tenants=list(Tenant.objects.all()))


@admin.display(description=_("Duties"), ordering="duties_due")
def compliance_column(partner) -> str:
    due = getattr(partner, "duties_due", 0)
    if not due:
        return "—"
    done = partner.duties_done
    return f"{done * 100 // due} % ({done}/{due})"


class ComplianceFilter(admin.SimpleListFilter):
    title = _("duty compliance")
    parameter_name = "compliance"

    def lookups(self, request, model_admin):
        return [
            ("low", _("below 50 %")),
            ("mid", _("50 to 99 %")),
            ("full", _("100 %")),
            ("none", _("nothing due")),
        ]

    def queryset(self, request, queryset):
        # The annotations come from with_compliance (the partners' list queryset extension).
        value = self.value()
        if value == "none":
            return queryset.filter(duties_due=0)
        if value == "full":
            return queryset.filter(duties_due__gt=0, duties_done=F("duties_due"))
        if value == "mid":
            return queryset.filter(duties_due__gt=0, duties_done__lt=F("duties_due")).filter(
                duties_done__gte=F("duties_due") / 2.0
            )
        if value == "low":
            return queryset.filter(duties_due__gt=0).filter(duties_done__lt=F("duties_due") / 2.0)
        return queryset


# --- the catalogue -------------------------------------------------------------------------------------


@admin.register(Duty)
class DutyAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "code",
        "category",
        "format",
        "count",
        "recurrence",
        "due_days",
        "blocking",
        "position",
    ]
    list_filter = ["category", "recurrence", "blocking", "evidence"]
    search_fields = ["title", "code"]
    filter_horizontal = ["tiers", "partner_types", "operator_plans"]
    actions = ["open_for_current_tiers"]
    fieldsets = [
        (None, {"fields": ["tenant", "code", "title", "description", "category", "position"]}),
        (_("Where it applies"), {"fields": ["tiers", "partner_types", "operator_plans"]}),
        (_("Trainings"), {"fields": ["profile", "product_line", "format", "count"]}),
        (_("When and how"), {"fields": ["recurrence", "due_days", "blocking", "evidence"]}),
    ]

    @admin.action(description=_("Open the duties of the partners' current tiers (after a catalogue change)"))
    def open_for_current_tiers(self, request, queryset):
        # A task per tenant of the selected duties (the superuser's list may mix tenants), after commit:
        # a whole tenant's partners are too many for a request.
        by_tenant: dict[int, list[int]] = {}
        for pk, tenant_id in queryset.values_list("pk", "tenant_id"):
            by_tenant.setdefault(tenant_id, []).append(pk)
        for tenant_id, duty_ids in by_tenant.items():
            tasks.sync_duties.delay_on_commit(tenant_id, duty_ids)
        count = sum(len(ids) for ids in by_tenant.values())
        messages.success(
            request,
            ngettext(
                "%(count)d duty will be opened for the partners of its tiers in a few minutes.",
                "%(count)d duties will be opened for the partners of their tiers in a few minutes.",
                count,
            )
            % {"count": count},
        )


# --- the review queue ----------------------------------------------------------------------------------


class StateFilter(admin.SimpleListFilter):
    """The queue opens on what waits for a manager: submitted evidence."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*FulfilmentState.choices, ("all", _("All"))]

    def choices(self, changelist):
        value = self.value() or FulfilmentState.SUBMITTED
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or FulfilmentState.SUBMITTED
        return queryset if value == "all" else queryset.filter(state=value)


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}), required=True)


@admin.register(DutyFulfilment)
class DutyFulfilmentAdmin(TenantAdminMixin, SimpleHistoryAdmin):
    list_display = ["partner", "duty", "due_date", "state", "evidence_link", "decide"]
    list_filter = [StateFilter, "duty__category", ("duty", TenantRelatedFieldListFilter)]
    search_fields = ["partner__legal_name", "partner__external_ref", "duty__title", "duty__code"]
    list_select_related = ["partner", "duty", "tenant", "trainee"]
    # A queue worked from the top, with decision buttons on every row: 50 rows a page, as the partners'
    # list, rather than the admin's 100 (each row costs about a millisecond to render).
    list_per_page = 50
    show_full_result_count = False  # "12 of 459,632": a second count of every fulfilment, on every page
    date_hierarchy = "due_date"
    actions = ["approve"]
    readonly_fields = [
        "partner",
        "duty",
        "period",
        "period_end",
        "state",
        "evidence_link",
        "document_name",
        "trainee",
        "course",
        "completed_on",
        "submitted_by",
        "submitted_at",
        "decided_by",
        "decided_at",
        "reason",
        "reminded_at",
        "overdue_notified_at",
    ]
    fields = ["tenant", *readonly_fields[:2], "period", "due_date", *readonly_fields[4:]]

    def has_add_permission(self, request):
        return False  # duties open with the tiers (services.duties_apply_tier_changes), not by hand

    def has_change_permission(self, request, obj=None):
        # A fulfilment changes through the services only (the decision views and the action ask without
        # ``obj``): its page is read-only, with no Save that would move a due date around the reminders.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # a record of the programme; deleting would skip the services and leave the file

    @admin.display(description=_("evidence"))
    def evidence_link(self, obj):
        if obj.document:
            url = reverse("obligations:fulfilment-document", args=[obj.pk])
            return format_html('<a href="{}">{}</a>', url, obj.document_name or _("download"))
        if obj.course:
            return f"{obj.course} — {obj.trainee or ''} ({obj.completed_on or ''})"
        return "—"

    @admin.display(description=_("decision"))
    def decide(self, obj):
        if obj.state not in services.DECIDABLE:
            return ""
        approve = reverse("admin:obligations_dutyfulfilment_approve", args=[obj.pk])
        refuse = reverse("admin:obligations_dutyfulfilment_refuse", args=[obj.pk])
        waive = reverse("admin:obligations_dutyfulfilment_waive", args=[obj.pk])
        refuse_link = (
            format_html(' <a class="button" href="{}">{}</a>', refuse, _("Refuse"))
            if obj.state == FulfilmentState.SUBMITTED
            else ""
        )
        # Inside the change list's own form (which carries the CSRF token): the button posts it elsewhere.
        return format_html(
            '<button type="submit" formaction="{}" class="button default">{}</button>{} <a href="{}">{}</a>',
            approve,
            _("Approve"),
            refuse_link,
            waive,
            _("Waive"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", view(self.approve_view), name="obligations_dutyfulfilment_approve"),
            path("<int:pk>/refuse/", view(self.refuse_view), name="obligations_dutyfulfilment_refuse"),
            path("<int:pk>/waive/", view(self.waive_view), name="obligations_dutyfulfilment_waive"),
            *super().get_urls(),
        ]

    def _get(self, request, pk) -> DutyFulfilment:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _back(self):
        return redirect("admin:obligations_dutyfulfilment_changelist")

    @admin.action(description=_("Approve the selected duties"))
    def approve(self, request, queryset):
        count = services.fulfilment_approve_many(fulfilments=queryset, by=request.user)
        messages.success(
            request,
            ngettext("%(count)d duty approved.", "%(count)d duties approved.", count) % {"count": count},
        )

    def approve_view(self, request, pk):
        fulfilment = self._get(request, pk)
        if request.method != "POST":
            return self._back()
        if services.fulfilment_approve(fulfilment=fulfilment, by=request.user):
            messages.success(request, _("Approved: %(duty)s.") % {"duty": fulfilment})
        else:
            messages.warning(request, _("Nothing to approve: %(duty)s.") % {"duty": fulfilment})
        return self._back()

    def _reason_view(self, request, pk, *, action: str):
        fulfilment = self._get(request, pk)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            decide = services.fulfilment_refuse if action == "refuse" else services.fulfilment_waive
            try:
                done = decide(fulfilment=fulfilment, by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if done:
                    messages.success(request, _("Done: %(duty)s.") % {"duty": fulfilment})
                else:
                    messages.warning(request, _("Nothing to decide: %(duty)s.") % {"duty": fulfilment})
                return self._back()
        title = _("Refuse the evidence") if action == "refuse" else _("Waive the duty")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "fulfilment": fulfilment,
            "form": form,
            "action": action,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(
            request, "admin/obligations/dutyfulfilment/decision.html", context, status=status
        )

    def refuse_view(self, request, pk):
        return self._reason_view(request, pk, action="refuse")

    def waive_view(self, request, pk):
        return self._reason_view(request, pk, action="waive")


# --- plans and forecasts ---------------------------------------------------------------------------------


# Managers read plans and forecasts here (ReadOnlyMixin); partners write them on their portal
# (services.plan_save, services.forecast_submit), which also fulfils the matching duty: an admin edit would
# skip that.


class PlanObjectiveInline(ReadOnlyMixin, TenantInlineMixin, admin.TabularInline):
    model = PlanObjective
    extra = 0


@admin.register(DevelopmentPlan)
class DevelopmentPlanAdmin(ReadOnlyMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["partner", "year", "updated_by", "updated_at"]
    list_filter = ["year"]
    search_fields = ["partner__legal_name", "partner__external_ref"]
    list_select_related = ["partner", "updated_by", "tenant"]
    autocomplete_fields = ["partner"]
    inlines = [PlanObjectiveInline]
    readonly_fields = ["updated_by"]


@admin.register(SalesForecast)
class SalesForecastAdmin(ReadOnlyMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["partner", "quarter_start", "product_line", "amount", "submitted_by", "submitted_at"]
    list_filter = ["quarter_start", "product_line"]
    search_fields = ["partner__legal_name", "partner__external_ref"]
    list_select_related = ["partner", "submitted_by", "tenant"]
    autocomplete_fields = ["partner"]
    readonly_fields = ["submitted_by"]
