"""The back-office: one admin site for every tenant, reached at /admin/ on the tenant's own host.

- Partner managers (staff with a manager membership in the request's tenant) see that tenant only: the
  tenant scope opened by the middleware filters every scoped manager, which covers change lists,
  foreign-key choices and their POST validation, raw-id labels, list filters and autocomplete.
- The platform superuser sees every tenant: the site runs its views with scopes disabled for them.
- Any ModelAdmin that is not tenant-aware (users, e-mail addresses, Celery beat, MFA…) is for the
  superuser only, whoever registered it; so tenant staff can never edit users or make themselves superuser.
- Every ModelAdmin, tenant-aware or not, refuses hostile input (admin_input.py) with a 400 that names it:
  filters the database cannot read, searches too long for it, malformed selected rows and choice ids.
"""

from functools import wraps

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import (
    ALL_VAR,
    ERROR_FLAG,
    IS_FACETS_VAR,
    IS_POPUP_VAR,
    ORDER_VAR,
    PAGE_VAR,
    SEARCH_VAR,
    TO_FIELD_VAR,
)
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from . import dashboard
from .admin_input import (
    BadAdminInput,
    lookup_problem,
    refusing_malformed_choices,
    search_problem,
    value_problem,
)
from .dashboard_branding import backoffice_branding_css
from .dashboard_views import dashboard_context, dashboard_list_view
from .forms import TenantModelFormMixin
from .tenancy import tenant_managers, tenant_users


def is_tenant_manager(request) -> bool:
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    membership = getattr(request, "membership", None)
    return membership is not None and membership.is_manager


def tenant_user_choices(field, tenant):
    """The people a user foreign key may name in a tenant (users are global): its managers for a partner's
    channel manager, anyone with a membership otherwise. The change form and the list filter offer these."""
    return tenant_managers(tenant) if field.name == "channel_manager" else tenant_users(tenant)


class TenantRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A foreign key's filter offering the tenant's rows of the related model (its partner types, plans,
    tiers, duties, managers), as the change form does.

    Django's RelatedOnlyFieldListFilter offers only the rows in use, which it finds by reading every row
    of the list: a scan of 50,000 partners, or of half a million duty fulfilments, on every page of the
    list. A choice no row uses gives an empty list, which is an answer too."""

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        tenant = None if request.user.is_superuser else getattr(request, "tenant", None)  # sees all tenants
        if related is get_user_model():
            if tenant is None:
                return super().field_choices(field, request, model_admin)
            queryset = tenant_user_choices(field, tenant)
        elif tenant is not None and any(f.name == "tenant" for f in related._meta.concrete_fields):
            queryset = related._default_manager.filter(tenant=tenant)
        else:
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin) or related._meta.ordering or ["pk"]
        return [(obj.pk, str(obj)) for obj in queryset.order_by(*ordering)]


# Change-list parameters that are not filters: the admin reads them itself.
CHANGELIST_VARS = {
    ALL_VAR,
    ERROR_FLAG,
    IS_FACETS_VAR,
    IS_POPUP_VAR,
    ORDER_VAR,
    PAGE_VAR,
    SEARCH_VAR,
    TO_FIELD_VAR,
}


class RefuseBadInputMixin:
    """Every ModelAdmin's guard against input the database cannot read (see admin_input.py): checked before
    the change list, the search, an action or a form queries anything, and answered with a 400 page that
    names the parameter and its value."""

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied  # before anything else: the filters of a list one may not see are not checked
        try:
            self._check_changelist_filters(request)
            return super().changelist_view(request, extra_context)
        except BadAdminInput as refused:
            return self.bad_input_response(request, refused.message)

    def _check_changelist_filters(self, request) -> None:
        own = {
            getattr(spec, "parameter_name", None)
            for spec in self.get_list_filter(request)
            if isinstance(spec, type) and issubclass(spec, admin.SimpleListFilter)
        }
        for key, values in request.GET.lists():
            if key in CHANGELIST_VARS or key in own:
                continue
            for value in values:
                if problem := lookup_problem(self.model, key, value):
                    raise BadAdminInput(problem)

    def get_object(self, request, object_id, from_field=None):
        # Django answers an id that is not one with "does not exist", but not an id too large for the
        # database, compared through a relation (a one-to-one primary key) without an overflow guard.
        field = self.opts.pk if from_field is None else self.opts.get_field(from_field)
        if value_problem(field, object_id):
            return None
        return super().get_object(request, object_id, from_field)

    def history_view(self, request, object_id, extra_context=None):
        # django-simple-history's history reads the id itself, and "abc" was a ValueError (a 500).
        if self._id_problem(object_id):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        history = getattr(self.model, self.opts.simple_history_manager_attribute).model
        if self._id_problem(object_id) or value_problem(history._meta.pk, version_id):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _id_problem(self, object_id) -> str | None:
        return value_problem(self.opts.pk, unquote(object_id))

    def get_search_results(self, request, queryset, search_term):
        if problem := search_problem(search_term):
            raise BadAdminInput(problem)
        return super().get_search_results(request, queryset, search_term)

    def response_action(self, request, queryset):
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            if value_problem(self.opts.pk, value):
                raise BadAdminInput(
                    _("“%(value)s” does not name a row of this list.") % {"value": value[:40]}
                )
        return super().response_action(request, queryset)

    def get_form(self, request, obj=None, **kwargs):
        return refusing_malformed_choices(super().get_form(request, obj, **kwargs))

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            formset.form = refusing_malformed_choices(formset.form)
            yield formset, inline

    def bad_input_response(self, request, message: str) -> TemplateResponse:
        info = (self.opts.app_label, self.opts.model_name)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Request refused"),
            "message": message,
            "opts": self.opts,
            "back": reverse(f"admin:{info[0]}_{info[1]}_changelist", current_app=self.admin_site.name),
        }
        return TemplateResponse(request, "admin/bad_input.html", context, status=400)


class TenantRawIdWidget(ForeignKeyRawIdWidget):
    """The label beside a raw-id field names the object only if it is one of the field's choices (the
    tenant's): Django looks it up through the model's default manager, and users are not scoped."""

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices_queryset = choices

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field()
        if value in (None, "") or value_problem(key, value):
            return "", ""
        if not self.choices_queryset.filter(**{key.name: value}).exists():
            return "", ""
        return super().label_and_url_for_value(value)


class SuperuserOnlyAdminMixin(RefuseBadInputMixin):
    """Platform-level models: the superuser only."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


