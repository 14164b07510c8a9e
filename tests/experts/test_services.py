"""Experts Zen's rules: eligibility and its loss, the test (scoring, attempts, draws, forged answers) and
assignments."""

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from experts import selectors, services
from experts.models import Attempt, Choice, ExpertSpeciality, Question
from obligations.models import FulfilmentState
from partnerportal.tenancy import tenant_scope
from tests.benefits.factories import assess
from tests.obligations.factories import DutyFactory, DutyFulfilmentFactory, TrainingDutyFactory
from tiers.models import PartnerTier
from tiers.signals import TierChange, tier_changed

from .factories import make_expert


def listed(tenant, **filters):
    with tenant_scope(tenant):
        return list(selectors.directory_list(tenant=tenant, today=timezone.localdate(), **filters))


def right_answers(attempt) -> dict[int, list[int]]:
    with scopes_disabled():
        return {
            question_id: list(
                Choice.objects.filter(question_id=question_id, is_correct=True).values_list("pk", flat=True)
            )
            for question_id, _order in attempt.drawn
        }


# --- eligibility -----------------------------------------------------------------------------------------


def test_checklist_names_what_is_missing_then_certifies_when_complete(world, net):
    """The other partner, at Access without duties, trainings, grid or zone: every condition missing; once
    they are all there, applying certifies it for the validity from the test's pass."""
    tenant, partner = world.a.tenant, world.a.other_partner
    assess(partner, net.tiers["access"], dt.date(2026, 1, 1))
    with scopes_disabled():
        offer = TrainingDutyFactory(tenant=tenant, title="Formation en ligne Trunk SIP")
        training = TrainingDutyFactory(
            tenant=tenant, title="Formation présentielle technique", format="on_site"
        )
        charter = DutyFactory(tenant=tenant, title="Charte des Experts Zen")
        net.programme.offer_duties.set([offer])
        net.programme.training_duties.set([training])
        net.programme.charter_duty = charter
        net.programme.save()
    with tenant_scope(tenant):
        application = services.speciality_apply(partner=partner, speciality=net.speciality)
        rows = {
            r.code: r
            for r in selectors.checklist(
                programme=net.programme, partner=partner, expert=application.expert, speciality=net.speciality
            )
        }
        assert application.expires_on is None
        assert not any(r.met for r in rows.values())
        assert "Access" in rows["tier"].missing
        assert "Formation en ligne Trunk SIP" in rows["offers"].missing
        assert "Charte des Experts Zen" in rows["charter"].missing

        assess(partner, net.tiers["business"], dt.date(2026, 7, 1))
        for duty in (offer, training, charter):
            DutyFulfilmentFactory(partner=partner, duty=duty, state=FulfilmentState.APPROVED)
        services.expert_profile_save(partner=partner, departements=["35"], intervention_hours=6)
        services.price_grid_accept(partner=partner, by=world.a.other_admin)
        membership = world.a.other_admin_membership
        attempt = services.attempt_start(membership=membership, test=net.test)
        Attempt.objects.filter(pk=attempt.pk).update(expires_at=timezone.now() + dt.timedelta(hours=1))
        services.attempt_submit(attempt=attempt, answers=right_answers(attempt))
        application.refresh_from_db()
    assert application.expires_on is not None  # certified by the pass itself, the rest being complete
    assert application.expires_on.year == timezone.localdate().year + 2
    assert partner in [e.partner for e in listed(tenant)]


