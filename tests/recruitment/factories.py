"""Factories of the recruitment app (created with scopes disabled, like the core factories)."""

import factory

from partnerportal.models import Partner
from recruitment.models import Application, MembershipCriterion
from tests.partnerportal.factories import PartnerFactory, ScopedFactory, TenantFactory


class MembershipCriterionFactory(ScopedFactory):
    class Meta:
        model = MembershipCriterion

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"criterion-{n}")
    title = factory.Sequence(lambda n: f"Criterion {n}")
    position = factory.Sequence(lambda n: n)


class ApplicationFactory(ScopedFactory):
    """An application with its applicant partner (``partner__tenant``, ``partner__partner_type``…)."""

    class Meta:
        model = Application

    partner = factory.SubFactory(PartnerFactory, status=Partner.Status.APPLICANT)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    contact_first_name = "Claire"
    contact_last_name = "Lemoine"
    contact_email = factory.Sequence(lambda n: f"claire{n}@applicant.test")
    contact_phone = "02 61 91 00 00"
    products = "Téléphonie IP"
