"""The recruitment app's e-mails: to the managers when an application comes in, to the applicant when it is
refused (an accepted applicant gets the portal's invitation instead). Sent by tasks, after commit, once."""

from django.core.mail import get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from partnerportal.emails import Recipient, partner_emails
from partnerportal.models import Membership
from partnerportal.tenancy import tenant_url

from .models import Application


def _claim(application_id: int, guard: str, **state) -> Application | None:
    """The application, if its e-mail is still to send; marked sent first (at most once): one UPDATE whose
    condition is the guard, so of two runs at once the second, waiting for the first's row lock, finds it set
    and claims nothing."""
    with transaction.atomic():
        claimed = Application.objects.filter(pk=application_id, **{f"{guard}__isnull": True}, **state).update(
            **{guard: timezone.now()}
        )
    if not claimed:
        return None
    return Application.objects.select_related(
        "partner", "partner__tenant", "partner__partner_type", "partner__operator_plan"
    ).get(pk=application_id)


def application_notify_managers(*, application_id: int) -> int:
    """E-mail every active manager of the tenant, each in their own language (else the programme's), with a
    link to the application in the back-office. Returns the e-mails sent."""
    application = _claim(application_id, "managers_notified_at")
    if application is None:
        return 0
    tenant = application.partner.tenant
    managers = Membership.objects.filter(
        tenant=tenant, role=Membership.Role.MANAGER, user__is_active=True
    ).values_list("user__email", "user__preferred_language")
    to = [Recipient(email, language or tenant.default_language) for email, language in managers]
    if not to:
        return 0
    url = tenant_url(tenant, reverse("admin:recruitment_application_vet", args=[application.pk]))
    messages = partner_emails(
        partner=application.partner,
        template="recruitment/emails/application_received",
        context={"application": application, "vet_url": url, "programme_url": tenant_url(tenant, "/")},
        to=to,
    )
    with get_connection() as connection:
        connection.send_messages(messages)
    return len(messages)


def application_notify_refusal(*, application_id: int) -> int:
    """E-mail the applicant's contact, in the language it applied in, that the application is refused."""
    application = _claim(application_id, "applicant_notified_at", state=Application.State.REFUSED)
    if application is None:
        return 0
    messages = partner_emails(
        partner=application.partner,
        template="recruitment/emails/application_refused",
        context={"application": application},
        to=[application.contact_email],  # a plain address: the partner's language, the one it applied in
    )
    with get_connection() as connection:
        connection.send_messages(messages)
    return len(messages)