def test_tier_drop_takes_the_expert_out_at_once_in_one_update(world, networks):
    tenant, expert = world.a.tenant, networks["a"].expert
    second = make_expert(world.a.other_partner, networks["a"], hours=2, zone=("44",))
    assert {e.pk for e in listed(tenant)} == {expert.pk, second.pk}
    with scopes_disabled():
        PartnerTier.objects.filter(partner=expert.partner).update(tier=networks["a"].tiers["access"])
    changes = [
        TierChange(expert.partner_id, networks["a"].tiers["premium"].pk, networks["a"].tiers["access"].pk, 0)
    ]
    with CaptureQueriesContext(connection) as queries:
        tier_changed.send(
            sender=None, tenant_id=tenant.pk, evaluation_date=dt.date(2026, 7, 1), changes=changes
        )
    ours = [
        q["sql"]
        for q in queries.captured_queries
        if "experts_expert" in q["sql"] and q["sql"].startswith("UPDATE")
    ]
    assert len(ours) == 1
    assert [e.pk for e in listed(tenant)] == [second.pk]
    # Back at Business: listed again, its certification still valid.
    with scopes_disabled():
        PartnerTier.objects.filter(partner=expert.partner).update(tier=networks["a"].tiers["business"])
    tier_changed.send(sender=None, tenant_id=tenant.pk, evaluation_date=dt.date(2027, 1, 1), changes=changes)
    assert expert.pk in {e.pk for e in listed(tenant)}
    assert networks["b"].expert.pk in {e.pk for e in listed(world.b.tenant)}  # B untouched


def test_a_lapsed_certification_leaves_the_directory(world, net):
    with scopes_disabled():
        ExpertSpeciality.objects.filter(expert=net.expert).update(
            expires_on=timezone.localdate() - dt.timedelta(days=1)
        )
    assert listed(world.a.tenant) == []
    with scopes_disabled():
        ExpertSpeciality.objects.filter(expert=net.expert).update(expires_on=timezone.localdate())
    assert listed(world.a.tenant) == [net.expert]


def test_a_pass_older_than_the_validity_does_not_certify(world, net):
    with tenant_scope(world.a.tenant):
        attempt = services.attempt_start(membership=world.a.admin_membership, test=net.test)
        services.attempt_submit(attempt=attempt, answers=right_answers(attempt))
        old = timezone.now() - dt.timedelta(days=2 * 366)
        Attempt.objects.filter(pk=attempt.pk).update(submitted_at=old)
        assert (
            selectors.passed_attempt(
                partner=world.a.partner,
                speciality=net.speciality,
                since=selectors.validity_start(net.programme, timezone.now()),
            )
            is None
        )


# --- directory -------------------------------------------------------------------------------------------


def test_directory_search_by_speciality_and_departement_fastest_first(
    world, net, django_assert_max_num_queries
):
    slow = make_expert(world.a.other_partner, net, hours=24, zone=("44", "75"))
    assert listed(world.a.tenant) == [net.expert, slow]  # 4 h before 24 h
    assert listed(world.a.tenant, departement="75") == [slow]
    assert listed(world.a.tenant, departement="13") == []
    assert listed(world.a.tenant, speciality=net.other_speciality) == []
    with django_assert_max_num_queries(3), tenant_scope(world.a.tenant):
        rows = list(selectors.directory_list(tenant=world.a.tenant, today=timezone.localdate()))
        assert [z.departement for r in rows for z in r.zones.all()] == ["44", "49", "44", "75"]
        assert [c.speciality.name for r in rows for c in r.certified] == ["Alpha Trunk SIP"] * 2


def test_directory_shows_no_expert_of_another_tenant(world, networks):
    assert listed(world.a.tenant) == [networks["a"].expert]
    assert listed(world.b.tenant) == [networks["b"].expert]


# --- the test --------------------------------------------------------------------------------------------


def test_scoring_counts_a_question_only_with_exactly_its_right_answers(world, net):
    with tenant_scope(world.a.tenant):
        attempt = services.attempt_start(membership=world.a.admin_membership, test=net.test)
        answers = right_answers(attempt)
        first = next(q for q, ids in answers.items() if len(ids) == 2)  # "Q1": two right answers
        answers[first] = answers[first][:1]  # one of the two: wrong
        attempt = services.attempt_submit(attempt=attempt, answers=answers)
    assert attempt.score == 66 and attempt.passed  # 2 of 3, pass mark 60
    assert attempt.membership == world.a.admin_membership and attempt.submitted_at is not None

    with tenant_scope(world.a.tenant):
        attempt = services.attempt_start(membership=world.a.admin_membership, test=net.test)
        attempt = services.attempt_submit(attempt=attempt, answers={})
    assert attempt.score == 0 and not attempt.passed


