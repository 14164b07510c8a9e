"""The portal's lead pages: the contact hidden until accepted, gone after reassignment, the follow-up."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from leads import services
from leads.models import Lead
from partnerportal.tenancy import tenant_scope

from .factories import LeadFactory, ProductLineFactory


@pytest.fixture
def offered(world, prog):
    with tenant_scope(world.a.tenant):
        line = ProductLineFactory(tenant=world.a.tenant, name="MetaCentrex")
        lead = LeadFactory(
            tenant=world.a.tenant,
            customer="Boulangerie Kerlann",
            contact_name="Gwenaëlle Kerlann",
            contact_email="g.kerlann@boulangerie.test",
            contact_phone="02 99 12 34 56",
            postal_code="35000",
            city="Rennes",
            product_lines=[line],
            monthly_value=Decimal("320"),
        )
        services.leads_route(tenant=world.a.tenant)
    return Lead.objects.with_scopes_disabled().get(pk=lead.pk)


CONTACT = ("Boulangerie Kerlann", "Gwenaëlle Kerlann", "g.kerlann@boulangerie.test", "02 99 12 34 56")


def page(client, lead):
    return client.get(reverse("leads:lead-detail", args=[lead.pk]))


def test_the_contact_shows_only_once_accepted_and_goes_with_reassignment(world, offered, client_for):
    client = client_for(world.a.tenant, world.a.sales)
    before = page(client, offered).content.decode()
    listing = client.get(reverse("leads:lead-list")).content.decode()
    for text in CONTACT:
        assert text not in before and text not in listing
    assert "Rennes" in before and "MetaCentrex" in before and "320,00" in before
    response = client.post(reverse("leads:lead-accept", args=[offered.pk]))
    assert response.status_code == 302
    after = page(client, offered).content.decode()
    for text in CONTACT:
        assert text in after
    with tenant_scope(world.a.tenant):
        services.lead_assign(lead=offered, partner=world.a.other_partner, by=world.a.manager)
    assert page(client, offered).status_code == 404
    assert "Rennes" not in client.get(reverse("leads:lead-list")).content.decode()
    # The partner it went to sees the offer, without the contact until it accepts.
    other = page(client_for(world.a.tenant, world.a.other_admin), offered).content.decode()
    assert "Rennes" in other and all(text not in other for text in CONTACT)


def test_follow_up_from_the_page(world, offered, client_for):
    client = client_for(world.a.tenant, world.a.admin)
    client.post(reverse("leads:lead-accept", args=[offered.pk]))
    url = reverse("leads:lead-progress", args=[offered.pk])
    refused = client.post(url, {"state": "won", "won_value": ""})
    assert refused.status_code == 400
    assert Lead.objects.with_scopes_disabled().get(pk=offered.pk).state == Lead.State.ACCEPTED
    assert client.post(url, {"state": "won", "won_value": "289,50"}).status_code == 302
    lead = Lead.objects.with_scopes_disabled().get(pk=offered.pk)
    assert (lead.state, lead.won_value) == (Lead.State.WON, Decimal("289.50"))


def test_the_list_page_costs_the_same_whatever_the_leads(
    world, prog, client_for, django_assert_max_num_queries
):
    with tenant_scope(world.a.tenant):
        line = ProductLineFactory(tenant=world.a.tenant)
        for state in ("accepted", "contacted", "quoted"):
            LeadFactory(tenant=world.a.tenant, state=state, partner=world.a.partner, product_lines=[line])
        for _ in range(5):
            LeadFactory(tenant=world.a.tenant, product_lines=[line])
        services.leads_route(tenant=world.a.tenant, now=timezone.now() - dt.timedelta(hours=1))
    client = client_for(world.a.tenant, world.a.admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("leads:lead-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<li class="offer">') == 5
    assert html.count("<tr>") == 1 + 3  # the header and the three leads in progress
