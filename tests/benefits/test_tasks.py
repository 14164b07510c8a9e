"""The claim e-mails' task (benefits/tasks.py): idempotent, in the partner's language, to the right people."""

import pytest
from django_scopes import scopes_disabled

from benefits.models import Claim
from benefits.tasks import notify_claim_decisions
from partnerportal.models import Membership
from tests.partnerportal.factories import MembershipFactory

from .factories import ClaimFactory


@pytest.fixture
def approved(world, cat):
    return ClaimFactory(
        partner=world.a.partner, benefit=cat.training, state=Claim.State.APPROVED, claimed_by=world.a.sales
    )


def test_running_twice_sends_once(world, approved, mailoutbox):
    assert notify_claim_decisions(world.a.tenant.pk, [approved.pk], "approved") == 1
    assert notify_claim_decisions(world.a.tenant.pk, [approved.pk], "approved") == 0

    assert len(mailoutbox) == 1
    with scopes_disabled():
        assert Claim.objects.get(pk=approved.pk).notified_state == "approved"


def test_a_claim_that_moved_on_is_not_told_about_the_state_it_left(world, approved, mailoutbox):
    assert notify_claim_decisions(world.a.tenant.pk, [approved.pk], "refused") == 0
    assert mailoutbox == []


def test_another_tenants_claim_is_not_reached_from_this_tenant(world, approved, mailoutbox):
    assert notify_claim_decisions(world.b.tenant.pk, [approved.pk], "approved") == 0
    assert mailoutbox == []


def test_the_claimer_and_the_active_admins_are_told_once_each(world, cat, mailoutbox):
    claim = ClaimFactory(
        partner=world.a.partner, benefit=cat.training, state="fulfilled", claimed_by=world.a.admin
    )
    notify_claim_decisions(world.a.tenant.pk, [claim.pk], "fulfilled")

    assert [m.to for m in mailoutbox] == [[world.a.admin.email]]  # the claimer is an admin: once


def test_a_claimer_who_left_the_partner_and_an_inactive_admin_are_not_told(world, cat, mailoutbox):
    claim = ClaimFactory(
        partner=world.a.partner, benefit=cat.training, state="fulfilled", claimed_by=world.a.sales
    )
    second_admin = MembershipFactory(partner=world.a.partner, role=Membership.Role.ADMIN).user
    with scopes_disabled():
        # The salesperson left the partner for one of another tenant: the person is still active.
        Membership.objects.filter(pk=world.a.sales_membership.pk).delete()
        type(second_admin).objects.filter(pk=second_admin.pk).update(is_active=False)
    MembershipFactory(partner=world.b.partner, user=world.a.sales, role=Membership.Role.ADMIN)

    notify_claim_decisions(world.a.tenant.pk, [claim.pk], "fulfilled")

    assert [m.to for m in mailoutbox] == [[world.a.admin.email]]


def test_a_claimer_still_a_member_is_told_with_the_admins(world, cat, mailoutbox):
    claim = ClaimFactory(
        partner=world.a.partner, benefit=cat.training, state="fulfilled", claimed_by=world.a.sales
    )
    notify_claim_decisions(world.a.tenant.pk, [claim.pk], "fulfilled")

    assert [sorted(m.to) for m in mailoutbox] == [sorted([world.a.sales.email, world.a.admin.email])]


def test_the_email_is_in_the_partners_language(world, approved, mailoutbox):
    with scopes_disabled():
        type(world.a.partner).objects.filter(pk=world.a.partner.pk).update(preferred_language="fr")
    notify_claim_decisions(world.a.tenant.pk, [approved.pk], "approved")

    message = mailoutbox[0]
    assert message.subject == "Votre demande « Free training seat » est approuvée"
    assert "Bonjour" in message.body and "Azur Réseaux" in message.body
    assert "&amp;" not in message.body