def test_attempts_are_limited_per_person_and_period(world, net):
    membership, now = world.a.admin_membership, timezone.now()
    with tenant_scope(world.a.tenant):
        for day in range(3):
            attempt = services.attempt_start(
                membership=membership, test=net.test, now=now + dt.timedelta(days=day)
            )
            services.attempt_submit(attempt=attempt, answers={}, now=now + dt.timedelta(days=day, minutes=5))
        with pytest.raises(services.ExpertError, match="3"):
            services.attempt_start(membership=membership, test=net.test, now=now + dt.timedelta(days=3))
        # A colleague has attempts of their own; and 30 days after the first, one comes back.
        services.attempt_start(
            membership=world.a.sales_membership, test=net.test, now=now + dt.timedelta(days=3)
        )
        services.attempt_start(
            membership=membership, test=net.test, now=now + dt.timedelta(days=30, minutes=1)
        )


def test_an_open_attempt_is_given_back_not_drawn_again(world, net):
    with tenant_scope(world.a.tenant):
        first = services.attempt_start(membership=world.a.admin_membership, test=net.test)
        again = services.attempt_start(membership=world.a.admin_membership, test=net.test)
    assert again.pk == first.pk


def test_questions_and_answers_are_drawn_in_random_order(world, net, monkeypatch):
    monkeypatch.setattr(services, "_draw", random.Random(12))
    with scopes_disabled():
        net.programme.max_attempts = 50
        net.programme.save()
        net.test.questions_per_attempt = 2
        net.test.save()
    questions, orders = set(), set()
    with tenant_scope(world.a.tenant):
        for _ in range(12):
            attempt = services.attempt_start(membership=world.a.admin_membership, test=net.test)
            services.attempt_submit(attempt=attempt, answers={})
            questions.add(tuple(q for q, _order in attempt.drawn))
            orders.add(tuple(tuple(order) for _q, order in attempt.drawn if len(order) == 3))
    assert len(questions) > 2  # subsets and their order vary
    assert len(orders - {()}) > 1  # the three choices of question 1 come in different orders


def test_forged_and_repeated_submissions_are_refused(world, net):
    with tenant_scope(world.a.tenant):
        attempt = services.attempt_start(membership=world.a.admin_membership, test=net.test)
        drawn = dict((q, order) for q, order in attempt.drawn)
        other_question = Question.objects.filter(test=net.test).exclude(pk__in=drawn).first()
        q1, q2 = list(drawn)[:2]
        with pytest.raises(services.ExpertError, match="ne correspondent pas"):
            services.attempt_submit(
                attempt=attempt, answers={q1: [drawn[q2][0]]}
            )  # a choice of another question
        if other_question is not None:
            with pytest.raises(services.ExpertError, match="ne correspondent pas"):
                services.attempt_submit(attempt=attempt, answers={other_question.pk: []})
        services.attempt_submit(attempt=attempt, answers=right_answers(attempt))
        with pytest.raises(services.ExpertError, match="déjà envoyée"):
            services.attempt_submit(attempt=attempt, answers=right_answers(attempt))
        late = services.attempt_start(membership=world.a.sales_membership, test=net.test)
        with pytest.raises(services.ExpertError, match="écoulé"):
            services.attempt_submit(attempt=late, answers={}, now=late.expires_at + dt.timedelta(seconds=1))
    with scopes_disabled():
        assert Attempt.objects.get(pk=attempt.pk).score == 100  # the forged ones changed nothing


