"""E-mails to a partner's people (partnerportal/emails.py): each recipient reads the message in their own
language (``User.preferred_language``), else the partner's; one message per language, one query for the
recipients."""

import pytest
from django.core.mail import EmailMultiAlternatives
from django_scopes import scopes_disabled

from partnerportal.emails import Recipient, partner_admin_emails, partner_emails
from partnerportal.models import Membership, Partner
from partnerportal.tenancy import tenant_scope
from tests.partnerportal.factories import MembershipFactory


@pytest.fixture
def templates(settings, tmp_path):
    """A message whose words come from the root catalogue ("Hello," is "Bonjour," in French)."""
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "hello_subject.txt").write_text(
        '{% load i18n %}{% translate "Hello," %} {{ tenant.name }}'
    )
    (tmp_path / "t" / "hello_message.txt").write_text('{% load i18n %}{% translate "Hello," %} {{ partner }}')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]


@pytest.fixture
def english_admin(world):
    """A second administrator of A's partner who chose English; the first chose nothing."""
    return MembershipFactory(
        partner=world.a.partner, role=Membership.Role.ADMIN, user__preferred_language="en"
    ).user


def test_the_administrators_come_with_their_language_in_one_query(
    world, english_admin, django_assert_num_queries
):
    MembershipFactory(partner=world.a.partner, role=Membership.Role.ADMIN, user__is_active=False)

    with tenant_scope(world.a.tenant), django_assert_num_queries(1):
        admins = partner_admin_emails(partner_ids=[world.a.partner.pk, world.a.other_partner.pk])

    assert sorted(admins[world.a.partner.pk], key=lambda r: r.email) == sorted(
        [
            Recipient(world.a.admin.email, world.a.admin.preferred_language),
            Recipient(english_admin.email, "en"),
        ],
        key=lambda r: r.email,
    )  # not the sales person, not the inactive admin
    assert admins[world.a.other_partner.pk] == [Recipient(world.a.other_admin.email, "")]


def test_two_administrators_with_different_languages_get_one_message_each_in_their_own(
    world, english_admin, templates
):
    assert world.a.admin.preferred_language == "" and world.a.partner.language == "fr"
    with tenant_scope(world.a.tenant):
        admins = partner_admin_emails(partner_ids=[world.a.partner.pk])

    messages = partner_emails(
        partner=world.a.partner, template="t/hello", context={}, to=admins[world.a.partner.pk]
    )

    assert all(isinstance(m, EmailMultiAlternatives) for m in messages)
    by_language = {m.subject.split(" ")[0]: m for m in messages}
    assert sorted(by_language) == ["Bonjour,", "Hello,"]
    assert by_language["Bonjour,"].to == [world.a.admin.email]
    assert by_language["Bonjour,"].body == f"Bonjour, {world.a.partner}"
    assert by_language["Hello,"].to == [english_admin.email]
    assert by_language["Hello,"].subject == f"Hello, {world.a.tenant.name}"


def test_recipients_of_one_language_share_one_message_and_a_plain_address_takes_the_partners(
    world, templates
):
    with scopes_disabled():
        Partner.objects.filter(pk=world.a.partner.pk).update(preferred_language="en")
        partner = Partner.objects.select_related("tenant").get(pk=world.a.partner.pk)

    messages = partner_emails(
        partner=partner,
        template="t/hello",
        context={},
        to=["plain@azur.test", Recipient("nobody-chose@azur.test"), Recipient("french@azur.test", "fr")],
    )

    assert [(m.subject.split(" ")[0], m.to) for m in messages] == [
        ("Hello,", ["plain@azur.test", "nobody-chose@azur.test"]),  # the partner's English
        ("Bonjour,", ["french@azur.test"]),  # a person's own choice wins
    ]


def test_no_recipient_no_message(world, templates):
    assert partner_emails(partner=world.a.partner, template="t/hello", context={}, to=[]) == []
