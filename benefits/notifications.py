"""The partner's e-mails about its claims: sent by a task, after commit, at most once per state."""

from collections import defaultdict

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q

from partnerportal.emails import partner_email
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
    admins: dict[int, list[str]] = defaultdict(list)
    members: set[tuple[int, int]] = set()
    claimer_ids = {c.claimed_by_id for c in claims if c.claimed_by_id}
    for partner_id, user_id, role, email in Membership.objects.filter(
        Q(role=Membership.Role.ADMIN) | Q(user_id__in=claimer_ids),
        partner_id__in={c.partner_id for c in claims},
        user__is_active=True,
    ).values_list("partner_id", "user_id", "role", "user__email"):
        members.add((partner_id, user_id))
        if role == Membership.Role.ADMIN:
            admins[partner_id].append(email)
    messages = []
    for claim in claims:
        to = [claim.claimed_by.email] if (claim.partner_id, claim.claimed_by_id) in members else []
        to += [email for email in admins[claim.partner_id] if email not in to]
        if to:
            messages.append(_claim_email(claim=claim, to=to))
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(messages)


def _claim_email(*, claim: Claim, to: list[str]) -> EmailMultiAlternatives:
    return partner_email(
        partner=claim.partner,
        template="benefits/emails/claim_decided",
        context={"claim": claim, "benefit": claim.benefit},
        to=to,
    )
