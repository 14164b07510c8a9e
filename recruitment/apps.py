from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecruitmentConfig(AppConfig):
    """The public programme page, applications and their vetting (issue 12, "Growing the network")."""

    name = "recruitment"
    verbose_name = _("Recruitment")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the receivers)
