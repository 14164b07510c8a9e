"""The public application form: what it creates, the managers' e-mail, the checks and the spam guards."""

import pytest
from django.core import mail
from django.urls import reverse
from django_scopes import scopes_disabled

from partnerportal.models import Partner, User
from recruitment.models import Application
from tests.partnerportal.factories import PartnerFactory, with_luhn_key

from .conftest import VALID_SIREN, form_data

VALID_SIRET = with_luhn_key(VALID_SIREN + "0001")


def wrong_key(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def applicants(tenant):
    with scopes_disabled():
        return list(Partner.objects.filter(tenant=tenant, status=Partner.Status.APPLICANT))


def test_an_application_creates_an_applicant_and_emails_the_managers(
    world, client_for, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=world.a.manager.pk).update(preferred_language="en")
    client = client_for(world.a.tenant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("recruitment:apply"), form_data(world.a))
    assert response.status_code == 302 and response["Location"] == reverse("recruitment:apply-done")
    (partner,) = applicants(world.a.tenant)
    assert (partner.legal_name, partner.siren, partner.region) == (
        "Iroise Télécom SARL",
        VALID_SIREN,
        "Bretagne",
    )
    assert partner.get_status_display() == "Candidat"  # French by default
    assert partner.partner_type == world.a.partner_type and partner.operator_plan is None
    assert partner.preferred_language == "fr"  # the language the form was filled in
    with scopes_disabled():
        application = Application.objects.get(partner=partner)
    assert (application.contact_name, application.contact_email) == (
        "Yann Le Gall",
        "yann@iroise-telecom.test",
    )
    assert application.state == Application.State.PENDING and application.managers_notified_at
    # One e-mail, to A's manager only (in the manager's language), with the link to vet it.
    (message,) = mail.outbox
    assert message.to == [world.a.manager.email]
    assert message.subject == "New application: Iroise Télécom SARL"
    assert f"/admin/recruitment/application/{application.pk}/vet/" in message.body
    assert "Yann Le Gall" in message.body
    assert applicants(world.b.tenant) == []
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and "Merci pour votre candidature" in thanks.content.decode()


def test_the_honeypot_discards_the_submission_silently(world, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.a.tenant).post(
            reverse("recruitment:apply"), form_data(world.a, url="http://spam.example")
        )
    assert response.status_code == 302 and response["Location"] == reverse("recruitment:apply-done")
    assert applicants(world.a.tenant) == [] and mail.outbox == []


def test_the_rate_limit_counts_posts_per_address_across_tenants(world, client_for, settings):
    settings.RECRUITMENT_APPLY_RATE_LIMIT = "2/h/ip"
    bad = form_data(world.a, company_number="123")
    a, b = client_for(world.a.tenant), client_for(world.b.tenant)
    assert a.post(reverse("recruitment:apply"), bad, REMOTE_ADDR="10.0.0.1").status_code == 200
    assert b.post(reverse("recruitment:apply"), bad, REMOTE_ADDR="10.0.0.1").status_code == 200
    refused = a.post(reverse("recruitment:apply"), form_data(world.a), REMOTE_ADDR="10.0.0.1")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert "Trop de tentatives" in refused.content.decode()
    assert applicants(world.a.tenant) == []
    # Another address is counted apart; reading the form is never limited.
    assert a.get(reverse("recruitment:apply"), REMOTE_ADDR="10.0.0.1").status_code == 200
    assert a.post(reverse("recruitment:apply"), form_data(world.a), REMOTE_ADDR="10.0.0.2").status_code == 302


def test_the_rate_limit_reads_the_client_behind_the_trusted_proxy(world, client_for, settings):
    settings.RECRUITMENT_APPLY_RATE_LIMIT = "1/h/ip"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client, url, bad = client_for(world.a.tenant), reverse("recruitment:apply"), form_data(world.a, city="")
    # One proxy in front: the same proxy address, two clients.
    assert (
        client.post(url, bad, REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    )
    assert (
        client.post(url, bad, REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200
    )
    # A forged first hop does not make a new client: the proxy's entry is the one read.
    again = client.post(url, bad, REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.1")
    assert again.status_code == 429


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (wrong_key(VALID_SIREN), "n’est pas un SIREN valide"),
        (wrong_key(VALID_SIRET), "n’est pas un SIRET valide"),
        ("12345", "Indiquez le SIREN"),
    ],
)
def test_a_wrong_siren_or_siret_is_a_clear_form_error(world, client_for, number, message):
    response = client_for(world.a.tenant).post(
        reverse("recruitment:apply"), form_data(world.a, company_number=number)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert applicants(world.a.tenant) == []


def test_a_siren_the_tenant_knows_is_refused_with_a_clear_message(
    world, client_for, django_capture_on_commit_callbacks
):
    PartnerFactory(tenant=world.a.tenant, partner_type=world.a.partner_type, siren=VALID_SIREN, siret="")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.a.tenant).post(reverse("recruitment:apply"), form_data(world.a))
    assert response.status_code == 200
    assert (
        f"Une entreprise de SIREN {VALID_SIREN} est déjà connue de ce programme" in response.content.decode()
    )
    assert applicants(world.a.tenant) == [] and mail.outbox == []
    # Another tenant's partner with that SIREN is no obstacle.
    assert (
        client_for(world.b.tenant).post(reverse("recruitment:apply"), form_data(world.b)).status_code == 302
    )


def test_the_form_checks_the_place_and_the_operator_plan(world, client_for):
    response = client_for(world.a.tenant).post(
        reverse("recruitment:apply"),
        form_data(world.a, region="Occitanie", partner_type=str(world.a.operator_type.pk)),
    )
    page = response.content.decode()
    assert "29200 est dans Finistère, région Bretagne." in page
    assert "Les opérateurs choisissent une formule." in page
    assert applicants(world.a.tenant) == []


def test_another_tenants_partner_type_is_not_a_choice(world, client_for):
    response = client_for(world.a.tenant).post(
        reverse("recruitment:apply"), form_data(world.a, partner_type=str(world.b.partner_type.pk))
    )
    assert response.status_code == 200 and applicants(world.a.tenant) == []
