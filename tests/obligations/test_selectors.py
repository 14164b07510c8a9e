"""Reads: the hold query (one query), the compliance score, the tier gap, the entitlements section."""

import datetime as dt
import json
from io import StringIO

from django.core.management import call_command
from django.utils import translation
from django_scopes import scopes_disabled

from obligations import selectors
from obligations.models import FulfilmentState
from partnerportal.models import Partner, Tenant
from partnerportal.tenancy import tenant_scope
from tests.obligations.factories import DutyFactory, DutyFulfilmentFactory, TrainingDutyFactory

EVALUATION = dt.date(2027, 1, 1)


def test_holds_one_query_first_overdue_blocking_duty_per_partner(world, django_assert_num_queries):
    a, other = world.a.partner, world.a.other_partner
    charter = DutyFactory(tenant=world.a.tenant, code="charte", title="Charte partenaire", blocking=True)
    contract = DutyFactory(tenant=world.a.tenant, code="contrat", title="Contrat", blocking=True)
    light = DutyFactory(tenant=world.a.tenant, code="fiche", blocking=False)
    DutyFulfilmentFactory(partner=a, duty=contract, due_date=dt.date(2026, 6, 1))
    DutyFulfilmentFactory(partner=a, duty=charter, due_date=dt.date(2026, 5, 1))
    DutyFulfilmentFactory(
        partner=other, duty=charter, due_date=dt.date(2026, 5, 1), state=FulfilmentState.APPROVED
    )
    DutyFulfilmentFactory(partner=other, duty=light, due_date=dt.date(2026, 5, 1))  # not blocking
    DutyFulfilmentFactory(partner=other, duty=contract, due_date=EVALUATION)  # not yet due
    DutyFulfilmentFactory(partner=world.b.partner, due_date=dt.date(2026, 5, 1), duty__blocking=True)

    with tenant_scope(world.a.tenant), django_assert_num_queries(1), translation.override("en"):
        held = selectors.promotion_holds(tenant=world.a.tenant, evaluation_date=EVALUATION)

    assert held == [(a.pk, "CHARTE — Charte partenaire, due 2026-05-01")]


def test_submitted_but_not_approved_still_holds_waived_does_not(world):
    duty = DutyFactory(tenant=world.a.tenant, blocking=True)
    DutyFulfilmentFactory(partner=world.a.partner, duty=duty, state=FulfilmentState.SUBMITTED)
    DutyFulfilmentFactory(partner=world.a.other_partner, duty=duty, state=FulfilmentState.WAIVED)
    with tenant_scope(world.a.tenant):
        held = selectors.promotion_holds(tenant=world.a.tenant, evaluation_date=EVALUATION)
    assert [pk for pk, _why in held] == [world.a.partner.pk]


def test_compliance_score(world):
    today = dt.date(2026, 11, 20)
    p = world.a.partner
    for state, due in (
        (FulfilmentState.APPROVED, dt.date(2027, 1, 1)),  # done early: counts
        (FulfilmentState.WAIVED, dt.date(2026, 1, 1)),
        (FulfilmentState.TO_DO, dt.date(2026, 5, 1)),  # missed
        (FulfilmentState.EXPIRED, dt.date(2026, 5, 1)),  # missed
        (FulfilmentState.TO_DO, today),  # due today: still on time
        (FulfilmentState.CLOSED, dt.date(2026, 1, 1)),  # no longer required: never counts
    ):
        DutyFulfilmentFactory(partner=p, state=state, due_date=due)
    on_time, late = dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC), dt.datetime(2026, 5, 20, 9, tzinfo=dt.UTC)
    DutyFulfilmentFactory(  # sent on time, waiting for review: neither done nor missed
        partner=p, state=FulfilmentState.SUBMITTED, due_date=dt.date(2026, 5, 1), submitted_at=on_time
    )
    DutyFulfilmentFactory(  # sent late: missed until approved
        partner=p, state=FulfilmentState.SUBMITTED, due_date=dt.date(2026, 5, 1), submitted_at=late
    )
    with tenant_scope(world.a.tenant):
        compliance = selectors.compliance_for(partner=p, today=today)
        nothing = selectors.compliance_for(partner=world.a.other_partner, today=today)
    assert (compliance.done, compliance.due, compliance.score) == (2, 5, 40)
    assert len(compliance.overdue) == 2  # the to-do and the late one; not the expired period
    assert nothing.score is None


def test_tier_gap_counts_what_is_left_at_a_tier(programmes, world):
    access = programmes["a"].tiers["access"]
    first = TrainingDutyFactory(tenant=world.a.tenant, tiers=[access])
    TrainingDutyFactory(tenant=world.a.tenant, tiers=[access])
    TrainingDutyFactory(tenant=world.a.tenant, tiers=[access])
    DutyFactory(tenant=world.a.tenant, tiers=[access])
    DutyFactory(tenant=world.a.tenant, tiers=[access], partner_types=[world.a.operator_type])  # not theirs
    DutyFulfilmentFactory(partner=world.a.partner, duty=first, state=FulfilmentState.APPROVED)
    with tenant_scope(world.a.tenant), translation.override("fr"):
        assert selectors.tier_gap(partner=world.a.partner, tier=access) == ["1 document", "2 formations"]


