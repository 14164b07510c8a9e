from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TiersConfig(AppConfig):
    name = "tiers"
    verbose_name = _("Tiers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from partnerportal import activity, entitlements, navigation
        from partnerportal.admin import partner_list_extend
        from partnerportal.admin_site import TenantRelatedFieldListFilter

        from . import activity as tier_activity
        from . import catalogue, receivers  # noqa: F401  (connect their receivers)
        from .admin import current_tier_name
        from .selectors import entitlements_tier
        from .standing import partner_standing

        navigation.register(
            navigation.NavItem(
                "tiers:status",
                _("My status"),
                order=10,
                summary=_("Your tier, your revenue against the thresholds, and a simulator."),
                icon="status",
            )
        )
        # The partners' list shows and filters by current tier: tiers extends the core admin.
        partner_list_extend(
            column=current_tier_name,
            list_filter=("current_tier__tier", TenantRelatedFieldListFilter),
            queryset=lambda queryset: queryset.select_related("current_tier__tier"),
        )
        entitlements.register("tier", entitlements_tier, order=10)
        # The partner home: the tier standing in its hero, tier changes in "what changed lately".
        activity.register_standing(partner_standing, template="tiers/_home_standing.html")
        activity.register_recent("tier", tier_activity.tier_changes, tier_activity.describe)
