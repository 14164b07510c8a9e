"""The mandate's e-mail: sent after commit to the expert's contact and its administrators, once."""

import datetime as dt

from django.utils import timezone
from django_scopes import scopes_disabled

from experts import services
from experts.tasks import notify_mandate
from partnerportal.tenancy import tenant_scope


def test_a_mandate_emails_the_expert_once(world, net, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(world.a.tenant):
        assignment = services.assignment_mandate(
            expert=net.expert,
            speciality=net.speciality,
            client="Clinique des Alizés",
            place="Nantes",
            departement="44",
            deadline=timezone.now() + dt.timedelta(days=2),
            by=world.a.manager,
        )
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert set(message.to) == {"experts@alpha.test", world.a.admin.email}
    assert "Clinique des Alizés" in message.subject and "44 · Loire-Atlantique" in message.body
    assert "4 heures" in message.body  # the guaranteed time, in French
    assert notify_mandate(world.a.tenant.pk, assignment.pk) == 0  # a second run sends nothing
    assert len(mailoutbox) == 1
    with scopes_disabled():
        assignment.refresh_from_db()
    assert assignment.notified_at is not None
