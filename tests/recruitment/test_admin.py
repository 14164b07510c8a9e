"""The back-office: the applications' list, the vetting page (checklist, accept, refuse) and its refusals."""

from django.core import mail
from django.urls import reverse
from django_scopes import scopes_disabled

from partnerportal.models import Partner
from recruitment.models import Application, CriterionCheck

from .factories import ApplicationFactory


def checklist_data(criteria, *, met=True) -> dict:
    data = {"checks-TOTAL_FORMS": str(len(criteria)), "checks-INITIAL_FORMS": str(len(criteria))}
    for n, criterion in enumerate(criteria):
        data[f"checks-{n}-criterion"] = str(criterion.pk)
        data[f"checks-{n}-note"] = f"seen {criterion.code}"
        if met:
            data[f"checks-{n}-met"] = "on"
    return data


def test_the_list_puts_applications_to_vet_first(world, setups, client_for, django_assert_max_num_queries):
    decided = ApplicationFactory(
        partner__tenant=world.a.tenant,
        partner__partner_type=world.a.partner_type,
        partner__legal_name="Decided",
    )
    pending = [
        ApplicationFactory(partner__tenant=world.a.tenant, partner__partner_type=world.a.partner_type)
        for _n in range(5)
    ]
    with scopes_disabled():
        Application.objects.filter(pk=decided.pk).update(
            state="refused", refusal_reason="no", decided_at="2026-01-01T00:00Z"
        )
    ApplicationFactory(partner__tenant=world.b.tenant, partner__legal_name="Bravo applicant")
    client = client_for(world.a.tenant, world.a.manager)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("admin:recruitment_application_changelist"))
    page = response.content.decode()
    assert response.status_code == 200 and "Bravo applicant" not in page
    assert page.count("/vet/") == 6
    # The decided one (the oldest) comes after those to vet.
    assert all(page.index(a.partner.legal_name) < page.index("Decided") for a in pending)


def test_a_manager_vets_and_accepts_from_the_back_office(
    world, setups, application, client_for, django_capture_on_commit_callbacks
):
    client = client_for(world.a.tenant, world.a.manager)
    vet = reverse("admin:recruitment_application_vet", args=[application.pk])
    page = client.get(vet).content.decode()
    assert "Alpha commitment" in page and "Candidat Réseaux SAS" in page and "Bravo" not in page
    response = client.post(vet, checklist_data(setups["a"].criteria))
    assert response.status_code == 302
    with scopes_disabled():
        assert CriterionCheck.objects.filter(application=application, met=True).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:recruitment_application_accept", args=[application.pk]), {"external_ref": ""}
        )
    assert response.status_code == 302
    with scopes_disabled():
        application.refresh_from_db()
        assert Partner.objects.get(pk=application.partner_id).status == Partner.Status.ACTIVE
    assert application.state == Application.State.ACCEPTED
    assert [m.to for m in mail.outbox] == [["claire@candidat.test"]]  # the invitation
    # Decided: the page shows the decision, and a second accept is refused with a message.
    response = client.post(
        reverse("admin:recruitment_application_accept", args=[application.pk]), follow=True
    )
    assert "déjà été acceptée" in response.content.decode()


def test_a_manager_refuses_with_a_reason(
    world, setups, application, client_for, django_capture_on_commit_callbacks
):
    client = client_for(world.a.tenant, world.a.manager)
    url = reverse("admin:recruitment_application_refuse", args=[application.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": " "}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"reason": "Pas de besoin dans votre zone."}).status_code == 302
    with scopes_disabled():
        application.refresh_from_db()
    assert application.state == Application.State.REFUSED
    assert len(mail.outbox) == 1 and "Pas de besoin dans votre zone." in mail.outbox[0].body


def test_another_tenants_manager_cannot_vet(world, setups, application, client_for):
    client = client_for(world.b.tenant, world.b.manager)
    assert client.get(reverse("admin:recruitment_application_vet", args=[application.pk])).status_code == 404
    for name, data in (
        ("recruitment_application_vet", checklist_data(setups["a"].criteria)),
        ("recruitment_application_accept", {}),
        ("recruitment_application_refuse", {"reason": "no"}),
    ):
        assert client.post(reverse(f"admin:{name}", args=[application.pk]), data).status_code == 404
    with scopes_disabled():
        application.refresh_from_db()
        assert not CriterionCheck.objects.filter(application=application).exists()
    assert application.state == Application.State.PENDING and mail.outbox == []


def test_the_review_queue_lists_applications(world, application, client_for):
    page = client_for(world.a.tenant, world.a.manager).get(reverse("admin:index")).content.decode()
    assert reverse("admin:recruitment_application_vet", args=[application.pk]) in page
