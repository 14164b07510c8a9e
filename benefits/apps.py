from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "benefits"
    verbose_name = _("Benefits")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from partnerportal import activity, entitlements, navigation

        from . import activity as claim_activity
        from . import receivers  # noqa: F401  (connects the receivers)
        from .selectors import entitlements_benefits

        navigation.register(
            navigation.NavItem(
                "benefits:benefit-list",
                _("My benefits"),
                order=20,
                summary=_("What your tier gives you, and your claims."),
                icon="benefits",
            )
        )
        entitlements.register("benefits", entitlements_benefits, order=20)
        activity.register_recent("claim", claim_activity.claim_events, claim_activity.describe)
