"""The back-office: assignments with their timeliness, mandates through the service, questions with a
right answer."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from experts.models import Assignment, Question
from partnerportal.tenancy import tenant_scope

from .factories import make_assignment


@pytest.fixture
def manager(world, client_for):
    return client_for(world.a.tenant, world.a.manager)


def test_assignments_list_their_timeliness_with_filters(
    world, networks, manager, django_assert_max_num_queries
):
    net = networks["a"]
    hours_ago = timezone.now() - dt.timedelta(hours=10)
    make_assignment(
        net,
        client="En retard SARL",
        mandated_at=hours_ago,
        intervene_by=hours_ago + dt.timedelta(hours=4),
        state="accepted",
    )
    make_assignment(
        net,
        client="Ponctuel SAS",
        state="done",
        done_at=timezone.now(),
        intervene_by=timezone.now() + dt.timedelta(hours=1),
    )
    make_assignment(networks["b"], client="Bravo client")
    url = reverse("admin:experts_assignment_changelist")
    with django_assert_max_num_queries(20):
        page = manager.get(url).content.decode()
    assert "En retard SARL" in page and "Ponctuel SAS" in page and "Bravo client" not in page
    late = manager.get(url, {"timeliness": "late"}).content.decode()
    assert "En retard SARL" in late and "Ponctuel SAS" not in late
    on_time = manager.get(url, {"timeliness": "on_time"}).content.decode()
    assert "Ponctuel SAS" in on_time and "En retard SARL" not in on_time


def test_a_mandate_from_the_back_office_goes_through_the_service(world, net, manager):
    deadline = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%d")
    data = {
        "expert": net.expert.pk,
        "speciality": net.speciality.pk,
        "client": "Cabinet Le Floch",
        "place": "Nantes",
        "departement": "44",
        "deadline_0": deadline,
        "deadline_1": "10:00",
        "description": "",
    }
    response = manager.post(reverse("admin:experts_assignment_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        assignment = Assignment.objects.get(client="Cabinet Le Floch")
    assert assignment.guaranteed_hours == 4 and assignment.mandated_by == world.a.manager
    refused = manager.post(
        reverse("admin:experts_assignment_add"), {**data, "speciality": net.other_speciality.pk}
    )
    assert (
        refused.status_code == 200
        and "not a listed expert" in refused.content.decode()
        or "pas un expert" in refused.content.decode()
    )


def test_a_mandate_with_a_bad_field_is_a_form_error(world, net, manager):
    """The model's checks of the fields the manager types run with the form's (a line break in the client
    used to reach the service's full_clean, past the form: a 500)."""
    deadline = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%d")
    data = {
        "expert": net.expert.pk,
        "speciality": net.speciality.pk,
        "client": "Cabinet\nLe Floch",
        "place": "Nantes",
        "departement": "44",
        "deadline_0": deadline,
        "deadline_1": "10:00",
        "description": "",
    }
    response = manager.post(reverse("admin:experts_assignment_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["client"]
    with scopes_disabled():
        assert not Assignment.objects.exists()


def test_a_question_needs_a_right_answer(world, net, manager):
    prefix = "choices"
    data = {
        "test": net.test.pk,
        "text": "Quel port pour SIP ?",
        "position": 9,
        f"{prefix}-TOTAL_FORMS": 2,
        f"{prefix}-INITIAL_FORMS": 0,
        f"{prefix}-0-text": "5060",
        f"{prefix}-1-text": "80",
    }
    response = manager.post(reverse("admin:experts_question_add"), data)
    assert response.status_code == 200
    with scopes_disabled():
        assert not Question.objects.filter(text="Quel port pour SIP ?").exists()
    response = manager.post(reverse("admin:experts_question_add"), {**data, f"{prefix}-0-is_correct": "on"})
    assert response.status_code == 302


def test_the_dashboard_counts_the_open_assignments_needing_an_eye(
    world, networks, manager, django_assert_max_num_queries
):
    from experts.backoffice import assignments_panel

    net = networks["a"]
    past = timezone.now() - dt.timedelta(hours=60)
    make_assignment(
        net,
        client="Sans réponse",
        mandated_at=past,
        respond_by=past + dt.timedelta(hours=48),
        intervene_by=past + dt.timedelta(hours=4),
    )
    make_assignment(net, client="En cours")
    make_assignment(networks["b"], client="Bravo", mandated_at=past, respond_by=past, intervene_by=past)
    with django_assert_max_num_queries(1), tenant_scope(world.a.tenant):
        content = assignments_panel(request=None, tenant=world.a.tenant)
    card = content.cards[0]
    assert card.value == "2" and card.tone == "bad" and "1" in card.detail
    assert "timeliness=late" in card.url
    assert manager.get(reverse("admin:index")).status_code == 200
