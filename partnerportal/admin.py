from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .admin_site import (
    ReadOnlyInlineMixin,
    SuperuserOnlyAdminMixin,
    TenantAdminMixin,
    TenantRelatedFieldListFilter,
)
from .logos import TenantForm
from .models import Invitation, Membership, OperatorPlan, Partner, PartnerType, Tenant, TenantDomain


class TenantDomainInline(admin.TabularInline):
    model = TenantDomain
    extra = 1


@admin.register(Tenant)
class TenantAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    form = TenantForm  # a new logo is checked, encoded again and named by its content
    list_display = ["name", "slug", "default_language", "currency", "timezone"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TenantDomainInline]


@admin.register(PartnerType)
class PartnerTypeAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "grading_basis", "has_operator_plans", "position"]
    search_fields = ["name", "code"]


@admin.register(OperatorPlan)
class OperatorPlanAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "opening_fee", "revenue_share_min", "revenue_share_max"]


@dataclass(frozen=True)
class PartnerListExtension:
    """What an app adds to the back-office partners' list (``partner_list_extend``)."""

    column: Callable | None = None  # a function of the partner, decorated with @admin.display
    before: str = "status"  # the column it is shown before
    list_filter: Any = None  # a list_filter entry: a field path, a (path, filter) pair or a filter class
    queryset: Callable | None = None  # queryset -> queryset: the joins or annotations the column reads


_partner_list_extensions: list[PartnerListExtension] = []


def partner_list_extend(**kwargs) -> None:
    """Add a column, a filter or both to the partners' list; apps call it from ``AppConfig.ready()``.

    One registry instead of each app re-registering ``PartnerAdmin``: two apps could not both do that.
    """
    extension = PartnerListExtension(**kwargs)
    if extension not in _partner_list_extensions:
        _partner_list_extensions.append(extension)


_partner_inlines: list[tuple[int, type]] = []


def partner_inlines_extend(inline: type, *, order: int = 100) -> None:
    """Add an inline to the partner's change page (an app's revenue, claims, duties…); apps call it from
    their ``backoffice`` module, which partnerportal.dashboard.discover() imports."""
    if all(existing is not inline for _order, existing in _partner_inlines):
        _partner_inlines.append((order, inline))
        _partner_inlines.sort(key=lambda entry: entry[0])


class MembershipInline(ReadOnlyInlineMixin, admin.TabularInline):
    """A partner's people, shown: profiles change and people leave through the memberships' own page and
    the team's services (which keep at least one administrator); people join through invitations."""

    model = Membership
    fields = ["user", "role", "created_at"]
    readonly_fields = fields
    verbose_name_plural = _("people")
    show_change_link = True

    def get_queryset(self, request):
        # Each row is titled with str(membership), which names the partner: joined, not read per row.
        return super().get_queryset(request).select_related("user", "partner")


@admin.register(Partner)
class PartnerAdmin(TenantAdminMixin, SimpleHistoryAdmin):
    # Narrow enough for the admin's layout once the apps add their columns (tier, duties); the plan, join
    # date and city are filters, search fields and on the page.
    list_display = ["legal_name", "external_ref", "partner_type", "status", "channel_manager"]
    list_filter = [
        "status",
        ("partner_type", TenantRelatedFieldListFilter),
        ("operator_plan", TenantRelatedFieldListFilter),
        ("channel_manager", TenantRelatedFieldListFilter),
    ]
    search_fields = ["legal_name", "trade_name", "external_ref", "siret", "city"]
    list_select_related = ["partner_type", "operator_plan", "tenant", "channel_manager"]
    list_per_page = 50
    date_hierarchy = "date_joined"
    fieldsets = [
        (None, {"fields": ["tenant", "external_ref", "legal_name", "trade_name", "siren", "siret"]}),
        (
            _("Programme"),
            {
                "fields": [
                    "partner_type",
                    "operator_plan",
                    "revenue_share",
                    "status",
                    "date_joined",
                    "channel_manager",
                ]
            },
        ),
        (
            _("Contact"),
            {"fields": Partner.CONTACT_FIELDS},
        ),
    ]

    def get_list_display(self, request):
        display = list(super().get_list_display(request))
        for extension in _partner_list_extensions:
            if extension.column is not None:
                at = display.index(extension.before) if extension.before in display else len(display)
                display.insert(at, extension.column)
        return display

    def get_list_filter(self, request):
        extra = [e.list_filter for e in _partner_list_extensions if e.list_filter is not None]
        return [*super().get_list_filter(request), *extra]

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        return [MembershipInline, *(inline for _order, inline in _partner_inlines)]

    def get_queryset(self, request):
        # The change list applies list_select_related only to a queryset that has no select_related yet,
        # and the apps' extensions add theirs (the tier): so the list's own joins are asked for here.
        queryset = super().get_queryset(request).select_related(*self.list_select_related)
        for extension in _partner_list_extensions:
            if extension.queryset is not None:
                queryset = extension.queryset(queryset)
        return queryset


@admin.register(Membership)
class MembershipAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["user", "partner", "role", "created_at"]
    list_filter = ["role", ("partner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__email", "partner__legal_name"]
    list_select_related = ["user", "partner", "tenant"]
    autocomplete_fields = ["partner"]
    fields = ["tenant", "user", "partner", "role"]

    def get_readonly_fields(self, request, obj=None):
        # New people join through invitations; a membership's person is never re-pointed.
        return ["user"] if obj is not None or not request.user.is_superuser else []

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser


@admin.register(Invitation)
class InvitationAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["email", "partner", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role", ("partner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["email", "partner__legal_name"]
    autocomplete_fields = ["partner"]
    fields = ["tenant", "email", "partner", "role"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return ["email", "partner", "role"] if obj is not None else []

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return
        invitation = services.invitation_create(
            tenant=obj.tenant,
            partner=obj.partner,
            email=obj.email,
            role=obj.role,
            invited_by=request.user,
            base_url=request.build_absolute_uri("/"),
        )
        form.instance = invitation
        obj.pk = invitation.pk
        messages.success(request, _("The invitation was sent to %(email)s.") % {"email": invitation.email})

    @admin.action(description=_("Revoke the selected invitations"))
    def revoke(self, request, queryset):
        count = services.invitation_revoke_many(invitations=queryset)
        message = ngettext("%(count)d invitation revoked.", "%(count)d invitations revoked.", count)
        messages.success(request, message % {"count": count})


@admin.register(get_user_model())
class UserAdmin(SuperuserOnlyAdminMixin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "preferred_language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


if apps.is_installed("allauth.usersessions"):
    # Imported first, so that allauth's own registration has happened and can be replaced.
    from allauth.usersessions.admin import UserSessionAdmin as AllauthUserSessionAdmin
    from allauth.usersessions.models import UserSession

    admin.site.unregister(UserSession)

    @admin.register(UserSession)
    class UserSessionAdmin(SuperuserOnlyAdminMixin, AllauthUserSessionAdmin):
        # allauth searches ``user__username``, which this user model has not (people sign in by e-mail):
        # every search of the list was a 500.
        search_fields = ["user__email", "ip"]
