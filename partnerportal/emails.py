"""E-mails to a partner's people: who its administrators are, and a message in the partner's language.

Every app that writes to partners (tier changes, claim decisions, duties) uses these two, so that the
recipients and the language follow one rule.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from .models import Membership, Partner


def partner_admin_emails(*, partner_ids: Iterable[int]) -> dict[int, list[str]]:
    """Partner id -> the e-mail addresses of its active administrators, in one query."""
    admins: dict[int, list[str]] = defaultdict(list)
    for partner_id, email in Membership.objects.filter(
        partner_id__in=list(partner_ids), role=Membership.Role.ADMIN, user__is_active=True
    ).values_list("partner_id", "user__email"):
        admins[partner_id].append(email)
    return admins


def partner_email(*, partner: Partner, template: str, context: dict, to: list[str]) -> EmailMultiAlternatives:
    """``{template}_subject.txt`` and ``{template}_message.txt`` rendered in the partner's language, with
    ``partner`` and ``tenant`` in the context."""
    with translation.override(partner.language):
        context = {"partner": partner, "tenant": partner.tenant, **context}
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}_message.txt", context)
    return EmailMultiAlternatives(subject, body, to=to)
