"""The back-office: a lead created from its place, assigned by hand, routed now; conversion per partner
and per tier; the routing job in the beat schedule."""

from decimal import Decimal

from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from leads.models import Lead, LeadOffer
from partnerportal.tenancy import tenant_scope

from .factories import LeadFactory, ProductLineFactory, new_partner


def test_a_manager_adds_a_lead_its_place_from_the_postal_code(world, prog, client_for):
    with tenant_scope(world.a.tenant):
        line = ProductLineFactory(tenant=world.a.tenant)
    client = client_for(world.a.tenant, world.a.manager)
    data = {
        "customer": "Ferme du Lac",
        "contact_name": "Léa Martin",
        "contact_email": "lea@ferme.test",
        "contact_phone": "",
        "postal_code": "2B000",
        "city": "Bastia",
        "product_lines": [line.pk],
        "monthly_value": "150.00",
        "source": "event",
        "notes": "",
        "offers-TOTAL_FORMS": "0",
        "offers-INITIAL_FORMS": "0",
    }
    url = reverse("admin:leads_lead_add")
    assert client.post(url, data).status_code == 200  # not a postal code: the form again
    data["postal_code"] = "20200"
    assert client.post(url, data).status_code == 302
    lead = Lead.objects.with_scopes_disabled().get(customer="Ferme du Lac")
    assert (lead.departement, lead.region, lead.created_by, lead.state) == (
        "2B",
        "Corse",
        world.a.manager,
        "new",
    )
    with tenant_scope(world.a.tenant):
        assert list(lead.product_lines.all()) == [line]


def test_assign_route_now_and_conversion(world, prog, client_for):
    tenant = world.a.tenant
    with tenant_scope(tenant):
        lead = LeadFactory(tenant=tenant, postal_code="13002", state=Lead.State.UNROUTED)
        LeadFactory(
            tenant=tenant, postal_code="35000", state="won", partner=world.a.partner, won_value=Decimal("300")
        )
        won = Lead.objects.get(state="won")
        LeadOffer.objects.create(
            tenant=tenant,
            lead=won,
            partner=world.a.partner,
            state="accepted",
            offered_at=won.created_at,
            expires_at=won.created_at,
        )
    client = client_for(tenant, world.a.manager)
    # Route now: a Business partner has opened in Marseille since the lead found nobody.
    marseille = new_partner(
        tenant, tier=prog.tiers["business"], postal_code="13002", partner_type=world.a.partner_type
    )
    changelist = reverse("admin:leads_lead_changelist")
    client.post(changelist, {"action": "route_selected", "_selected_action": [lead.pk]})
    lead = Lead.objects.with_scopes_disabled().get(pk=lead.pk)
    assert (lead.state, lead.partner_id) == (Lead.State.OFFERED, marseille.pk)
    url = reverse("admin:leads_lead_assign", args=[lead.pk])
    assert client.post(url, {"partner": world.b.partner.pk}).status_code == 400  # another tenant's
    assert client.post(url, {"partner": world.a.other_partner.pk}).status_code == 302
    lead = Lead.objects.with_scopes_disabled().get(pk=lead.pk)
    assert (lead.state, lead.partner_id) == (Lead.State.OFFERED, world.a.other_partner.pk)
    assert client.post(url, {"partner": world.a.other_partner.pk}).status_code == 400  # never twice
    page = client.get(reverse("admin:leads_lead_conversion")).content.decode()
    assert "Premium" in page and "Business" in page
    assert "100,0 %" in page or "100.0 %" in page  # A's partner: 1 won of 1 closed
    assert world.b.partner.legal_name not in page


def test_the_routing_job_is_in_the_beat_schedule(db):
    task = PeriodicTask.objects.get(task="leads.tasks.route_leads")
    assert (task.interval.every, task.interval.period, task.enabled) == (15, "minutes", True)
