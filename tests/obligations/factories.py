"""Factories of the duties app (created with scopes disabled, like the core factories)."""

import datetime as dt

import factory
from django_scopes import scopes_disabled

from obligations.models import ONCE_PERIOD, Category, Duty, DutyFulfilment, EvidenceKind
from tests.partnerportal.factories import PartnerFactory, ScopedFactory, TenantFactory


class DutyFactory(ScopedFactory):
    class Meta:
        model = Duty

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"duty-{n}")
    title = factory.Sequence(lambda n: f"Duty {n}")
    category = Category.DOCUMENT
    evidence = EvidenceKind.DOCUMENT
    due_days = 30

    @factory.post_generation
    def tiers(obj, create, extracted, **kwargs):
        if create and extracted:
            with scopes_disabled():
                obj.tiers.set(extracted)

    @factory.post_generation
    def partner_types(obj, create, extracted, **kwargs):
        if create and extracted:
            with scopes_disabled():
                obj.partner_types.set(extracted)

    @factory.post_generation
    def operator_plans(obj, create, extracted, **kwargs):
        if create and extracted:
            with scopes_disabled():
                obj.operator_plans.set(extracted)


class TrainingDutyFactory(DutyFactory):
    category = Category.TRAINING
    evidence = EvidenceKind.TRAINING
    format = "webinar"


class DutyFulfilmentFactory(ScopedFactory):
    class Meta:
        model = DutyFulfilment

    partner = factory.SubFactory(PartnerFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    duty = factory.SubFactory(DutyFactory, tenant=factory.SelfAttribute("..tenant"))
    period = ONCE_PERIOD
    due_date = dt.date(2026, 6, 30)
