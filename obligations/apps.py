from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObligationsConfig(AppConfig):
    name = "obligations"
    verbose_name = _("Duties")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from partnerportal import activity, entitlements, navigation
        from partnerportal.admin import partner_list_extend
        from tiers import hooks

        from . import activity as duty_activity
        from . import (
            catalogue,  # noqa: F401  (connects its receivers)
            receivers,  # noqa: F401  (connects the receivers)
        )
        from .admin import ComplianceFilter, compliance_column, with_compliance
        from .bench import bench_duties
        from .selectors import entitlements_duties, promotion_holds, tier_gap

        navigation.register(
            navigation.NavItem(
                "obligations:duty-list",
                _("My duties"),
                order=30,
                summary=_("Trainings, documents and targets your tier asks for."),
                icon="duties",
            )
        )
        entitlements.register("duties", entitlements_duties, order=30)
        activity.register_recent("review", duty_activity.review_events, duty_activity.describe)
        activity.register_todo(duty_activity.duties_to_do, link=("obligations:duty-list", _("All my duties")))
        partner_list_extend(column=compliance_column, list_filter=ComplianceFilter, queryset=with_compliance)
        hooks.register_promotion_hold(promotion_holds)
        hooks.register_tier_gap(tier_gap)
        hooks.register_bench_data(bench_duties)
