"""E-mails to a partner's people: who its administrators are, and messages in each recipient's language.

Every app that writes to partners (tier changes, claim decisions, duties, documents) uses these two, so
that the recipients and the language follow one rule: a person's own language (``User.preferred_language``)
when they chose one, else the partner's (``Partner.language``: its own, else its programme's).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from .models import Membership, Partner


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str = ""  # the person's own choice; empty: the partner's language


def partner_admin_emails(*, partner_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """Partner id -> its active administrators (address and chosen language), in one query."""
    admins: dict[int, list[Recipient]] = defaultdict(list)
    for partner_id, email, language in Membership.objects.filter(
        partner_id__in=list(partner_ids), role=Membership.Role.ADMIN, user__is_active=True
    ).values_list("partner_id", "user__email", "user__preferred_language"):
        admins[partner_id].append(Recipient(email, language))
    return admins


def partner_emails(
    *, partner: Partner, template: str, context: dict, to: Iterable[Recipient | str]
) -> list[EmailMultiAlternatives]:
    """``{template}_subject.txt`` and ``{template}_message.txt`` rendered once per language among ``to``
    (a plain address takes the partner's language), with ``partner`` and ``tenant`` in the context: one
    message per language, in the order the recipients come."""
    groups: dict[str, list[str]] = defaultdict(list)
    for recipient in to:
        if isinstance(recipient, str):
            recipient = Recipient(recipient)
        groups[recipient.language or partner.language].append(recipient.email)
    context = {"partner": partner, "tenant": partner.tenant, **context}
    messages = []
    for language, addresses in groups.items():
        with translation.override(language):
            # One line whatever the names in it hold: a line break in a header would stop the sending.
            # (splitlines, not split: the French no-break spaces before a colon stay.)
            lines = render_to_string(f"{template}_subject.txt", context).splitlines()
            subject = " ".join(line.strip() for line in lines if line.strip())
            body = render_to_string(f"{template}_message.txt", context)
        messages.append(EmailMultiAlternatives(subject, body, to=addresses))
    return messages