# --- assignments -----------------------------------------------------------------------------------------


def mandate(net, world, **extra):
    with tenant_scope(world.a.tenant):
        return services.assignment_mandate(
            expert=net.expert,
            speciality=net.speciality,
            client="Clinique des Alizés",
            place="Nantes",
            departement="44",
            deadline=timezone.now() + dt.timedelta(days=2),
            by=world.a.manager,
            **extra,
        )


def test_mandate_copies_the_guaranteed_time_and_the_answer_delay(world, net):
    now = timezone.now()
    assignment = mandate(net, world, now=now)
    assert assignment.guaranteed_hours == 4
    assert assignment.intervene_by == now + dt.timedelta(hours=4)
    assert assignment.respond_by == now + dt.timedelta(hours=48)
    with tenant_scope(world.a.tenant), pytest.raises(services.ExpertError, match="pas un expert référencé"):
        services.assignment_mandate(
            expert=net.expert,
            speciality=net.other_speciality,
            client="X",
            place="Y",
            departement="44",
            deadline=now,
            by=world.a.manager,
        )


def test_accept_then_done_on_time_or_late(world, net):
    assignment = mandate(net, world, now=timezone.now() - dt.timedelta(hours=5))
    with tenant_scope(world.a.tenant):
        services.assignment_accept(assignment=assignment, by=world.a.admin)
        with pytest.raises(services.ExpertError):
            services.assignment_accept(assignment=assignment, by=world.a.admin)  # twice: once
        done = services.assignment_done(
            assignment=assignment, at=assignment.mandated_at + dt.timedelta(hours=3)
        )
        assert done.on_time is True
        row = selectors.assignment_list(partner=world.a.partner).get(pk=assignment.pk)
        assert row.late is False

    late = mandate(net, world, now=timezone.now() - dt.timedelta(hours=10))
    with tenant_scope(world.a.tenant):
        services.assignment_accept(assignment=late, by=world.a.admin)
        assert selectors.assignment_list(partner=world.a.partner).get(pk=late.pk).late is True  # 10 h > 4 h
        done = services.assignment_done(assignment=late)
        assert done.on_time is False


def test_refuse_needs_a_reason_and_the_answer_has_a_delay(world, net):
    assignment = mandate(net, world)
    with tenant_scope(world.a.tenant):
        with pytest.raises(services.ExpertError, match="pourquoi"):
            services.assignment_refuse(assignment=assignment, by=world.a.admin, reason="  ")
        services.assignment_refuse(assignment=assignment, by=world.a.admin, reason="Technicien absent")
        assert assignment.state == "refused" and assignment.refusal_reason == "Technicien absent"
        with pytest.raises(services.ExpertError, match="réalisée"):
            services.assignment_done(assignment=assignment)

    stale = mandate(net, world, now=timezone.now() - dt.timedelta(hours=49))
    with tenant_scope(world.a.tenant):
        assert selectors.assignment_list(partner=world.a.partner).get(pk=stale.pk).unanswered is True
        with pytest.raises(services.ExpertError, match="délai de réponse"):
            services.assignment_accept(assignment=stale, by=world.a.admin)


def test_profile_save_replaces_the_zone_and_refuses_unknown_departements(world, net):
    with tenant_scope(world.a.tenant):
        services.expert_profile_save(partner=world.a.partner, departements=["35", "44"], intervention_hours=6)
        assert sorted(net.expert.zones.values_list("departement", flat=True)) == ["35", "44"]
        with pytest.raises(services.ExpertError):
            services.expert_profile_save(partner=world.a.partner, departements=["99"], intervention_hours=6)


def test_a_new_expert_gets_its_tier_flag(world, net):
    with tenant_scope(world.a.tenant):
        expert = services.price_grid_accept(partner=world.a.other_partner, by=world.a.other_admin)
    assert expert.tier_ok is False  # never assessed: the entry tier, below Business
