"""Evaluations in review mode (GradingPolicy.evaluation_review): a due evaluation is stored as a proposal
(ProposedAssessment), a manager overrides single partners with a reason and approves it as a whole, and
only then do the tiers apply, with the tier_changed signal, the e-mails and the history of a normal run.

Tenants A and B of ``world`` with the Dstny ladder (``programmes``); A is in review mode. A's partners are
at Starter since 1 January 2026 (nothing before); A's partner has Business revenue in January–June 2026
(evaluated on 1 July 2026), A's other partner Access revenue.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from partnerportal.tenancy import tenant_scope
from tests.tiers.factories import GradingPolicyFactory, add_revenue
from tests.tiers.helpers import (
    JANUARY_2026,
    JANUARY_2027,
    JULY_2026,
    assessment_of,
    evaluate,
    evaluation_of,
    tier_of,
)
from tiers import services, tasks
from tiers.grading import RegradeError
from tiers.models import Assessment, Evaluation, PartnerTier, ProposedAssessment, Tier
from tiers.signals import tier_changed

EVALUATIONS = reverse("admin:tiers_evaluation_changelist")
PREVIEW = reverse("admin:tiers_evaluation_preview")


def proposal_url(evaluation) -> str:
    return reverse("admin:tiers_evaluation_proposal", args=[evaluation.pk])


def override_url(evaluation, proposal) -> str:
    return reverse("admin:tiers_evaluation_override", args=[evaluation.pk, proposal.pk])


def proposed_tiers(world) -> dict:
    with scopes_disabled():
        return {tier.code: tier for tier in Tier.objects.filter(tenant=world.a.tenant)}


def proposal_of(partner) -> ProposedAssessment:
    with scopes_disabled():
        return ProposedAssessment.objects.select_related("applied_tier").get(partner=partner)


@pytest.fixture
def review(world, programmes):
    GradingPolicyFactory(tenant=world.a.tenant, evaluation_review=True)
    evaluate(world.a.tenant, JANUARY_2026, review=False)  # history from before review mode: Starter
    add_revenue(world.a.partner, "1500")  # Business
    add_revenue(world.a.other_partner, "600")  # Access
    add_revenue(world.b.partner, "1500")
    return programmes


@pytest.fixture
def proposed(world, review) -> Evaluation:
    evaluate(world.a.tenant, JULY_2026)
    return evaluation_of(world.a.tenant, JULY_2026)


@pytest.fixture
def manager_a(world, client_for):
    return client_for(world.a.tenant, world.a.manager)


@pytest.fixture
def received():
    signals = []

    def receiver(sender, **kwargs):
        signals.append(kwargs)

    tier_changed.connect(receiver, weak=False)
    yield signals
    tier_changed.disconnect(receiver)


# --- the proposal ------------------------------------------------------------------------------------


def test_a_due_evaluation_is_stored_as_a_proposal_and_changes_no_tier(
    world, review, received, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        result = evaluate(world.a.tenant, JULY_2026)

    assert result.proposed and result.partners == 2 and result.counts["up"] == 2
    evaluation = evaluation_of(world.a.tenant, JULY_2026)
    assert evaluation.status == Evaluation.Status.PROPOSED and evaluation.finished_at is None
    assert proposal_of(world.a.partner).applied_tier.code == "business"
    assert proposal_of(world.a.other_partner).applied_tier.code == "access"
    with scopes_disabled():
        assert not Assessment.objects.filter(tenant=world.a.tenant, evaluation_date=JULY_2026).exists()
        current = PartnerTier.objects.filter(tenant=world.a.tenant).values_list("tier__code", flat=True)
        assert set(current) == {"starter"}
        assert not PartnerTier.history.filter(tenant=world.a.tenant).exists()
    assert received == [] and mailoutbox == []


def test_running_it_again_writes_nothing_and_the_next_evaluation_waits_for_the_approval(world, proposed):
    again = evaluate(world.a.tenant, JULY_2026)

    assert again.already_done and again.proposed
    with scopes_disabled():
        assert ProposedAssessment.objects.count() == 2
    with translation.override("en"), pytest.raises(RegradeError, match="awaits approval"):
        evaluate(world.a.tenant, JANUARY_2027)


def test_the_daily_job_leaves_a_tenant_awaiting_approval_alone(world, proposed, time_machine, monkeypatch):
    time_machine.move_to(dt.datetime(2026, 8, 3, 4, tzinfo=dt.UTC), tick=False)
    queued = []
    monkeypatch.setattr(tasks.regrade_tenant, "delay", lambda *args: queued.append(args))

    tasks.regrade_due()

    assert [args[0] for args in queued] == [world.b.tenant.pk]


def test_the_regrade_command_says_it_stored_a_proposal(world, review, capsys):
    call_command("regrade", tenant=world.a.tenant.slug, as_of=JULY_2026)

    out = capsys.readouterr().out
    assert "review mode: stored as a proposal" in out
    assert "partners 2, up 2, down 0, same 0" in out


# --- approval -------------------------------------------------------------------------------------------


def test_approving_applies_every_tier_with_the_signal_the_emails_and_the_history(
    world, proposed, received, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(world.a.tenant):
        services.evaluation_approve(evaluation=proposed, by=world.a.manager)

    evaluation = evaluation_of(world.a.tenant, JULY_2026)
    assert evaluation.status == Evaluation.Status.FINISHED
    assert (evaluation.approved_by, evaluation.partners, evaluation.up) == (world.a.manager, 2, 2)
    assert tier_of(world.a.partner).code == "business" and tier_of(world.a.other_partner).code == "access"
    assessment = assessment_of(world.a.partner)
    assert (assessment.reason, assessment.applied_by) == (Assessment.Reason.COMPUTED, world.a.manager)
    changes = [change for signal in received for change in signal["changes"]]
    assert {change.partner_id for change in changes} == {world.a.partner.pk, world.a.other_partner.pk}
    assert {change.assessment_id for change in changes} == {
        assessment_of(world.a.partner).pk,
        assessment_of(world.a.other_partner).pk,
    }
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [world.a.admin.email, world.a.other_admin.email]
    )
    with scopes_disabled():
        assert not ProposedAssessment.objects.exists()
        history = PartnerTier.history.get(partner_id=world.a.partner.pk)
    assert (history.history_user, history.tier.code, history.history_type) == (
        world.a.manager,
        "business",
        "~",
    )
    assert history.history_change_reason == "computed"


def test_an_override_with_a_reason_is_what_gets_applied(world, proposed, django_capture_on_commit_callbacks):
    tiers = proposed_tiers(world)
    with tenant_scope(world.a.tenant):
        services.proposal_override(
            proposal=proposal_of(world.a.partner),
            tier=tiers["premium"],
            reason="Signed the national framework contract",
            by=world.a.manager,
        )
    proposal = proposal_of(world.a.partner)
    assert (proposal.applied_tier.code, proposal.proposed_tier.code) == ("premium", "business")
    assert proposal.reason == Assessment.Reason.OVERRIDDEN and proposal.overridden_by == world.a.manager

    with django_capture_on_commit_callbacks(execute=True), tenant_scope(world.a.tenant):
        services.evaluation_approve(evaluation=proposed, by=world.superuser)

    assessment = assessment_of(world.a.partner)
    assert assessment.applied_tier.code == "premium" and assessment.computed_tier.code == "business"
    assert (assessment.reason, assessment.note) == ("overridden", "Signed the national framework contract")
    assert assessment.applied_by == world.a.manager  # the manager who chose the tier, not the approver
    assert evaluation_of(world.a.tenant).approved_by == world.superuser
    assert tier_of(world.a.partner).code == "premium"
    with scopes_disabled():
        history = PartnerTier.history.get(partner_id=world.a.partner.pk)
    assert history.history_user == world.a.manager
    assert history.history_change_reason == "Signed the national framework contract"


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_without_a_reason_is_refused(world, proposed, reason):
    with tenant_scope(world.a.tenant), pytest.raises(ValidationError) as refused:
        services.proposal_override(
            proposal=proposal_of(world.a.partner),
            tier=proposed_tiers(world)["starter"],
            reason=reason,
            by=world.a.manager,
        )

    assert "reason" in refused.value.error_dict
    assert proposal_of(world.a.partner).applied_tier.code == "business"


def test_an_override_after_the_approval_is_refused(world, proposed):
    with tenant_scope(world.a.tenant):
        services.evaluation_approve(evaluation=proposed, by=world.a.manager)
    with scopes_disabled():
        Evaluation.objects.filter(pk=proposed.pk).update(status=Evaluation.Status.PROPOSED)  # a stale page
        stale = ProposedAssessment(pk=1, evaluation=proposed, tenant=world.a.tenant)
    with tenant_scope(world.a.tenant), pytest.raises(ValidationError) as refused:
        services.proposal_override(
            proposal=stale, tier=proposed_tiers(world)["starter"], reason="Too late", by=world.a.manager
        )
    assert refused.value.code == "not_proposed"


def test_discarding_drops_the_proposal_so_that_it_is_computed_again(world, proposed):
    with tenant_scope(world.a.tenant):
        services.evaluation_discard(evaluation=proposed)

    with scopes_disabled():
        assert not Evaluation.objects.filter(tenant=world.a.tenant, evaluation_date=JULY_2026).exists()
        assert not ProposedAssessment.objects.exists()
    assert evaluate(world.a.tenant, JULY_2026).proposed


# --- the back-office ------------------------------------------------------------------------------------


def test_the_manager_sees_every_partners_current_and_proposed_tier(world, proposed, manager_a):
    response = manager_a.get(proposal_url(proposed))

    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert {(row.partner_id, row.previous_tier.code, row.applied_tier.code) for row in rows} == {
        (world.a.partner.pk, "starter", "business"),
        (world.a.other_partner.pk, "starter", "access"),
    }
    html = response.content.decode()
    assert world.a.partner.legal_name in html and world.b.partner.legal_name not in html
    assert response.context["counts"]["partners"] == 2
    assert proposal_url(proposed) in manager_a.get(EVALUATIONS).content.decode()
    assert manager_a.get(PREVIEW).context["awaiting"] == proposed


def test_the_manager_overrides_a_partner_in_the_back_office_with_a_reason(world, proposed, manager_a):
    proposal = proposal_of(world.a.other_partner)
    starter = proposed_tiers(world)["starter"]

    refused = manager_a.post(override_url(proposed, proposal), {"tier": starter.pk, "reason": ""})
    assert refused.status_code == 400 and "reason" in refused.context["form"].errors
    assert proposal_of(world.a.other_partner).applied_tier.code == "access"

    response = manager_a.post(
        override_url(proposed, proposal), {"tier": starter.pk, "reason": "Unpaid invoices"}
    )

    assert response.status_code == 302 and response["Location"] == proposal_url(proposed)
    proposal = proposal_of(world.a.other_partner)
    assert (proposal.applied_tier.code, proposal.note, proposal.overridden_by) == (
        "starter",
        "Unpaid invoices",
        world.a.manager,
    )
    assert evaluation_of(world.a.tenant).up == 1 and evaluation_of(world.a.tenant).same == 1


def test_the_manager_approves_in_the_back_office(
    world, proposed, manager_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the approval is queued once the request commits
        response = manager_a.post(proposal_url(proposed), {"approve": "1"})

    assert response.status_code == 302 and response["Location"] == EVALUATIONS
    evaluation = evaluation_of(world.a.tenant)
    assert evaluation.status == Evaluation.Status.FINISHED and evaluation.approved_by == world.a.manager
    assert tier_of(world.a.partner).code == "business"
    assert manager_a.get(proposal_url(proposed)).status_code == 302  # nothing left to review


def test_a_manager_of_another_tenant_can_neither_see_nor_approve_nor_override(
    world, proposed, client_for, django_capture_on_commit_callbacks
):
    manager_b = client_for(world.b.tenant, world.b.manager)
    proposal = proposal_of(world.a.partner)
    starter = proposed_tiers(world)["starter"]

    # On B's own back-office, A's evaluation does not exist.
    assert manager_b.get(proposal_url(proposed)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert manager_b.post(proposal_url(proposed), {"approve": "1"}).status_code == 404
        assert manager_b.post(proposal_url(proposed), {"discard": "1"}).status_code == 404
    override = manager_b.post(override_url(proposed, proposal), {"tier": starter.pk, "reason": "Mine now"})
    assert override.status_code == 404
    # On A's host, B's session is not a manager's.
    on_a = manager_b.get(proposal_url(proposed), HTTP_HOST=world.a.host)
    assert on_a.status_code == 302 and on_a["Location"].startswith(reverse("admin:login"))

    assert evaluation_of(world.a.tenant).status == Evaluation.Status.PROPOSED
    assert proposal_of(world.a.partner).applied_tier.code == "business"
    assert tier_of(world.a.partner).code == "starter"


def test_review_mode_off_applies_as_before(world, programmes):
    add_revenue(world.a.partner, "1500")
    GradingPolicyFactory(tenant=world.a.tenant, evaluation_review=False)

    result = evaluate(world.a.tenant, JULY_2026)

    assert not result.proposed and evaluation_of(world.a.tenant).status == Evaluation.Status.FINISHED
    assert tier_of(world.a.partner).code == "business"
    with scopes_disabled():
        assert not ProposedAssessment.objects.exists()
