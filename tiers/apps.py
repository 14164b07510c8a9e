from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TiersConfig(AppConfig):
    name = "tiers"
    verbose_name = _("Tiers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib import admin

        from partnerportal import entitlements, navigation
        from partnerportal.admin import partner_list_extend

        from . import receivers  # noqa: F401  (connects the receivers)
        from .admin import current_tier_name
        from .selectors import entitlements_tier

        navigation.register(navigation.NavItem("tiers:status", _("My status"), order=10))
        # The partners' list shows and filters by current tier: tiers extends the core admin.
        partner_list_extend(
            column=current_tier_name,
            list_filter=("current_tier__tier", admin.RelatedOnlyFieldListFilter),
            queryset=lambda queryset: queryset.select_related("current_tier__tier"),
        )
        entitlements.register("tier", entitlements_tier, order=10)