def test_the_entitlements_command_prints_the_duties(programmes, world):
    access, starter = programmes["a"].tiers["access"], programmes["a"].tiers["starter"]
    charter = DutyFactory(
        tenant=world.a.tenant, code="charte", title="Charte", tiers=[starter, access], blocking=True
    )
    TrainingDutyFactory(
        tenant=world.a.tenant,
        code="webinars",
        tiers=[starter],
        count=3,
        format="webinar",
        profile="sales",
        product_line="data",
    )
    DutyFactory(tenant=world.a.tenant, code="ops", tiers=[starter], partner_types=[world.a.operator_type])
    DutyFulfilmentFactory(partner=world.a.partner, duty=charter, due_date=dt.date(2026, 5, 1))
    out = StringIO()

    call_command(
        "entitlements",
        "--tenant",
        "alpha",
        "--partner",
        world.a.partner.external_ref,
        "--as-of",
        "2026-11-20",
        stdout=out,
    )

    duties = json.loads(out.getvalue())["duties"]
    assert duties == [
        {
            "code": "charte",
            "title": "Charte",
            "category": "document",
            "profile": None,
            "product_line": None,
            "format": None,
            "count": None,
            "recurrence": "once",
            "blocking": True,
            "due": "2026-05-01",
            "state": "todo",
        },
        {
            "code": "webinars",
            "title": duties[1]["title"],
            "category": "training",
            "profile": "sales",
            "product_line": "data",
            "format": "webinar",
            "count": 3,
            "recurrence": "once",
            "blocking": False,
            "due": None,
            "state": "todo",
        },
    ]


def test_an_expired_blocking_period_holds_the_evaluation_of_its_window(world, django_assert_num_queries):
    # EVALUATION (1 January 2027) looks at July–December 2026 (six months).
    duty = DutyFactory(tenant=world.a.tenant, code="forecast", blocking=True, recurrence="quarterly")
    a, other, b = world.a.partner, world.a.other_partner, world.b.partner
    expired = {"duty": duty, "state": FulfilmentState.EXPIRED}
    DutyFulfilmentFactory(
        partner=a,
        period=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        due_date=dt.date(2026, 7, 21),
        **expired,
    )
    DutyFulfilmentFactory(  # ended before the window: the previous evaluation's business
        partner=other,
        period=dt.date(2026, 4, 1),
        period_end=dt.date(2026, 6, 30),
        due_date=dt.date(2026, 4, 21),
        **expired,
    )
    with tenant_scope(world.a.tenant), django_assert_num_queries(1), translation.override("en"):
        held = selectors.promotion_holds(tenant=world.a.tenant, evaluation_date=EVALUATION)
    assert held == [(a.pk, "FORECAST — " + duty.title + ", due 2026-07-21")]
    assert b.pk not in [pk for pk, _why in held]


def test_tier_gap_counts_trainings_by_their_count(programmes, world):
    access = programmes["a"].tiers["access"]
    TrainingDutyFactory(tenant=world.a.tenant, tiers=[access], count=3)  # "3 webinars"
    TrainingDutyFactory(tenant=world.a.tenant, tiers=[access])
    DutyFactory(tenant=world.a.tenant, tiers=[access], count=5)  # a document's count means nothing
    with tenant_scope(world.a.tenant), translation.override("en"):
        assert selectors.tier_gap(partner=world.a.partner, tier=access) == ["1 document", "4 trainings"]


def test_evidence_sent_late_is_judged_on_the_tenants_date(world):
    with scopes_disabled():
        Tenant.objects.filter(pk=world.a.tenant.pk).update(timezone="America/Los_Angeles")
        partner = Partner.objects.select_related("tenant").get(pk=world.a.partner.pk)
    # 03:00 UTC on 2 May is still 1 May in Los Angeles: on time there, though late in Paris or UTC.
    f = DutyFulfilmentFactory(
        partner=partner,
        state=FulfilmentState.SUBMITTED,
        due_date=dt.date(2026, 5, 1),
        submitted_at=dt.datetime(2026, 5, 2, 3, tzinfo=dt.UTC),
    )
    with tenant_scope(world.a.tenant):
        compliance = selectors.compliance_for(partner=partner, today=dt.date(2026, 11, 20))
    assert (compliance.due, compliance.overdue) == (0, [])
    assert not f.is_overdue(dt.date(2026, 11, 20), tenant=partner.tenant)
    assert f.is_overdue(dt.date(2026, 11, 20), tenant=world.b.tenant)  # Paris: sent on 2 May, late
