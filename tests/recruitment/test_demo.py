"""The demo step (recruitment/demo.py), run on a test tenant's applicants: criteria, applications, idempotent."""

from collections import Counter, defaultdict

from django_scopes import scopes_disabled

from partnerportal.demo import TENANTS, DemoContext
from partnerportal.models import Partner
from partnerportal.tenancy import tenant_scope
from recruitment.demo import recruitment_demo_load
from recruitment.models import Application, CriterionCheck, MembershipCriterion
from tests.partnerportal.factories import PartnerFactory


def test_the_demo_step_loads_criteria_and_applications_once(world):
    for n in range(3):
        PartnerFactory(
            tenant=world.a.tenant,
            partner_type=world.a.partner_type,
            status=Partner.Status.APPLICANT,
            email=f"contact@candidat-{n}.demo",
            phone="02 61 91 00 00",
        )
    with scopes_disabled():
        partners = {p.external_ref: p for p in Partner.objects.filter(tenant=world.a.tenant)}
    tally = defaultdict(Counter)

    def load():
        context = DemoContext(
            tenant=world.a.tenant, spec=TENANTS[0], users={}, partners=partners, tally=tally
        )
        with tenant_scope(world.a.tenant):
            return recruitment_demo_load(context)

    assert load() == "recruitment: 4 membership criteria, 3 applications to vet"
    with scopes_disabled():
        assert list(
            MembershipCriterion.objects.filter(tenant=world.a.tenant).values_list("title", flat=True)
        ) == [
            "Engagement sur un chiffre",
            "Contribution sur le marché",
            "Compétences sur le produit / la solution",
            "Satisfaction client",
        ]
        assert Application.objects.filter(tenant=world.a.tenant, state="pending").count() == 3
        assert CriterionCheck.objects.filter(tenant=world.a.tenant).count() == 2
    created = sum(c["created"] for c in tally.values())
    load()
    assert sum(c["created"] for c in tally.values()) == created
    assert sum(c["updated"] for c in tally.values()) == 0
