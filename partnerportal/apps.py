from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class PartnerPortalAdminConfig(AdminConfig):
    """The Django admin, with our tenant-aware site as the default site (so third-party apps use it too)."""

    default_site = "partnerportal.admin_site.PortalAdminSite"


class PartnerPortalConfig(AppConfig):
    name = "partnerportal"
    verbose_name = _("Partner programme")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import navigation, signals  # noqa: F401  (connects the receivers)

        navigation.register(navigation.NavItem("partnerportal:home", _("Home"), order=0))
        navigation.register(
            navigation.NavItem(
                "partnerportal:company",
                _("My company"),
                order=80,
                summary=_("Your company's details, contacts and operator plan."),
                icon="company",
                area="account",
            )
        )
        navigation.register(
            navigation.NavItem(
                "partnerportal:team",
                _("My team"),
                order=90,
                summary=_("The people of your company on the portal, and invitations."),
                icon="team",
                area="account",
            )
        )
