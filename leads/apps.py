from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from partnerportal import navigation

        from . import receivers  # noqa: F401  (connects the receivers)

        navigation.register(
            navigation.NavItem(
                "leads:lead-list",
                _("Leads"),
                order=45,
                summary=_("Customers the programme hands you, and how you follow them up."),
                icon="leads",
            )
        )
