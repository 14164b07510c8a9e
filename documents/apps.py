from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from partnerportal import navigation

        from . import receivers  # noqa: F401  (connects the receivers)

        navigation.register(navigation.NavItem("documents:document-list", _("My documents"), order=50))
