"""The partner's e-mails about its claims: sent by a task, after commit, at most once per state."""

from collections import defaultdict

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q

from partnerportal.emails import Recipient, partner_emails
from partnerportal.models import Membership

from .models import Claim


def claim_notify(*, claim_ids: list[int], state: str) -> int:
    """E-mail the claimer and the partner's administrators that their claims reached ``state``.

    Idempotent: the claims still in ``state`` and not yet notified of it are claimed in one locked update
    before anything is sent, so a retried task sends nothing twice (at most once, as for tier changes);
    a claim that has moved on since is not e-mailed about the state it left. Returns the e-mails sent.
    """
    with transaction.atomic():
        claimed = list(
            Claim.objects.filter(pk__in=claim_ids, state=state)
            .exclude(notified_state=state)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        Claim.objects.filter(pk__in=claimed).update(notified_state=state)
    if not claimed:
        return 0
    claims = list(
        Claim.objects.filter(pk__in=claimed).select_related(
            "partner", "partner__tenant", "benefit", "claimed_by", "decided_by"
        )
    )
    # One query for everyone who may be told: the partners' active administrators, and the claimers while
    # they are still active members of the partner (a person shared across tenants who left this partner
    # is not told about its claims).
    admins: dict[int, list[Recipient]] = defaultdict(list)
    members: dict[tuple[int, int], Recipient] = {}
    claimer_ids = {c.claimed_by_id for c in claims if c.claimed_by_id}
    for partner_id, user_id, role, email, language in Membership.objects.filter(
        Q(role=Membership.Role.ADMIN) | Q(user_id__in=claimer_ids),
        partner_id__in={c.partner_id for c in claims},
        user__is_active=True,
    ).values_list("partner_id", "user_id", "role", "user__email", "user__preferred_language"):
        members[partner_id, user_id] = Recipient(email, language)
        if role == Membership.Role.ADMIN:
            admins[partner_id].append(Recipient(email, language))
    messages = []
    for claim in claims:
        claimer = members.get((claim.partner_id, claim.claimed_by_id))
        to = [claimer] if claimer else []
        to += [admin for admin in admins[claim.partner_id] if admin not in to]
        if to:
            messages += _claim_emails(claim=claim, to=to)
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(messages)


def _claim_emails(*, claim: Claim, to: list[Recipient]) -> list[EmailMultiAlternatives]:
    return partner_emails(
        partner=claim.partner,
        template="benefits/emails/claim_decided",
        context={"claim": claim, "benefit": claim.benefit},
        to=to,
    )
