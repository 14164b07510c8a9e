"""Factories of the Experts Zen tests, and ``build_network``: one tenant's programme with a certified
expert (the ``world`` partner), built through the models with scopes disabled (test data of two tenants)."""

import datetime as dt
from dataclasses import dataclass

import factory
from django.utils import timezone
from django_scopes import scopes_disabled

from experts.models import (
    Assignment,
    Attempt,
    CertificationTest,
    Choice,
    Expert,
    ExpertProgramme,
    ExpertSpeciality,
    ExpertZone,
    Question,
    Speciality,
    SpecialityGroup,
    certification_expiry,
)
from partnerportal.models import Partner
from tests.benefits.factories import assess
from tests.partnerportal.factories import ScopedFactory
from tests.tiers.factories import build_programme


class SpecialityFactory(ScopedFactory):
    class Meta:
        model = Speciality

    code = factory.Sequence(lambda n: f"spec-{n}")
    name = factory.Sequence(lambda n: f"Speciality {n}")
    group = SpecialityGroup.IPBX


class ExpertFactory(ScopedFactory):
    class Meta:
        model = Expert

    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    intervention_hours = 8
    tier_ok = True


def add_zone(expert: Expert, *codes: str) -> None:
    with scopes_disabled():
        ExpertZone.objects.bulk_create(
            [ExpertZone(tenant_id=expert.tenant_id, expert=expert, departement=c) for c in codes]
        )


def certify(
    expert: Expert, speciality: Speciality, *, passed_on: dt.date, months: int = 24
) -> ExpertSpeciality:
    with scopes_disabled():
        return ExpertSpeciality.objects.create(
            tenant_id=expert.tenant_id,
            expert=expert,
            speciality=speciality,
            certified_on=passed_on,
            expires_on=certification_expiry(passed_on, months),
        )


def build_test(speciality: Speciality, *, questions: int = 3, per_attempt: int = 3) -> CertificationTest:
    """A test whose question n has choices "Qn right" (correct), "Qn wrong", and for n = 1 a second right one."""
    with scopes_disabled():
        test = CertificationTest.objects.create(
            tenant_id=speciality.tenant_id,
            speciality=speciality,
            title=f"{speciality.name} test",
            pass_mark=60,
            questions_per_attempt=per_attempt,
        )
        for n in range(1, questions + 1):
            question = Question.objects.create(
                tenant_id=test.tenant_id, test=test, text=f"{speciality.name} question {n}?", position=n
            )
            rows = [(f"Q{n} right", True), (f"Q{n} wrong", False)] + (
                [("Q1 also right", True)] if n == 1 else []
            )
            Choice.objects.bulk_create(
                [Choice(tenant_id=test.tenant_id, question=question, text=t, is_correct=ok) for t, ok in rows]
            )
    return test


@dataclass
class Network:
    programme: ExpertProgramme
    tiers: dict
    speciality: Speciality
    other_speciality: Speciality
    test: CertificationTest
    expert: Expert  # the world's partner: Premium, certified on ``speciality``, zone 44 and 49, 4 hours


def build_network(setup, *, today: dt.date | None = None) -> Network:
    today = today or timezone.localdate()
    programme_tiers = build_programme(
        tenant=setup.tenant, ambassador=setup.partner_type, operator=setup.operator_type
    ).tiers
    with scopes_disabled():
        programme = ExpertProgramme.objects.create(
            tenant=setup.tenant, min_tier=programme_tiers["business"], price_grid="Trunk SIP : 180 €"
        )
    speciality = SpecialityFactory(
        tenant=setup.tenant, code="trunk-sip", name=f"{setup.tenant.name} Trunk SIP"
    )
    other = SpecialityFactory(tenant=setup.tenant, code="3cx", name=f"{setup.tenant.name} 3CX")
    assess(setup.partner, programme_tiers["premium"], dt.date(2026, 1, 1))
    expert = ExpertFactory(
        partner=setup.partner,
        intervention_hours=4,
        contact_email=f"experts@{setup.tenant.slug}.test",
        price_grid_version=1,
    )
    add_zone(expert, "44", "49")
    certify(expert, speciality, passed_on=today - dt.timedelta(days=30))
    return Network(
        programme=programme,
        tiers=programme_tiers,
        speciality=speciality,
        other_speciality=other,
        test=build_test(speciality),
        expert=expert,
    )


def make_expert(
    partner: Partner, network: Network, *, hours: int, zone: tuple[str, ...], tier: str = "business"
):
    """Another certified expert of the network's tenant."""
    assess(partner, network.tiers[tier], dt.date(2026, 1, 1))
    expert = ExpertFactory(
        partner=partner, intervention_hours=hours, contact_email=f"{partner.pk}@experts.test"
    )
    add_zone(expert, *zone)
    certify(expert, network.speciality, passed_on=timezone.localdate() - dt.timedelta(days=10))
    return expert


def make_assignment(network: Network, **values) -> Assignment:
    now = timezone.now()
    expert = network.expert
    defaults = {
        "tenant_id": expert.tenant_id,
        "expert": expert,
        "speciality": network.speciality,
        "client": "Clinique des Alizés",
        "place": "Nantes",
        "departement": "44",
        "deadline": now + dt.timedelta(days=2),
        "guaranteed_hours": expert.intervention_hours,
        "mandated_at": now,
        "respond_by": now + dt.timedelta(hours=48),
        "intervene_by": now + dt.timedelta(hours=expert.intervention_hours),
    }
    with scopes_disabled():
        return Assignment.objects.create(**{**defaults, **values})


def admin_objects(setup, tier) -> dict:
    """One object of each Experts Zen model the back-office shows, for tests/partnerportal/test_admin_isolation.py
    (``setup.partner`` is at ``tier``, the programme's minimum)."""
    name = setup.tenant.name
    with scopes_disabled():
        programme = ExpertProgramme.objects.create(tenant=setup.tenant, min_tier=tier)
    speciality = SpecialityFactory(tenant=setup.tenant, name=f"{name} speciality")
    test = build_test(speciality, questions=2)
    expert = ExpertFactory(partner=setup.partner, contact_name=f"{name} expert")
    add_zone(expert, "44")
    certify(expert, speciality, passed_on=timezone.localdate())
    with scopes_disabled():
        question = Question.objects.filter(test=test).first()
        attempt = Attempt.objects.create(
            tenant=setup.tenant,
            partner=setup.partner,
            membership=setup.admin_membership,
            test=test,
            expires_at=timezone.now() + dt.timedelta(hours=1),
        )
    network = Network(programme, {}, speciality, speciality, test, expert)
    return {
        "experts.ExpertProgramme": programme,
        "experts.Speciality": speciality,
        "experts.CertificationTest": test,
        "experts.Question": question,
        "experts.Expert": expert,
        "experts.Attempt": attempt,
        "experts.Assignment": make_assignment(network, client=f"{name} client"),
    }
