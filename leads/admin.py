"""Back-office: product lines, partners' lead coverage, and the leads: create, import, assign by hand,
route now, and the conversion per partner and per tier. Every change goes through the services."""

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from partnerportal.admin_site import ReadOnlyInlineMixin, TenantAdminMixin
from partnerportal.formatting import money
from partnerportal.models import Partner

from . import selectors, services
from .forms import LeadAdminForm, LeadAssignForm, LeadCoverageAdminForm, LeadImportForm
from .imports import COLUMNS, OPTIONAL, leads_import
from .models import Lead, LeadCoverage, LeadOffer, ProductLine


@admin.register(ProductLine)
class ProductLineAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "position"]
    search_fields = ["name", "code"]


@admin.register(LeadCoverage)
class LeadCoverageAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = LeadCoverageAdminForm
    fields = ["partner", "departements", "regions", "product_lines", "accepts_leads"]
    list_display = ["partner", "accepts_leads", "zones"]
    list_filter = ["accepts_leads"]
    list_select_related = ["partner", "tenant"]
    search_fields = ["partner__legal_name", "partner__trade_name", "partner__external_ref"]
    autocomplete_fields = ["partner"]
    filter_horizontal = ["product_lines"]

    @admin.display(description=_("declared zones"))
    def zones(self, coverage):
        return ", ".join([*coverage.departements, *coverage.regions]) or "—"


class LeadOfferInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = LeadOffer
    fields = ["partner", "state", "how", "offered_at", "expires_at", "answered_at", "assigned_by"]
    readonly_fields = fields
    verbose_name_plural = _("offers, oldest first")


@admin.register(Lead)
class LeadAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = LeadAdminForm
    list_display = ["number", "customer", "place", "value", "state", "partner", "assign"]
    list_filter = ["state", "source", "region", "product_lines"]
    list_select_related = ["partner", "tenant"]
    search_fields = ["customer", "contact_name", "city", "postal_code", "partner__legal_name"]
    readonly_fields = [
        "departement",
        "region",
        "state",
        "partner",
        "created_at",
        "created_by",
        "accepted_at",
        "contacted_at",
        "quoted_at",
        "closed_at",
        "won_value",
        "lost_reason",
        "unrouted_at",
    ]
    fieldsets = [
        (_("End customer"), {"fields": ["customer", "contact_name", "contact_email", "contact_phone"]}),
        (_("Place"), {"fields": ["postal_code", "city", "departement", "region"]}),
        (_("Need"), {"fields": ["product_lines", "monthly_value", "source", "notes"]}),
        (
            _("Follow-up"),
            {
                "fields": [
                    "state",
                    "partner",
                    "created_at",
                    "created_by",
                    "accepted_at",
                    "contacted_at",
                    "quoted_at",
                    "closed_at",
                    "won_value",
                    "lost_reason",
                    "unrouted_at",
                ]
            },
        ),
    ]
    filter_horizontal = ["product_lines"]
    inlines = [LeadOfferInline]
    actions = ["route_selected"]
    change_list_template = "admin/leads/lead/change_list.html"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is not None else fieldsets[:3]  # nothing to follow up before it exists

    @admin.display(description=_("number"), ordering="pk")
    def number(self, lead):
        return f"#{lead.pk}"

    @admin.display(description=_("place"), ordering="departement")
    def place(self, lead):
        return f"{lead.city} ({lead.departement})"

    @admin.display(description=_("monthly value"), ordering="monthly_value")
    def value(self, lead):
        return money(lead.monthly_value)

    @admin.display(description=_("assign"))
    def assign(self, lead):
        if lead.state in Lead.CLOSED_STATES:
            return "—"
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:leads_lead_assign", args=[lead.pk]),
            _("Assign…"),
        )

    def save_model(self, request, obj, form, change):
        services.lead_save(lead=obj, by=request.user)

    @admin.action(description=_("Route the selected leads now"))
    def route_selected(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        result = services.leads_route_now(tenant=request.tenant, lead_ids=ids)
        self.message_user(
            request,
            _("%(offered)d offered, %(expired)d without a partner.")
            % {"offered": result.offered, "expired": result.expired},
            messages.SUCCESS if result.offered else messages.WARNING,
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="leads_lead_import"),
            path("conversion/", view(self.conversion_view), name="leads_lead_conversion"),
            path("<int:pk>/assign/", view(self.assign_view), name="leads_lead_assign"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = LeadImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            result = leads_import(
                tenant=request.tenant, stream=upload.file, by=request.user, size=upload.size
            )
            if result.ok:
                self.message_user(
                    request,
                    ngettext(
                        "%(file)s: %(count)d lead imported; the next routing pass offers it.",
                        "%(file)s: %(count)d leads imported; the next routing pass offers them.",
                        len(result.created),
                    )
                    % {"file": upload.name, "count": len(result.created)},
                )
                return redirect("admin:leads_lead_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import leads"),
            "form": form,
            "result": result,
            "columns": COLUMNS,
            "optional": OPTIONAL,
            "product_lines": ProductLine.objects.filter(tenant=request.tenant),
            "sources": Lead.Source.choices,
            "opts": self.model._meta,
        }
        status = 400 if result is not None or form.errors else 200
        return TemplateResponse(request, "admin/leads/lead/import.html", context, status=status)

    def assign_view(self, request, pk):
        if not self.has_change_permission(request):
            return redirect("admin:index")
        lead = get_object_or_404(self.get_queryset(request), pk=pk)
        partners = Partner.objects.filter(tenant=lead.tenant, status=Partner.Status.ACTIVE).order_by(
            "legal_name"
        )
        form = LeadAssignForm(request.POST or None, partners=partners)
        if request.method == "POST" and form.is_valid():
            try:
                services.lead_assign(lead=lead, partner=form.cleaned_data["partner"], by=request.user)
            except services.LeadError as error:
                form.add_error("partner", error.messages)
            else:
                self.message_user(
                    request,
                    _("Lead #%(number)s offered to %(partner)s.")
                    % {"number": lead.pk, "partner": form.cleaned_data["partner"]},
                )
                return redirect("admin:leads_lead_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Assign lead #%(number)s") % {"number": lead.pk},
            "lead": lead,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/leads/lead/assign.html", context, status=400 if form.is_bound else 200
        )

    def conversion_view(self, request):
        if not self.has_view_permission(request):
            return redirect("admin:index")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Lead conversion"),
            "by_tier": selectors.conversion_by_tier(tenant=request.tenant),
            "by_partner": selectors.conversion_by_partner(tenant=request.tenant),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/leads/lead/conversion.html", context)
