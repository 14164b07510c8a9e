"""Vetting: the checklist, and the two decisions (services), each taken once, atomic and recorded."""

import pytest
from django.core import mail
from django.db.models import ProtectedError
from django_scopes import scopes_disabled

from partnerportal.models import Invitation, Membership, Partner
from recruitment import services
from recruitment.models import Application, CriterionCheck
from tests.partnerportal.factories import MembershipFactory


def tick(application, criteria, by, met=True):
    return services.application_check(
        application=application, checks=[(c.pk, met, f"note {c.code}") for c in criteria], by=by
    )


@pytest.fixture
def a(world, setups):
    return setups["a"]


def test_the_checklist_records_who_ticked_what(world, a, application):
    with scopes_disabled():
        tick(application, a.criteria[:1], world.a.manager)
        assert tick(application, a.criteria[:1], world.a.manager) == []  # unchanged: nothing written
        (check,) = CriterionCheck.objects.filter(application=application)
    assert (check.met, check.note, check.checked_by) == (True, "note commitment", world.a.manager)
    # A criterion that vetted an application is kept (made inactive), not deleted with its record.
    with scopes_disabled(), pytest.raises(ProtectedError):
        a.criteria[0].delete()


def test_another_tenants_criterion_is_refused(world, setups, application):
    with scopes_disabled(), pytest.raises(services.ApplicationError):
        tick(application, setups["b"].criteria, world.a.manager)


def test_accepting_needs_every_criterion_met(world, a, application):
    with scopes_disabled():
        tick(application, a.criteria[:1], world.a.manager)
        with pytest.raises(services.ApplicationError, match="Alpha market"):
            services.application_accept(application=application, by=world.a.manager)
        application.refresh_from_db()
        application.partner.refresh_from_db()
    assert application.state == Application.State.PENDING
    assert application.partner.status == Partner.Status.APPLICANT


def test_a_criterion_made_inactive_no_longer_holds_an_acceptance(world, a, application):
    """Ticked "not met", then retired by a manager: the page no longer asks for it, nor does the service."""
    with scopes_disabled():
        tick(application, a.criteria[1:], world.a.manager)
        tick(application, a.criteria[:1], world.a.manager, met=False)
        retired = a.criteria[0]
        retired.is_active = False
        retired.save()

        services.application_accept(application=application, by=world.a.manager)

        application.refresh_from_db()
    assert application.state == Application.State.ACCEPTED


def test_accepting_activates_the_partner_at_the_entry_tier_and_invites_its_contact(
    world, a, application, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        tick(application, a.criteria, world.a.manager)
        with django_capture_on_commit_callbacks(execute=True):
            services.application_accept(application=application, by=world.a.manager, external_ref="ALP-00099")
        application.refresh_from_db()
        partner = Partner.objects.get(pk=application.partner_id)
        invitation = Invitation.objects.get(partner=partner)
        history = list(application.history.values_list("state", "history_user_id"))
    assert partner.status == Partner.Status.ACTIVE and partner.external_ref == "ALP-00099"
    assert partner.date_joined == world.a.tenant.today()
    assert application.state == Application.State.ACCEPTED
    assert (application.decided_by, application.entry_tier) == (world.a.manager, a.programme.tiers["starter"])
    assert application.decided_at and application.invitation == invitation
    assert (invitation.email, invitation.role) == ("claire@candidat.test", Membership.Role.ADMIN)
    assert history[0] == (Application.State.ACCEPTED, world.a.manager.pk)
    # The invitation e-mail, in the partner's language (it applied in English).
    invitations = [m for m in mail.outbox if m.to == ["claire@candidat.test"]]
    assert len(invitations) == 1 and "/invitations/" in invitations[0].body


def test_a_decision_is_taken_once(world, a, application):
    with scopes_disabled():
        tick(application, a.criteria, world.a.manager)
        services.application_accept(application=application, by=world.a.manager)
        with pytest.raises(services.ApplicationError, match="déjà été acceptée par Manager Alpha"):
            services.application_accept(application=application, by=world.a.manager)
        with pytest.raises(services.ApplicationError, match="déjà été acceptée"):
            services.application_refuse(application=application, by=world.a.manager, reason="No")
        with pytest.raises(services.ApplicationError):
            tick(application, a.criteria, world.a.manager, met=False)
        assert Invitation.objects.filter(partner=application.partner).count() == 1


def test_an_accept_that_cannot_invite_writes_nothing(world, a, application):
    MembershipFactory(partner=world.a.other_partner, user__email="claire@candidat.test")
    with scopes_disabled():
        tick(application, a.criteria, world.a.manager)
        with pytest.raises(services.ApplicationError, match="ne peut pas être invité"):
            services.application_accept(application=application, by=world.a.manager)
        application.refresh_from_db()
        assert Partner.objects.get(pk=application.partner_id).status == Partner.Status.APPLICANT
    assert application.state == Application.State.PENDING


def test_refusing_emails_the_reason_in_the_applicants_language(
    world, a, application, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        with pytest.raises(services.ApplicationError):
            services.application_refuse(application=application, by=world.a.manager, reason="  ")
        with django_capture_on_commit_callbacks(execute=True):
            services.application_refuse(
                application=application, by=world.a.manager, reason="No coverage needed in your area yet."
            )
        application.refresh_from_db()
        partner = Partner.objects.get(pk=application.partner_id)
    assert application.state == Application.State.REFUSED and application.decided_by == world.a.manager
    assert partner.status == Partner.Status.TERMINATED
    (message,) = mail.outbox
    assert message.to == ["claire@candidat.test"]
    assert message.subject == "Your application to the Alpha partner programme"
    assert "Reason: No coverage needed in your area yet." in message.body
    assert application.applicant_notified_at is not None
