"""The e-mail tasks are idempotent: a second run (a retry, a redelivered message) sends nothing."""

from django.core import mail

from recruitment.models import Application
from recruitment.tasks import notify_applicant_of_refusal, notify_managers_of_application


def test_the_managers_are_emailed_once(world, application):
    assert notify_managers_of_application(world.a.tenant.pk, application.pk) == 1
    assert notify_managers_of_application(world.a.tenant.pk, application.pk) == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [world.a.manager.email]


def test_the_refusal_is_emailed_once_and_only_when_refused(world, application):
    assert notify_applicant_of_refusal(world.a.tenant.pk, application.pk) == 0  # still to vet
    Application.objects.with_scopes_disabled().filter(pk=application.pk).update(
        state=Application.State.REFUSED, refusal_reason="No.", decided_at="2026-01-01T00:00Z"
    )
    assert notify_applicant_of_refusal(world.a.tenant.pk, application.pk) == 1
    assert notify_applicant_of_refusal(world.a.tenant.pk, application.pk) == 0
    assert [m.to for m in mail.outbox] == [["claire@candidat.test"]]
