from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TiersConfig(AppConfig):
    name = "tiers"
    verbose_name = _("Tiers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from partnerportal import navigation

        navigation.register(navigation.NavItem("tiers:status", _("My status"), order=10))
