from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromosConfig(AppConfig):
    name = "promos"
    verbose_name = _("Promotions and prices")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from partnerportal import entitlements, navigation

        from .selectors import entitlements_promotions

        navigation.register(
            navigation.NavItem(
                "promos:quote-calculator",
                _("Promotions & quotes"),
                order=40,
                summary=_("Your prices and promotions, and the quote calculator."),
                icon="promos",
            )
        )
        entitlements.register("promotions", entitlements_promotions, order=40)
