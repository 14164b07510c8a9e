"""Services of the tiers app (tiers/services.py): applying an evaluation, pins, the tier-change e-mails."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django_scopes import scopes_disabled

from partnerportal.models import Membership, Partner
from partnerportal.tenancy import tenant_scope
from tests.partnerportal.factories import MembershipFactory, PartnerFactory
from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JANUARY_2026, JULY_2026, assessment_of, evaluate, tier_of
from tiers.grading import RegradeError
from tiers.models import Assessment
from tiers.services import assessment_notify, tier_pin
from tiers.tasks import notify_tier_changes

# --- evaluation_run ----------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [dt.date(2026, 4, 1), dt.date(2026, 7, 15), dt.date(2026, 12, 1)])
def test_only_an_evaluation_date_of_the_tenant_can_be_applied(dstny, day):
    add_revenue(dstny.partner(), "600")

    with translation.override("en"), pytest.raises(RegradeError, match="is not an evaluation date of dstny"):
        evaluate(dstny.tenant, day)
    with scopes_disabled():
        assert not Assessment.objects.exists()


def test_the_evaluation_months_are_the_tenants(dstny):
    dstny.tenant.evaluation_months = [4, 10]
    dstny.tenant.save()
    partner = dstny.partner()
    add_revenue(partner, "600", start=dt.date(2025, 10, 1))  # October 2025 to March 2026

    evaluate(dstny.tenant, dt.date(2026, 4, 1))

    assert assessment_of(partner, dt.date(2026, 4, 1)).applied_tier == dstny.tiers["access"]
    with pytest.raises(RegradeError):
        evaluate(dstny.tenant, JULY_2026)


def test_the_manager_who_applied_an_evaluation_is_recorded(dstny, world):
    partner = dstny.partner()

    evaluate(dstny.tenant, by=world.a.manager)

    assessment = assessment_of(partner)
    assert assessment.applied_by == world.a.manager
    assert assessment.evaluation.started_by == world.a.manager


# --- tier_pin ----------------------------------------------------------------------------------------


def test_tier_pin_keeps_the_partner_at_the_tier_until_its_end(dstny, world):
    partner = dstny.partner()
    with tenant_scope(dstny.tenant):
        pin = tier_pin(
            partner=partner,
            tier=dstny.tiers["premium"],
            reason="Salon",
            ends_on=JULY_2026,
            by=world.superuser,
        )

    evaluate(dstny.tenant)

    assert pin.tenant == dstny.tenant and pin.created_by == world.superuser
    assert tier_of(partner) == dstny.tiers["premium"]


def test_tier_pin_refuses_a_tier_of_another_programme(dstny, programmes, world):
    partner = dstny.partner()

    with tenant_scope(dstny.tenant), pytest.raises(ValidationError) as refused:
        tier_pin(
            partner=partner,
            tier=programmes["a"].tiers["premium"],
            reason="x",
            ends_on=JULY_2026,
            by=world.superuser,
        )

    assert list(refused.value.message_dict) == ["tier"]
    with scopes_disabled():
        assert not partner.tier_pins.exists()


# --- the tier-change e-mails -------------------------------------------------------------------------


@pytest.fixture
def movers(world, programmes, django_capture_on_commit_callbacks, mailoutbox):
    """On tenant A, graded at 1 January 2026:

    - ``world.a.partner`` (French): Access, and Business at 1 July; two administrators and a sales person;
    - ``world.a.other_partner`` (English): Business, and Access at 1 July;
    - a third partner: Access both times.

    Returns the three partners once 1 January is applied and its e-mails, if any, are cleared.
    """
    up, down = world.a.partner, world.a.other_partner
    with scopes_disabled():
        Partner.objects.filter(pk=down.pk).update(preferred_language="en")
    second_admin = MembershipFactory(
        partner=up, role=Membership.Role.ADMIN, user__email="second-admin@azur.test"
    )
    MembershipFactory(
        partner=up, role=Membership.Role.ADMIN, user__email="gone@azur.test", user__is_active=False
    )
    same = PartnerFactory(
        tenant=world.a.tenant,
        partner_type=world.a.partner_type,
        legal_name="Stable SARL",
        date_joined=dt.date(2024, 1, 1),
    )
    MembershipFactory(partner=same, role=Membership.Role.ADMIN, user__email="admin@stable.test")
    add_revenue(up, "600", start=dt.date(2025, 7, 1))
    add_revenue(up, "1500")
    add_revenue(down, "1500", start=dt.date(2025, 7, 1))
    add_revenue(down, "600")
    add_revenue(same, "700", start=dt.date(2025, 7, 1), months=12)
    with django_capture_on_commit_callbacks(execute=True):
        evaluate(world.a.tenant, JANUARY_2026)
    mailoutbox.clear()
    return up, down, same, second_admin.user


def test_each_administrator_of_a_partner_whose_tier_changed_gets_one_email_in_its_language(
    world, movers, django_capture_on_commit_callbacks, mailoutbox
):
    up, down, same, second_admin = movers

    with django_capture_on_commit_callbacks(execute=True):
        evaluate(world.a.tenant)

    by_recipient = {tuple(message.to): message for message in mailoutbox}
    assert sorted(by_recipient) == sorted(
        [(world.a.admin.email,), (second_admin.email,), (world.a.other_admin.email,)]
    )  # not the sales person, not an inactive account, not the stable partner, nobody of tenant B
    assert len(mailoutbox) == 3

    french = by_recipient[(world.a.admin.email,)]
    assert (
        french.subject
        == "Félicitations\u00a0: vous avez désormais le statut Business dans le programme Alpha"
    )
    assert (
        "Lors de l’évaluation du 1er juillet 2026, Azur Réseaux est passé du statut Access au statut Business."
        in (french.body)
    )
    assert by_recipient[(second_admin.email,)].subject == french.subject

    english = by_recipient[(world.a.other_admin.email,)]
    assert english.subject == "Your tier in the Alpha programme is now Access"
    assert "At the evaluation of July 1, 2026, Ambre Services moved from Business to Access." in english.body
    with scopes_disabled():
        assert Assessment.objects.filter(evaluation_date=JULY_2026, notified_at__isnull=False).count() == 2


def test_running_the_notification_again_sends_nothing_more(
    world, movers, django_capture_on_commit_callbacks, mailoutbox
):
    up, down, same, _ = movers
    with django_capture_on_commit_callbacks(execute=True):
        evaluate(world.a.tenant)
    sent = len(mailoutbox)
    changed = [assessment_of(up).pk, assessment_of(down).pk]

    assert notify_tier_changes.delay(world.a.tenant.pk, changed).get() == 0
    with tenant_scope(world.a.tenant):
        assert assessment_notify(assessment_ids=changed) == 0

    assert len(mailoutbox) == sent == 3


def test_a_second_run_of_the_evaluation_sends_no_email(
    world, movers, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        evaluate(world.a.tenant)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert evaluate(world.a.tenant).already_done

    assert mailoutbox == []


def test_a_partner_that_reaches_a_first_tier_above_the_lowest_is_told(
    world, programmes, django_capture_on_commit_callbacks, mailoutbox
):
    """Never assessed counts as the lowest tier (README), so a first Business is a move up: e-mail it."""
    add_revenue(world.a.partner, "1500")
    add_revenue(world.a.other_partner, "100")  # Starter: no change, no e-mail

    with django_capture_on_commit_callbacks(execute=True):
        evaluate(world.a.tenant)

    assert assessment_of(world.a.partner).movement == Assessment.Movement.UP
    assert [message.to for message in mailoutbox] == [[world.a.admin.email]]
    message = mailoutbox[0]
    assert (
        message.subject
        == "Félicitations\u00a0: vous avez désormais le statut Business dans le programme Alpha"
    )
    assert "Azur Réseaux" in message.body and "Business" in message.body
    assert "At the evaluation" not in message.body  # the French partner gets French


def test_the_email_of_a_first_tier_is_in_the_partners_language(world, programmes, mailoutbox):
    add_revenue(world.a.partner, "1500")
    evaluate(world.a.tenant)

    with tenant_scope(world.a.tenant):
        assert assessment_notify(assessment_ids=[assessment_of(world.a.partner).pk]) == 1

    body = mailoutbox[0].body
    assert "Lors de l’évaluation du 1er juillet 2026" in body, body  # not "At the evaluation of …"
    assert "Azur Réseaux" in body and "Business" in body


def test_the_email_is_plain_text_not_html_escaped(world, programmes, mailoutbox):
    with scopes_disabled():
        Partner.objects.filter(pk=world.a.partner.pk).update(trade_name="Voix & Data d'Azur")
    add_revenue(world.a.partner, "1500")
    evaluate(world.a.tenant)

    with tenant_scope(world.a.tenant):
        assessment_notify(assessment_ids=[assessment_of(world.a.partner).pk])

    assert "Voix & Data d'Azur" in mailoutbox[0].body
    assert "&amp;" not in mailoutbox[0].body and "&#x27;" not in mailoutbox[0].body
