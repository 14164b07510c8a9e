import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Invitation, Membership


class MembershipTable(tables.Table):
    name = tables.Column(verbose_name=_("Name"), accessor="user", orderable=False)
    email = tables.Column(verbose_name=_("E-mail address"), accessor="user__email", orderable=False)
    role = tables.Column(verbose_name=_("Profile"), orderable=False)
    since = tables.DateColumn(verbose_name=_("Member since"), accessor="created_at", orderable=False)
    actions = tables.TemplateColumn(
        template_name="partnerportal/_membership_actions.html", verbose_name="", orderable=False
    )

    class Meta:
        model = Membership
        fields = ["name", "email", "role", "since", "actions"]
        attrs = {"class": "table"}
        empty_text = _("Nobody yet.")

    def __init__(self, *args, can_manage=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_manage:
            self.columns.hide("actions")

    def render_name(self, value):
        return value.get_full_name() or "—"


class InvitationTable(tables.Table):
    email = tables.Column(verbose_name=_("E-mail address"), orderable=False)
    role = tables.Column(verbose_name=_("Profile"), orderable=False)
    created_at = tables.DateColumn(verbose_name=_("Sent"), orderable=False)
    expires_at = tables.DateColumn(verbose_name=_("Expires"), orderable=False)
    actions = tables.TemplateColumn(
        template_name="partnerportal/_invitation_actions.html", verbose_name="", orderable=False
    )

    class Meta:
        model = Invitation
        fields = ["email", "role", "created_at", "expires_at", "actions"]
        attrs = {"class": "table"}
        empty_text = _("No pending invitation.")
