"""The portal's pages: the directory, the expert's page and checklist, an attempt (no answer in the page,
forged submissions refused), the assignments."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from experts.models import Assignment, Attempt, Choice
from experts.services import attempt_start
from partnerportal.tenancy import tenant_scope

from .factories import make_assignment, make_expert


@pytest.fixture
def owner(world, client_for):
    return client_for(world.a.tenant, world.a.admin)


def start(world, net) -> Attempt:
    with tenant_scope(world.a.tenant):
        return attempt_start(membership=world.a.admin_membership, test=net.test)


def test_directory_searches_and_shows_no_other_tenant(
    world, networks, client_for, django_assert_max_num_queries
):
    net = networks["a"]
    make_expert(world.a.other_partner, net, hours=24, zone=("75",))
    client = client_for(world.a.tenant, world.a.other_admin)  # any partner of the tenant
    with django_assert_max_num_queries(14):
        page = client.get(reverse("experts:directory")).content.decode()
    assert "experts@alpha.test" in page and page.index("Azur Réseaux") < page.index("Ambre Services")
    assert "Bleu Connect" not in page and "experts@bravo.test" not in page
    page = client.get(
        reverse("experts:directory"), {"departement": "75", "speciality": net.speciality.pk}
    ).content.decode()
    assert "Ambre Services" in page and "Azur Réseaux" not in page
    # B's speciality is no choice on A's host: the search ignores it rather than leaking B's experts.
    page = client.get(
        reverse("experts:directory"), {"speciality": networks["b"].speciality.pk}
    ).content.decode()
    assert "Bleu Connect" not in page


def test_the_checklist_shows_what_is_missing(world, net, client_for, django_assert_max_num_queries):
    client = client_for(world.a.tenant, world.a.other_admin)
    for speciality in (net.speciality, net.other_speciality):
        response = client.post(reverse("experts:speciality-apply", args=[speciality.pk]))
        assert response.status_code == 302
    client.get(reverse("experts:profile"))
    with django_assert_max_num_queries(10):  # issue 10's budget, whatever the applications
        page = client.get(reverse("experts:profile")).content.decode()
    missing = re.findall(r'<li class="is-missing">(.*?)</li>', page, re.S)
    assert any("Starter" in row for row in missing)  # its tier, below Business
    assert any("grille tarifaire" in row for row in missing)


def test_the_attempt_page_never_says_which_answers_are_right(world, net, owner):
    attempt = start(world, net)
    page = owner.get(reverse("experts:attempt", args=[attempt.pk])).content.decode()
    with scopes_disabled():
        choices = list(Choice.objects.filter(question_id__in=[q for q, _o in attempt.drawn]))
    assert all(c.text in page for c in choices)
    assert "correct" not in page.lower()
    # Every choice is the same markup but for its id and text: nothing tells a right one from a wrong one.
    rows = re.findall(r'<div class="experts-choice">.*?</div>', page)
    assert len(rows) == len(choices)
    shapes = {re.sub(r'value="\d+"|id="c\d+"|for="c\d+"|name="q\d+"|>[^<]*</label>', "", row) for row in rows}
    assert len(shapes) == 1
    # In the order drawn.
    first_question = attempt.drawn[0][0]
    with scopes_disabled():
        order = [Choice.objects.get(pk=pk).text for pk in attempt.drawn[0][1]]
    assert [page.index(text) for text in order] == sorted(page.index(text) for text in order)
    assert f'name="q{first_question}"' in page


def test_submitting_through_the_page_scores_once_and_refuses_forgeries(world, net, owner):
    attempt = start(world, net)
    url = reverse("experts:attempt", args=[attempt.pk])
    (q1, order1), (q2, order2) = attempt.drawn[:2]
    forged = owner.post(url, {f"q{q1}": [order2[0]]}, follow=True)
    assert "ne correspondent pas" in forged.content.decode()
    with scopes_disabled():
        right = {
            q: list(Choice.objects.filter(question_id=q, is_correct=True).values_list("pk", flat=True))
            for q, _ in attempt.drawn
        }
    owner.post(url, {f"q{q}": ids for q, ids in right.items()})
    again = owner.post(url, {})
    assert again.status_code == 302
    with scopes_disabled():
        attempt.refresh_from_db()
    assert attempt.score == 100 and attempt.passed and attempt.answers
    assert "100" in owner.get(url).content.decode()
    assert owner.post(url, {"qabc": ["x"]}).status_code == 302  # malformed ids: a message, not a 500


def test_the_expert_accepts_and_marks_done_from_the_page(world, net, owner):
    assignment = make_assignment(net, mandated_at=timezone.now() - dt.timedelta(hours=2))
    page = owner.get(reverse("experts:assignment-list")).content.decode()
    assert "Clinique des Alizés" in page
    owner.post(reverse("experts:assignment-accept", args=[assignment.pk]))
    owner.post(reverse("experts:assignment-done", args=[assignment.pk]), {"done_at": ""})
    with scopes_disabled():
        assignment.refresh_from_db()
    assert (
        assignment.state == "done"
        and assignment.done_at is not None
        and assignment.answered_by == world.a.admin
    )


def test_refusing_without_a_reason_is_a_message(world, net, owner):
    assignment = make_assignment(net)
    response = owner.post(
        reverse("experts:assignment-refuse", args=[assignment.pk]), {"reason": ""}, follow=True
    )
    assert response.status_code == 200
    with scopes_disabled():
        assert Assignment.objects.get(pk=assignment.pk).state == "mandated"