class TenantAdminMixin(RefuseBadInputMixin):
    """The one admin mixin for tenant-owned models.

    Managers of the request's tenant may view and change its objects; the tenant field is hidden from
    them and set from the request. Querysets need no filter here: the default managers are scoped.
    Users are not tenant-owned, so user choices are narrowed to the tenant's people here.
    """

    def has_module_permission(self, request):
        return is_tenant_manager(request)

    def has_view_permission(self, request, obj=None):
        return is_tenant_manager(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser:
            exclude.append("tenant")
        return exclude

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if request.user.is_superuser else [f for f in fields if f != "tenant"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "tenant"]})
            for name, opts in fieldsets
        ]

    def get_list_display(self, request):
        display = list(super().get_list_display(request))
        if request.user.is_superuser and "tenant" not in display:
            display.append("tenant")
        return display

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser:
            filters.insert(0, "tenant")
        return filters

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        tenant = request.tenant
        return type(form.__name__, (TenantModelFormMixin, form), {"default_tenant": tenant})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is get_user_model() and not request.user.is_superuser:
            kwargs["queryset"] = tenant_user_choices(db_field, request.tenant)
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None)
        if isinstance(widget, ForeignKeyRawIdWidget) and not isinstance(widget, TenantRawIdWidget):
            formfield.widget = TenantRawIdWidget(
                widget.rel, widget.admin_site, attrs=widget.attrs, using=widget.db, choices=formfield.queryset
            )
        return formfield


class TenantInlineMixin:
    """The inline counterpart of TenantAdminMixin: children take the tenant of the page they are on."""

    def has_view_permission(self, request, obj=None):
        return is_tenant_manager(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), "tenant"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        tenant = obj.tenant if obj is not None and obj.tenant_id else request.tenant
        formset.form = type(
            formset.form.__name__, (TenantModelFormMixin, formset.form), {"default_tenant": tenant}
        )
        return formset


class ReadOnlyMixin:
    """Shown in the back-office, never added, changed or deleted there: the records change through their
    services (a regrade, an import, the partner's own pages), which an admin edit would skip. Put it before
    TenantAdminMixin / TenantInlineMixin, whose permissions it narrows."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin(ReadOnlyMixin, TenantInlineMixin):
    """A record shown on its parent's page, changed elsewhere (through its services, on its own page)."""

    extra = 0
    max_num = 0
    can_delete = False


class PortalAdminSite(admin.AdminSite):
    site_title = _("Partner Portal back-office")
    site_header = _("Partner Portal back-office")
    index_title = _("Partner programme")
    # The home page is the managers' dashboard (dashboard.py), with the app list beside it.
    index_template = "admin/dashboard.html"

    def has_permission(self, request):
        return is_tenant_manager(request)

    def each_context(self, request):
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            context["site_header"] = _("%(tenant)s back-office") % {"tenant": tenant.name}
        return context

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, (TenantAdminMixin, SuperuserOnlyAdminMixin)):
            admin_class = type(admin_class.__name__, (SuperuserOnlyAdminMixin, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_superuser:
                return inner(request, *args, **kwargs)
            # The platform superuser sees all tenants; render inside the block so lazy querysets do too.
            with scopes_disabled():
                response = inner(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                return response

        return wrapper

    def autocomplete_view(self, request):
        try:
            return super().autocomplete_view(request)
        except BadAdminInput as refused:
            return JsonResponse({"error": refused.message}, status=400)

    def index(self, request, extra_context=None):
        return super().index(request, extra_context={**dashboard_context(request), **(extra_context or {})})

    def dashboard_list(self, request, slug):
        return dashboard_list_view(request, slug, site=self)

    def get_urls(self):
        # Admin sign-in goes through allauth (rate limits, MFA) rather than the admin's own form.
        self.login = secure_admin_login(super().login)
        dashboard.discover()  # the apps' back-office modules, once every app is loaded
        return [
            path("dashboard/<slug:slug>/", self.admin_view(self.dashboard_list), name="dashboard-list"),
            # Public like the portal's: the colours are no secret, and the sign-in pages wear them too.
            path("branding.css", backoffice_branding_css, name="branding-css"),
            *super().get_urls(),
        ]
