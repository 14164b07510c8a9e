"""The expert's e-mail about a mandate: sent by a task, after commit, at most once per assignment."""

from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from partnerportal.emails import Recipient, partner_admin_emails, partner_emails

from .models import Assignment


def assignment_notify(*, assignment_id: int) -> int:
    """E-mail the expert's contact address and its company's administrators that it is mandated, with the
    delay to answer and the guaranteed time. Idempotent: the assignment is claimed (``notified_at``) in a
    locked update before anything is sent, so a retried task sends nothing twice; a mandate no longer
    waiting for an answer is not announced. Returns the e-mails sent."""
    with transaction.atomic():
        claimed = (
            Assignment.objects.filter(pk=assignment_id, state="mandated", notified_at__isnull=True)
            .select_for_update(skip_locked=True)
            .update(notified_at=timezone.now())
        )
    if not claimed:
        return 0
    assignment = Assignment.objects.select_related("expert__partner__tenant", "speciality").get(
        pk=assignment_id
    )
    partner = assignment.expert.partner
    to: list[Recipient] = (
        [Recipient(assignment.expert.contact_email)] if assignment.expert.contact_email else []
    )
    to += [
        r
        for r in partner_admin_emails(partner_ids=[partner.pk]).get(partner.pk, [])
        if r.email not in {t.email for t in to}
    ]
    if not to:
        return 0
    messages = partner_emails(
        partner=partner, template="experts/emails/mandated", context={"assignment": assignment}, to=to
    )
    with get_connection() as connection:
        connection.send_messages(messages)
    return len(messages)
