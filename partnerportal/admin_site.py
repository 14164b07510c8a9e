"""The back-office: one admin site for every tenant, reached at /admin/ on the tenant's own host.

- Partner managers (staff with a manager membership in the request's tenant) see that tenant only: the
  tenant scope opened by the middleware filters every scoped manager, which covers change lists,
  foreign-key choices and their POST validation, raw-id labels, list filters and autocomplete.
- The platform superuser sees every tenant: the site runs its views with scopes disabled for them.
- Any ModelAdmin that is not tenant-aware (users, e-mail addresses, Celery beat, MFA…) is for the
  superuser only, whoever registered it; so tenant staff can never edit users or make themselves superuser.
"""

from functools import wraps

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from . import dashboard
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


class SuperuserOnlyAdminMixin:
    """Platform-level models: the superuser only."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


class TenantAdminMixin:
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
            if db_field.name == "channel_manager":
                kwargs["queryset"] = tenant_managers(request.tenant)
            else:
                kwargs["queryset"] = tenant_users(request.tenant)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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
