"""The recruitment app's reactions: e-mails after its services' writes, and the public page's cache."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import MembershipCriterion
from .selectors import programme_forget
from .signals import application_refused, application_submitted
from .tasks import notify_applicant_of_refusal, notify_managers_of_application


@receiver(application_submitted, dispatch_uid="recruitment.notify_managers")
def queue_managers_email(sender, *, tenant_id, application_id, **kwargs):
    notify_managers_of_application.delay_on_commit(tenant_id, application_id)


@receiver(application_refused, dispatch_uid="recruitment.notify_applicant")
def queue_refusal_email(sender, *, tenant_id, application_id, **kwargs):
    notify_applicant_of_refusal.delay_on_commit(tenant_id, application_id)


@receiver([post_save, post_delete], sender=MembershipCriterion, dispatch_uid="recruitment.criteria_changed")
def criteria_changed(sender, instance, **kwargs):
    # The public page lists the criteria: a manager's edit shows at once (the rest of the catalogue within
    # selectors.PROGRAMME_TTL_SECONDS).
    if instance.tenant_id:
        programme_forget(tenant_id=instance.tenant_id)
