"""Back-office: the membership criteria (managers edit the checklist) and the applications to vet.

An application is vetted on its own page (``<pk>/vet/``): the company and what it told us, the checklist of
the tenant's criteria (met or not, with a note), then Accept or Refuse. Every write goes through the
services, which refuse a second decision; the change page is read-only.
"""

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from partnerportal.admin_site import TenantAdminMixin
from partnerportal.formatting import date_format

from . import selectors, services
from .forms import AcceptForm, CriterionCheckFormSet, RefuseForm
from .models import Application, MembershipCriterion


@admin.register(MembershipCriterion)
class MembershipCriterionAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["title", "code", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title", "code", "description"]
    fields = ["tenant", "code", "title", "description", "position", "is_active"]


class ApplicationStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return Application.State.choices

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


@admin.register(Application)
class ApplicationAdmin(TenantAdminMixin, SimpleHistoryAdmin):
    # Narrow, for the admin's layout beside its sidebar: the place, e-mail and phone are on the vetting page.
    list_display = ["company", "partner_type", "contact", "submitted_on", "state"]
    list_display_links = None  # each company links to its vetting page, not to the read-only change page
    list_filter = [ApplicationStateFilter, ("partner__partner_type", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["partner", "partner__partner_type", "tenant"]
    search_fields = [
        "partner__legal_name",
        "partner__siren",
        "partner__city",
        "contact_last_name",
        "contact_email",
    ]
    readonly_fields = [
        "partner",
        "contact_first_name",
        "contact_last_name",
        "contact_email",
        "contact_phone",
        "products",
        "message",
        "submitted_at",
        "state",
        "decided_by",
        "decided_at",
        "refusal_reason",
        "entry_tier",
        "invitation",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False  # applications come from the public form

    def has_delete_permission(self, request, obj=None):
        return False  # a record of who applied and what was decided

    def has_change_permission(self, request, obj=None):
        # Changed through the services only (the vetting views ask without ``obj``): the change page is
        # read-only, with no Save that would write around them.
        return obj is None and super().has_change_permission(request, obj)

    def get_queryset(self, request):
        # Those to vet first, the oldest first (a sorted column wins); the annotation must exist before the
        # ordering is applied, hence no super().
        to_vet = Case(
            When(state=Application.State.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return self.model._default_manager.annotate(to_vet=to_vet).order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ["to_vet", "submitted_at"]

    @admin.display(description=_("partner type"), ordering="partner__partner_type__name")
    def partner_type(self, application):
        return application.partner.partner_type.name

    @admin.display(description=_("contact"))
    def contact(self, application):
        return application.contact_name

    @admin.display(description=_("submitted"), ordering="submitted_at")
    def submitted_on(self, application):
        return date_format(timezone.localtime(application.submitted_at), "SHORT_DATE_FORMAT")

    @admin.display(description=_("company"), ordering="partner__legal_name")
    def company(self, application):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:recruitment_application_vet", args=[application.pk]),
            application.partner.legal_name,
        )

    # --- vetting one application ---------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/vet/", view(self.vet_view), name="recruitment_application_vet"),
            path("<int:pk>/accept/", view(self.accept_view), name="recruitment_application_accept"),
            path("<int:pk>/refuse/", view(self.refuse_view), name="recruitment_application_refuse"),
            *super().get_urls(),
        ]

    def _application(self, request, pk) -> Application:
        queryset = self.get_queryset(request).select_related(
            "partner", "partner__partner_type", "partner__operator_plan", "decided_by", "entry_tier", "tenant"
        )
        return get_object_or_404(queryset, pk=pk)

    def _page(self, request, application, *, checklist_formset=None, accept_form=None, status=200):
        checklist = selectors.application_checklist(application=application)
        if checklist_formset is None:
            checklist_formset = CriterionCheckFormSet(
                initial=[
                    {
                        "criterion": line.criterion.pk,
                        "met": line.met,
                        "note": line.check.note if line.check else "",
                    }
                    for line in checklist
                    if line.criterion.is_active
                ],
                prefix="checks",
            )
        rows = list(
            zip([line for line in checklist if line.criterion.is_active], checklist_formset, strict=False)
        )
        context = {
            **self.admin_site.each_context(request),
            "title": (
                _("Vet the application of %(company)s")
                if application.is_pending
                else _("The application of %(company)s")
            )
            % {"company": application.partner.legal_name},
            "opts": self.model._meta,
            "application": application,
            "partner": application.partner,
            "checklist": checklist,
            "rows": rows,
            "formset": checklist_formset,
            "accept_form": accept_form or AcceptForm(),
            "all_met": all(line.met for line in checklist if line.criterion.is_active),
        }
        return TemplateResponse(request, "admin/recruitment/application/vet.html", context, status=status)

    def vet_view(self, request, pk):
        if not self.has_view_permission(request):
            return redirect("admin:index")
        application = self._application(request, pk)
        if request.method != "POST":
            return self._page(request, application)
        if not self.has_change_permission(request):
            return redirect("admin:recruitment_application_changelist")
        formset = CriterionCheckFormSet(request.POST, prefix="checks")
        if not formset.is_valid():
            return self._page(request, application, checklist_formset=formset, status=400)
        checks = [
            (f.cleaned_data["criterion"], f.cleaned_data["met"], f.cleaned_data["note"]) for f in formset
        ]
        try:
            services.application_check(application=application, checks=checks, by=request.user)
        except services.ApplicationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, _("The checklist is saved."))
        return redirect("admin:recruitment_application_vet", pk=application.pk)

    def accept_view(self, request, pk):
        if request.method != "POST" or not self.has_change_permission(request):
            return redirect("admin:recruitment_application_changelist")
        application = self._application(request, pk)
        form = AcceptForm(request.POST)
        if not form.is_valid():
            return self._page(request, application, accept_form=form, status=400)
        try:
            services.application_accept(
                application=application, by=request.user, external_ref=form.cleaned_data["external_ref"]
            )
        except services.ApplicationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return redirect("admin:recruitment_application_vet", pk=application.pk)
        self.message_user(
            request,
            _("%(company)s is accepted; %(email)s is invited as its administrator.")
            % {"company": application.partner.legal_name, "email": application.contact_email},
        )
        return redirect("admin:recruitment_application_changelist")

    def refuse_view(self, request, pk):
        if not self.has_change_permission(request):
            return redirect("admin:recruitment_application_changelist")
        application = self._application(request, pk)
        form = RefuseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.application_refuse(
                    application=application, by=request.user, reason=form.cleaned_data["reason"]
                )
            except services.ApplicationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return redirect("admin:recruitment_application_vet", pk=application.pk)
            self.message_user(
                request,
                _("The application of %(company)s is refused; the applicant is told by e-mail.")
                % {"company": application.partner.legal_name},
            )
            return redirect("admin:recruitment_application_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refuse the application of %(company)s") % {"company": application.partner.legal_name},
            "opts": self.model._meta,
            "application": application,
            "form": form,
        }
        return TemplateResponse(
            request,
            "admin/recruitment/application/refuse.html",
            context,
            status=400 if form.is_bound else 200,
        )
