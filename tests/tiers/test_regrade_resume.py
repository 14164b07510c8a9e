"""A regrade resumed after its worker was killed announces again the changes the killed run committed.

Found by ``make drill``: a chunk's ``tier_changed`` is sent after the chunk commits, in the worker's
process; killed in between, the announcement was lost, and the resumed run grades only the partners left,
so the partners of the committed chunks got no e-mail, diploma or duties.
"""

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from tests.tiers import test_review
from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JULY_2026, assessment_of
from tiers.models import Evaluation
from tiers.signals import tier_changed
from tiers.tasks import approve_evaluation, regrade_tenant

# The review mode's fixtures: a proposal of July 2026 awaiting approval in tenant A.
review = test_review.review
proposed = test_review.proposed


@pytest.fixture
def announced():
    sent = []

    def receiver(sender, *, tenant_id, evaluation_date, changes, **kwargs):
        sent.extend((tenant_id, evaluation_date, change) for change in changes)

    tier_changed.connect(receiver, dispatch_uid="test-announced")
    yield sent
    tier_changed.disconnect(dispatch_uid="test-announced")


def test_a_resumed_regrade_announces_what_the_killed_run_committed(
    world, programmes, announced, django_capture_on_commit_callbacks
):
    add_revenue(world.a.partner, "600")  # Access from July 2026: a change
    tenant = world.a.tenant
    with django_capture_on_commit_callbacks(execute=True):
        regrade_tenant.delay(tenant.pk, JULY_2026.isoformat()).get()
    assert [change.partner_id for _, _, change in announced] == [world.a.partner.pk]
    first = announced[0]
    # The worker killed after its last chunk committed, before the evaluation was marked finished (and so,
    # perhaps, before its on-commit announcement left the process).
    with scopes_disabled():
        Evaluation.objects.filter(tenant=tenant).update(status=Evaluation.Status.RUNNING, finished_at=None)
    announced.clear()

    with django_capture_on_commit_callbacks(execute=True):
        regrade_tenant.delay(tenant.pk, JULY_2026.isoformat()).get()

    assert announced == [first]
    assert first[2].assessment_id == assessment_of(world.a.partner).pk
    assert first[1] == dt.date(2026, 7, 1)


def test_a_finished_regrade_run_again_announces_nothing(
    world, programmes, announced, django_capture_on_commit_callbacks
):
    add_revenue(world.a.partner, "600")
    with django_capture_on_commit_callbacks(execute=True):
        regrade_tenant.delay(world.a.tenant.pk, JULY_2026.isoformat()).get()
    assert len(announced) == 1
    announced.clear()

    with django_capture_on_commit_callbacks(execute=True):
        regrade_tenant.delay(world.a.tenant.pk, JULY_2026.isoformat()).get()

    assert announced == []


def test_a_resumed_approval_announces_what_the_killed_one_committed(
    world, proposed, announced, django_capture_on_commit_callbacks
):
    tenant = world.a.tenant
    with django_capture_on_commit_callbacks(execute=True):
        approve_evaluation.delay(tenant.pk, proposed.pk).get()
    first = sorted(announced)
    assert {change.partner_id for _, _, change in first} == {world.a.partner.pk, world.a.other_partner.pk}
    # Killed after its chunks committed, before the evaluation was marked applied.
    with scopes_disabled():
        Evaluation.objects.filter(pk=proposed.pk).update(
            status=Evaluation.Status.PROPOSED, approved_at=None, approved_by=None, finished_at=None
        )
    announced.clear()

    with django_capture_on_commit_callbacks(execute=True):
        approve_evaluation.delay(tenant.pk, proposed.pk).get()

    assert sorted(announced) == first
