"""Claims and decisions (benefits/services.py): the limits, the states, the e-mails after commit."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.utils import translation
from django_scopes import scope, scopes_disabled

from benefits import selectors, services
from benefits.models import Benefit, Claim
from benefits.services import ClaimError
from tests.partnerportal.factories import MembershipFactory, PartnerFactory

from .factories import BenefitFactory, ClaimFactory, assess

AUG_15 = dt.date(2026, 8, 15)


def claim(partner, benefit, by, today=AUG_15, **kwargs):
    with scope(tenant=partner.tenant_id):
        return services.claim_create(partner=partner, benefit=benefit, by=by, today=today, **kwargs)


def claims_of(partner):
    with scopes_disabled():
        return sorted(
            Claim.objects.filter(partner=partner).values_list("benefit__code", "state", "period_start")
        )


@pytest.fixture(autouse=True)
def _english():
    """The refusals' messages are read in English here; the e-mails follow the partner's language."""
    with translation.override("en"):
        yield


@pytest.fixture
def premium(world, cat):
    assess(world.a.partner, cat.tiers["premium"], dt.date(2026, 7, 1))
    return world.a.partner


# --- claiming ----------------------------------------------------------------------------------------


def test_a_claim_that_needs_approval_is_pending_and_counts_against_its_period(
    world, cat, premium, mailoutbox
):
    made = claim(premium, cat.training, world.a.sales, note="  Trunk SIP, May session  ")

    assert (made.state, made.period_start, made.claimed_by, made.note) == (
        Claim.State.PENDING,
        dt.date(2026, 1, 1),
        world.a.sales,
        "Trunk SIP, May session",
    )
    assert made.decided_at is None
    assert mailoutbox == []  # nothing decided yet


def test_a_claim_that_needs_no_approval_is_approved_at_once_and_the_partner_told(
    world, cat, premium, mailoutbox, django_capture_on_commit_callbacks
):
    days = BenefitFactory(
        tenant=world.a.tenant,
        from_tier=cat.tiers["business"],
        claimable=True,
        quantity=2,
        requires_approval=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        made = claim(premium, days, world.a.sales)

    assert made.state == Claim.State.APPROVED and made.decided_at and made.decided_by is None
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == sorted([world.a.sales.email, world.a.admin.email])


def test_no_more_than_the_quantity_per_period(world, cat, premium):
    claim(premium, cat.training, world.a.admin)

    with pytest.raises(ClaimError, match="already claimed all of Free training seat for this year"):
        claim(premium, cat.training, world.a.sales)

    assert claims_of(premium) == [("training", "pending", dt.date(2026, 1, 1))]
    next_year = claim(premium, cat.training, world.a.admin, today=dt.date(2027, 1, 2))
    assert next_year.period_start == dt.date(2027, 1, 1)


def test_a_refused_or_cancelled_claim_gives_its_seat_back(world, cat, premium):
    first = claim(premium, cat.training, world.a.admin)
    with scope(tenant=premium.tenant_id):
        services.claim_cancel(claim=first)
    second = claim(premium, cat.training, world.a.admin)
    with scope(tenant=premium.tenant_id):
        services.claim_refuse(claim=second, by=world.a.manager, reason="Session full")

    assert claim(premium, cat.training, world.a.admin).state == Claim.State.PENDING


def test_once_per_tier_reached_and_only_within_the_validity_window(world, cat):
    assess(world.a.partner, cat.tiers["access"], dt.date(2026, 7, 1))

    made = claim(world.a.partner, cat.bizbooster, world.a.admin, today=dt.date(2026, 9, 30))
    assert made.period_start == dt.date(2026, 7, 1)
    with pytest.raises(ClaimError, match="already claimed BizBooster 150 € for this tier"):
        claim(world.a.partner, cat.bizbooster, world.a.admin, today=dt.date(2026, 9, 30))
    with scope(tenant=world.a.tenant.pk):
        services.claim_cancel(claim=made)
    with pytest.raises(ClaimError, match="could be claimed until"):
        claim(world.a.partner, cat.bizbooster, world.a.admin, today=dt.date(2026, 10, 1))


def test_reaching_the_tier_again_gives_the_benefit_again(world, cat):
    assess(world.a.partner, cat.tiers["access"], dt.date(2026, 1, 1))
    claim(world.a.partner, cat.bizbooster, world.a.admin, today=dt.date(2026, 2, 1))
    assess(world.a.partner, cat.tiers["starter"], dt.date(2026, 7, 1))
    assess(world.a.partner, cat.tiers["access"], dt.date(2027, 1, 1))

    again = claim(world.a.partner, cat.bizbooster, world.a.admin, today=dt.date(2027, 1, 10))

    assert again.period_start == dt.date(2027, 1, 1)


@pytest.mark.parametrize(
    ("tier", "code", "message"),
    [
        ("starter", "training", "Free training seat comes with the Premium tier."),
        ("premium", "bizbooster-150", "At your tier, BizBooster 150 € is replaced by BizBooster 500 €."),
        ("premium", "sip-volume", "SIP Trunk volume offer is not part of your programme."),
        ("premium", "wiki", "Wiki is yours already: there is nothing to claim."),
    ],
)
def test_a_benefit_that_does_not_apply_is_refused_with_the_reason(world, cat, tier, code, message):
    assess(world.a.partner, cat.tiers[tier], dt.date(2026, 7, 1))
    with scopes_disabled():
        benefit = Benefit.objects.get(tenant=world.a.tenant, code=code)

    with pytest.raises(ClaimError) as refused:
        claim(world.a.partner, benefit, world.a.admin)

    assert refused.value.messages == [message]
    assert claims_of(world.a.partner) == []


def test_another_tenants_benefit_is_not_part_of_the_programme(world, catalogues, premium):
    with pytest.raises(ClaimError, match="not part of your programme"):
        claim(premium, catalogues["b"].training, world.a.admin)


# --- deciding ----------------------------------------------------------------------------------------


@pytest.fixture
def pending(world, cat, premium):
    return claim(premium, cat.training, world.a.sales)


def decide(service, claim, **kwargs):
    with scope(tenant=claim.tenant_id):
        return service(claim=claim, **kwargs)


def test_approve_then_fulfil_each_tell_the_claimer_and_the_admins(
    world, pending, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        approved = decide(services.claim_approve, pending, by=world.a.manager)
    assert (approved.state, approved.decided_by) == (Claim.State.APPROVED, world.a.manager)
    with django_capture_on_commit_callbacks(execute=True):
        fulfilled = decide(services.claim_fulfil, pending, by=world.a.manager)

    assert fulfilled.state == Claim.State.FULFILLED and fulfilled.fulfilled_at
    assert [sorted(m.to) for m in mailoutbox] == [sorted([world.a.sales.email, world.a.admin.email])] * 2
    assert "approuvée" in mailoutbox[0].subject and "Free training seat" in mailoutbox[0].subject
    assert "honorée" in mailoutbox[1].subject


def test_fulfilling_a_pending_claim_approves_it_by_the_same_act(world, pending):
    fulfilled = decide(services.claim_fulfil, pending, by=world.a.manager)

    assert fulfilled.decided_by == world.a.manager and fulfilled.decided_at and fulfilled.fulfilled_at


def test_refusing_needs_a_reason_which_the_partner_reads_in_its_language(
    world, pending, mailoutbox, django_capture_on_commit_callbacks
):
    with pytest.raises(ClaimError, match="Say why"):
        decide(services.claim_refuse, pending, by=world.a.manager, reason="   ")
    pending.refresh_from_db()
    assert pending.state == Claim.State.PENDING

    with scopes_disabled():
        type(world.a.partner).objects.filter(pk=world.a.partner.pk).update(preferred_language="en")
    with django_capture_on_commit_callbacks(execute=True):
        refused = decide(services.claim_refuse, pending, by=world.a.manager, reason="The session is full.")

    assert (refused.state, refused.refusal_reason) == (Claim.State.REFUSED, "The session is full.")
    assert mailoutbox[0].subject == "Your claim for Free training seat is refused"
    assert "Reason: The session is full." in mailoutbox[0].body


def test_a_claim_is_decided_once(world, pending, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        decide(services.claim_approve, pending, by=world.a.manager)
    with pytest.raises(ClaimError, match="only a pending claim can be approved"):
        decide(services.claim_approve, pending, by=world.a.manager)
    with django_capture_on_commit_callbacks(execute=True):
        decide(services.claim_refuse, pending, by=world.a.manager, reason="Budget spent")
    with pytest.raises(ClaimError, match="can no longer be refused"):
        decide(services.claim_refuse, pending, by=world.a.manager, reason="Again")
    with pytest.raises(ClaimError, match="only a pending claim can be cancelled"):
        decide(services.claim_cancel, pending)

    assert len(mailoutbox) == 2  # approved, refused


def test_bulk_decisions_change_only_the_claims_in_the_right_state(
    world, cat, premium, django_capture_on_commit_callbacks, mailoutbox
):
    waiting = ClaimFactory(partner=premium, benefit=cat.training, claimed_by=world.a.admin)
    done = ClaimFactory(
        partner=premium, benefit=cat.training, state="fulfilled", period_start=dt.date(2025, 1, 1)
    )
    other = ClaimFactory(partner=world.a.other_partner, benefit=cat.training)

    with scope(tenant=world.a.tenant.pk), django_capture_on_commit_callbacks(execute=True):
        ids = services.claims_approve(
            claims=Claim.objects.filter(pk__in=[waiting.pk, done.pk, other.pk]), by=world.a.manager
        )

    assert sorted(ids) == sorted([waiting.pk, other.pk])
    assert len(mailoutbox) == 2  # one per partner's claim: A's admin, and A's other partner's admin
    with scopes_disabled():
        assert Claim.objects.get(pk=done.pk).state == Claim.State.FULFILLED


def test_a_bulk_decision_across_tenants_tells_each_tenants_partner(
    world, catalogues, django_capture_on_commit_callbacks, mailoutbox
):
    ours = ClaimFactory(partner=world.a.partner, benefit=catalogues["a"].training, claimed_by=world.a.sales)
    theirs = ClaimFactory(partner=world.b.partner, benefit=catalogues["b"].training, claimed_by=world.b.sales)

    # The superuser's back-office is unscoped: its bulk action gets both tenants' claims in one queryset.
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        ids = services.claims_approve(
            claims=Claim.objects.filter(pk__in=[ours.pk, theirs.pk]), by=world.superuser
        )

    assert sorted(ids) == sorted([ours.pk, theirs.pk])
    assert sorted(sorted(m.to) for m in mailoutbox) == sorted(
        [
            sorted([world.a.sales.email, world.a.admin.email]),
            sorted([world.b.sales.email, world.b.admin.email]),
        ]
    )
    with scopes_disabled():
        assert set(Claim.objects.filter(pk__in=ids).values_list("notified_state", flat=True)) == {"approved"}


# --- concurrency (PostgreSQL) ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_claims_of_the_last_seat_exactly_one_succeeds(world, cat, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (run with DATABASE_URL=postgres://…)")
    assess(world.a.partner, cat.tiers["premium"], dt.date(2026, 7, 1))
    second_admin = MembershipFactory(partner=world.a.partner, role="admin").user

    # Widen the race: each claim waits after counting, so that without the lock both would see a free seat.
    overview = selectors.entitlement_overview

    def slow_overview(**kwargs):
        result = overview(**kwargs)
        time.sleep(0.5)
        return result

    monkeypatch.setattr(services, "entitlement_overview", slow_overview)
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(user):
        try:
            barrier.wait()
            with scope(tenant=world.a.tenant.pk):
                services.claim_create(partner=world.a.partner, benefit=cat.training, by=user, today=AUG_15)
            outcomes.append("claimed")
        except ClaimError:
            outcomes.append("refused")
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=attempt, args=(user,)) for user in (world.a.admin, second_admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["claimed", "refused"]
    assert claims_of(world.a.partner) == [("training", "pending", dt.date(2026, 1, 1))]


def test_a_partner_of_another_type_has_its_own_catalogue(world, cat):
    operator = PartnerFactory(
        tenant=world.a.tenant, partner_type=world.a.operator_type, date_joined=dt.date(2024, 1, 15)
    )
    assess(operator, cat.tiers["business"], dt.date(2026, 7, 1))
    with scopes_disabled():
        perk = Benefit.objects.get(pk=cat.operator_promo.pk)

    with pytest.raises(ClaimError, match="nothing to claim"):
        claim(operator, perk, world.a.admin)
