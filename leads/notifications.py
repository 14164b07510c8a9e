"""The leads' e-mails: a partner is told of each offer, the managers of each lead that found no partner.

Sent by tasks, after commit, at most once: the rows are claimed (``notified_at``, ``unrouted_notified_at``)
in one locked update before anything is sent, as the claims' e-mails are.
"""

from collections import defaultdict

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from partnerportal.emails import Recipient, partner_emails
from partnerportal.models import Membership, Tenant
from partnerportal.tenancy import tenant_managers

from .models import Lead, LeadOffer

# Who at a partner hears of an offer: its administrators and sales people (the seeds' "profil vente").
TOLD_ROLES = (Membership.Role.ADMIN, Membership.Role.SALES)


def offers_notify(*, offer_ids: list[int]) -> int:
    """E-mail the partners of these offers while they are still open; returns the e-mails sent."""
    now = timezone.now()
    with transaction.atomic():
        claimed = list(
            LeadOffer.objects.filter(pk__in=offer_ids, state=LeadOffer.State.OPEN, notified_at__isnull=True)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        LeadOffer.objects.filter(pk__in=claimed).update(notified_at=now)
    if not claimed:
        return 0
    offers = list(
        LeadOffer.objects.filter(pk__in=claimed)
        .select_related("partner", "partner__tenant", "lead")
        .prefetch_related("lead__product_lines")
    )
    people: dict[int, list[Recipient]] = defaultdict(list)
    for partner_id, email, language in Membership.objects.filter(
        partner_id__in={o.partner_id for o in offers}, role__in=TOLD_ROLES, user__is_active=True
    ).values_list("partner_id", "user__email", "user__preferred_language"):
        people[partner_id].append(Recipient(email, language))
    messages = []
    for offer in offers:
        if people[offer.partner_id]:
            messages += partner_emails(
                partner=offer.partner,
                template="leads/emails/offer",
                context={"offer": offer, "lead": offer.lead, "lines": list(offer.lead.product_lines.all())},
                to=people[offer.partner_id],
            )
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(messages)


def unrouted_notify(*, tenant: Tenant, lead_ids: list[int]) -> int:
    """One e-mail per manager language listing the leads still without a partner; returns the e-mails sent."""
    now = timezone.now()
    with transaction.atomic():
        claimed = list(
            Lead.objects.filter(pk__in=lead_ids, state=Lead.State.UNROUTED, unrouted_notified_at__isnull=True)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        Lead.objects.filter(pk__in=claimed).update(unrouted_notified_at=now)
    if not claimed:
        return 0
    leads = list(Lead.objects.filter(pk__in=claimed).order_by("pk"))
    groups: dict[str, list[str]] = defaultdict(list)
    for email, language in (
        tenant_managers(tenant).filter(is_active=True).values_list("email", "preferred_language")
    ):
        groups[language or tenant.default_language].append(email)
    messages = []
    context = {"tenant": tenant, "leads": leads}
    for language, addresses in groups.items():
        with translation.override(language):
            lines = render_to_string("leads/emails/unrouted_subject.txt", context).splitlines()
            subject = " ".join(line.strip() for line in lines if line.strip())
            body = render_to_string("leads/emails/unrouted_message.txt", context)
        messages.append(EmailMultiAlternatives(subject, body, to=addresses))
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(messages)
