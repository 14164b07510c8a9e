"""Routing: one partner at a time, never twice the same, by zone and product line, weighted by tier and
conversion, the benefit's tiers only; offers lapse after the delay and the lead goes on."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled

from leads import routing, services
from leads.models import Lead, LeadOffer
from partnerportal.models import Partner
from partnerportal.tenancy import tenant_scope

from .factories import LeadFactory, ProductLineFactory, cover, new_partner, offers_of, place

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def a(world, prog):
    with tenant_scope(world.a.tenant):
        yield world.a


def route(setup, hours=0):
    return services.leads_route(tenant=setup.tenant, now=T0 + dt.timedelta(hours=hours))


def reload(lead):
    return Lead.objects.get(pk=lead.pk)


def test_a_new_lead_is_offered_to_one_partner_only_once(a, django_capture_on_commit_callbacks):
    lead = LeadFactory(tenant=a.tenant, postal_code="35000", city="Rennes")
    with django_capture_on_commit_callbacks(execute=True):
        assert route(a).line() == "leads: offered 1, reassigned 0, expired 0"
    assert offers_of(lead) == [(a.partner.pk, "open")]
    lead = reload(lead)
    assert (lead.state, lead.partner_id) == (Lead.State.OFFERED, a.partner.pk)
    # The partner's people are told after commit, without the customer's contact.
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted([a.admin.email, a.sales.email])
    assert "Rennes" in mail.outbox[0].body and lead.contact_name not in mail.outbox[0].body
    assert route(a, hours=1).line() == "leads: offered 0, reassigned 0, expired 0"
    assert offers_of(lead) == [(a.partner.pk, "open")]


def test_the_database_refuses_a_second_live_offer_and_a_second_offer_to_a_partner(a):
    lead = LeadFactory(tenant=a.tenant)
    route(a)
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadOffer.objects.create(
            tenant=a.tenant, lead=lead, partner=a.other_partner, offered_at=T0, expires_at=T0
        )
    LeadOffer.objects.filter(lead=lead).update(state=LeadOffer.State.LAPSED)
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadOffer.objects.create(tenant=a.tenant, lead=lead, partner=a.partner, offered_at=T0, expires_at=T0)


def test_departement_first_then_region_then_nobody(a, django_capture_on_commit_callbacks):
    # A.partner is Premium in 35 (Bretagne), A.other_partner Business in 44 (Pays de la Loire).
    nantes = LeadFactory(tenant=a.tenant, postal_code="44000", city="Nantes")
    brest = LeadFactory(tenant=a.tenant, postal_code="29200", city="Brest")
    marseille = LeadFactory(tenant=a.tenant, postal_code="13002", city="Marseille")
    with django_capture_on_commit_callbacks(execute=True):
        assert route(a).line() == "leads: offered 2, reassigned 0, expired 1"
    assert reload(nantes).partner_id == a.other_partner.pk  # its département, though a lower tier
    assert reload(brest).partner_id == a.partner.pk  # its région
    assert reload(marseille).state == Lead.State.UNROUTED
    # The manager is told of the lead no partner covers, once.
    told = [m for m in mail.outbox if a.manager.email in m.to]
    assert len(told) == 1 and "Marseille" in told[0].body
    services.leads_route(tenant=a.tenant, now=T0)
    assert len([m for m in mail.outbox if a.manager.email in m.to]) == 1


def test_declared_zones_and_product_lines(a):
    data = ProductLineFactory(tenant=a.tenant, code="data")
    sip = ProductLineFactory(tenant=a.tenant, code="sip")
    cover(a.other_partner, departements=["35"])
    cover(a.partner, product_lines=[data])  # sells data only
    sip_lead = LeadFactory(tenant=a.tenant, postal_code="35000", product_lines=[sip])
    data_lead = LeadFactory(tenant=a.tenant, postal_code="35000", product_lines=[data, sip])
    route(a)
    assert reload(sip_lead).partner_id == a.other_partner.pk  # declared 35, sells everything
    assert reload(data_lead).partner_id == a.partner.pk  # Premium, sells one of the lines


def test_a_declared_region_comes_after_a_partners_own_departement(a):
    cover(a.partner, regions=["Pays de la Loire"])  # Premium in 35, declares the région of 44
    nantes = LeadFactory(tenant=a.tenant, postal_code="44000", city="Nantes")
    route(a)
    assert reload(nantes).partner_id == a.other_partner.pk  # Business, but in 44 itself


def test_weighting_by_tier_then_conversion(a, prog):
    rival = new_partner(
        a.tenant, tier=prog.tiers["business"], postal_code="35700", partner_type=a.partner_type
    )
    first = LeadFactory(tenant=a.tenant, postal_code="35000")
    route(a)
    assert reload(first).partner_id == a.partner.pk  # Premium (weight 2) before Business (1)
    # Past conversion: the Business rival won 3 of 3 (score 1 × 4/5), the Premium partner lost 3 of 3
    # (2 × 1/5): the rival comes first now.
    for partner, state, extra in (
        (rival, "won", {"won_value": Decimal("10")}),
        (a.partner, "lost", {"lost_reason": "no"}),
    ):
        for _ in range(3):
            LeadFactory(tenant=a.tenant, state=state, partner=partner, **extra)
            with scopes_disabled():
                lead = Lead.objects.filter(partner=partner, state=state).latest("pk")
                LeadOffer.objects.create(
                    tenant=a.tenant,
                    lead=lead,
                    partner=partner,
                    state="accepted",
                    offered_at=T0,
                    expires_at=T0,
                )
    second = LeadFactory(tenant=a.tenant, postal_code="35000")
    route(a)
    assert reload(second).partner_id == rival.pk
    pool = routing.candidates(tenant=a.tenant)
    ranks = routing.ranked(pool, departement="35", region="Bretagne", product_line_ids=set(), excluded=set())
    assert [c.partner_id for c in ranks][:2] == [rival.pk, a.partner.pk]


def test_only_partners_whose_tier_has_the_lead_benefit(a, prog):
    access = new_partner(
        a.tenant, tier=prog.tiers["access"], postal_code="13002", partner_type=a.partner_type
    )
    new_partner(a.tenant, tier=None, postal_code="13002", partner_type=a.partner_type)  # entry tier
    lead = LeadFactory(tenant=a.tenant, postal_code="13002")
    assert route(a).expired == 1
    assert offers_of(lead) == []
    # A Business partner there that stopped taking leads, or is suspended, gets none either.
    stopped = new_partner(
        a.tenant, tier=prog.tiers["business"], postal_code="13002", partner_type=a.partner_type
    )
    cover(stopped, accepts_leads=False)
    new_partner(
        a.tenant,
        tier=prog.tiers["premium"],
        postal_code="13002",
        partner_type=a.partner_type,
        status=Partner.Status.SUSPENDED,
    )
    ids = {c.partner_id for c in routing.candidates(tenant=a.tenant)}
    assert ids == {a.partner.pk, a.other_partner.pk}
    assert access.pk not in ids
    # A benefit for operators only leaves the ambassadors out; an inactive one, everyone.
    prog.benefit.partner_types.set([a.operator_type])
    assert routing.candidates(tenant=a.tenant) == []
    prog.benefit.partner_types.set([])
    prog.benefit.is_active = False
    prog.benefit.save()
    assert routing.candidates(tenant=a.tenant) == []


def test_an_unanswered_offer_goes_to_the_next_partner_never_back(
    a, settings, django_capture_on_commit_callbacks
):
    settings.LEAD_ACCEPT_HOURS = 48
    cover(a.other_partner, departements=["35"])
    lead = LeadFactory(tenant=a.tenant, postal_code="35000")
    route(a)
    assert route(a, hours=47).line() == "leads: offered 0, reassigned 0, expired 0"
    assert route(a, hours=48).line() == "leads: offered 0, reassigned 1, expired 0"
    assert offers_of(lead) == [(a.partner.pk, "lapsed"), (a.other_partner.pk, "open")]
    assert reload(lead).partner_id == a.other_partner.pk
    with django_capture_on_commit_callbacks(execute=True):
        assert route(a, hours=96).line() == "leads: offered 0, reassigned 0, expired 1"
    assert offers_of(lead) == [(a.partner.pk, "lapsed"), (a.other_partner.pk, "lapsed")]
    lead = reload(lead)
    assert (lead.state, lead.partner_id) == (Lead.State.UNROUTED, None)
    assert any(a.manager.email in m.to for m in mail.outbox)
    # The first partner cannot accept any more.
    with pytest.raises(services.LeadError):
        services.lead_accept(lead=lead, partner=a.partner, now=T0 + dt.timedelta(hours=97))


def test_accept_after_the_delay_is_refused_and_decline_passes_it_on(a):
    cover(a.other_partner, departements=["35"])
    lead = LeadFactory(tenant=a.tenant, postal_code="35000")
    route(a)
    with pytest.raises(services.LeadError):
        services.lead_accept(lead=lead, partner=a.partner, now=T0 + dt.timedelta(hours=49))
    with pytest.raises(services.LeadError):
        services.lead_accept(lead=lead, partner=a.other_partner, now=T0)
    services.lead_decline(lead=lead, partner=a.partner, now=T0 + dt.timedelta(hours=1))
    assert offers_of(lead) == [(a.partner.pk, "declined"), (a.other_partner.pk, "open")]
    services.lead_accept(lead=lead, partner=a.other_partner, now=T0 + dt.timedelta(hours=2))
    assert reload(lead).state == Lead.State.ACCEPTED


def test_a_manager_assigns_by_hand_but_never_twice_to_the_same_partner(a):
    lead = LeadFactory(tenant=a.tenant, postal_code="35000")
    route(a)
    services.lead_accept(lead=lead, partner=a.partner, now=T0)
    services.lead_progress(lead=lead, partner=a.partner, state="quoted", now=T0)
    services.lead_assign(lead=lead, partner=a.other_partner, by=a.manager, now=T0)
    assert offers_of(lead) == [(a.partner.pk, "withdrawn"), (a.other_partner.pk, "open")]
    reassigned = reload(lead)
    assert reassigned.partner_id == a.other_partner.pk
    # The new partner starts afresh: none of the previous partner's follow-up stays on the lead.
    assert (reassigned.accepted_at, reassigned.contacted_at, reassigned.quoted_at) == (None, None, None)
    with pytest.raises(services.LeadError):
        services.lead_assign(lead=lead, partner=a.partner, by=a.manager, now=T0)


def test_progress_forward_only_with_value_or_reason(a):
    lead = LeadFactory(tenant=a.tenant, postal_code="35000")
    route(a)
    with pytest.raises(services.LeadError):  # not accepted yet
        services.lead_progress(lead=lead, partner=a.partner, state="contacted")
    services.lead_accept(lead=lead, partner=a.partner, now=T0)
    services.lead_progress(lead=lead, partner=a.partner, state="quoted")
    with pytest.raises(services.LeadError):
        services.lead_progress(lead=lead, partner=a.partner, state="contacted")
    with pytest.raises(services.LeadError):
        services.lead_progress(lead=lead, partner=a.partner, state="won")
    with pytest.raises(services.LeadError):
        services.lead_progress(lead=lead, partner=a.other_partner, state="won", won_value=Decimal("1"))
    services.lead_progress(lead=lead, partner=a.partner, state="won", won_value=Decimal("199.90"))
    lead = reload(lead)
    assert (lead.state, lead.won_value) == (Lead.State.WON, Decimal("199.90"))
    assert lead.contacted_at and lead.quoted_at and lead.closed_at


def test_routing_stays_in_its_tenant(world, programmes):
    with tenant_scope(world.b.tenant):
        b_lead = LeadFactory(tenant=world.b.tenant, postal_code="35000")
    with tenant_scope(world.a.tenant):
        LeadFactory(tenant=world.a.tenant, postal_code="35000")
        assert services.leads_route(tenant=world.a.tenant, now=T0).offered == 1
    assert offers_of(b_lead) == []


@pytest.mark.django_db(transaction=True)
def test_two_routing_passes_at_once_offer_each_lead_once(world, programmes):
    """On PostgreSQL, two passes in two connections: the locks and the partial unique index keep one live
    offer per lead (SQLite serialises writers, so there is nothing to race)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    tenant = world.a.tenant
    with tenant_scope(tenant):
        cover(world.a.other_partner, departements=["35"])
        leads = [LeadFactory(tenant=tenant, postal_code="35000") for _ in range(30)]
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait()
            with tenant_scope(tenant):
                results.append(services.leads_route(tenant=tenant, now=T0))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r.offered for r in results) == 30
    with scopes_disabled():
        for lead in leads:
            assert LeadOffer.objects.filter(lead=lead).count() == 1


def test_a_partner_graded_below_the_benefit_since_the_offer_cannot_accept_it(a, prog):
    lead = LeadFactory(tenant=a.tenant, postal_code="35000")
    route(a)
    place(a.partner, tier=prog.tiers["access"], postal_code="35000")
    with pytest.raises(services.LeadError):
        services.lead_accept(lead=lead, partner=a.partner, now=T0)
    # A manager's choice stands, whatever the tier.
    services.lead_assign(lead=lead, partner=a.other_partner, by=a.manager, now=T0)
    place(a.other_partner, tier=prog.tiers["access"], postal_code="44000")
    services.lead_accept(lead=lead, partner=a.other_partner, now=T0)
    assert reload(lead).state == Lead.State.ACCEPTED
