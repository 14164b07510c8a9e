from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from partnerportal import activity, navigation

        from . import activity as document_activity
        from . import receivers  # noqa: F401  (connects the receivers)

        navigation.register(
            navigation.NavItem(
                "documents:document-list",
                _("My documents"),
                order=50,
                summary=_("Your diploma and your welcome pack, to download."),
                icon="documents",
            )
        )
        activity.register_recent("document", document_activity.new_documents, document_activity.describe)
