from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpertsConfig(AppConfig):
    name = "experts"
    verbose_name = _("Experts Zen")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from partnerportal import navigation

        from . import receivers  # noqa: F401  (connects the receivers)

        navigation.register(
            navigation.NavItem(
                "experts:directory",
                _("Experts Zen"),
                order=60,
                summary=_("Certified installers near your clients, and your own certification."),
                icon="team",
            )
        )
