"""Factories of the leads tests, and helpers to give a partner a tier and a place without the engine."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone
from django_scopes import scopes_disabled

from leads.models import Lead, LeadCoverage, LeadOffer, ProductLine
from partnerportal.geography import BY_CODE, departement_of_postal_code
from partnerportal.models import Partner
from tests.partnerportal.factories import PartnerFactory, ScopedFactory, TenantFactory
from tiers.models import PartnerTier, Tier


class ProductLineFactory(ScopedFactory):
    class Meta:
        model = ProductLine

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"line-{n}")
    name = factory.Sequence(lambda n: f"Line {n}")


class LeadFactory(ScopedFactory):
    class Meta:
        model = Lead

    tenant = factory.SubFactory(TenantFactory)
    customer = factory.Sequence(lambda n: f"Customer {n} SAS")
    contact_name = factory.Sequence(lambda n: f"Contact Person{n}")
    contact_email = factory.Sequence(lambda n: f"contact{n}@customer.test")
    contact_phone = "02 99 00 00 00"
    postal_code = "35000"
    city = "Rennes"
    departement = factory.LazyAttribute(lambda o: departement_of_postal_code(o.postal_code))
    region = factory.LazyAttribute(lambda o: BY_CODE[departement_of_postal_code(o.postal_code)].region)
    monthly_value = Decimal("250.00")
    source = Lead.Source.WEBSITE
    created_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def product_lines(obj, create, extracted, **kwargs):
        if create and extracted:
            with scopes_disabled():
                obj.product_lines.set(extracted)


def place(partner: Partner, *, tier: Tier | None, postal_code: str = "35000") -> Partner:
    """Set the partner's address's postal code and current tier (None: no current tier row)."""
    with scopes_disabled():
        Partner.objects.filter(pk=partner.pk).update(postal_code=postal_code)
        partner.postal_code = postal_code
        PartnerTier.objects.filter(partner=partner).delete()
        if tier is not None:
            PartnerTier.objects.create(
                partner=partner, tenant_id=partner.tenant_id, tier=tier, since=dt.date(2026, 1, 1)
            )
    return partner


def new_partner(tenant, *, tier, postal_code="35000", **kwargs) -> Partner:
    return place(PartnerFactory(tenant=tenant, **kwargs), tier=tier, postal_code=postal_code)


def cover(
    partner: Partner, *, departements=(), regions=(), product_lines=(), accepts_leads=True
) -> LeadCoverage:
    with scopes_disabled():
        coverage, _ = LeadCoverage.objects.update_or_create(
            partner=partner,
            defaults={
                "tenant_id": partner.tenant_id,
                "departements": list(departements),
                "regions": list(regions),
                "accepts_leads": accepts_leads,
            },
        )
        coverage.product_lines.set(product_lines)
    return coverage


def offers_of(lead: Lead) -> list[tuple[int, str]]:
    with scopes_disabled():
        return list(LeadOffer.objects.filter(lead=lead).order_by("pk").values_list("partner_id", "state"))
