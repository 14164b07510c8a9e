"""The demo step (experts/demo.py) on a test tenant with Dstny's ladder: the programme, the seed's
specialities, tests in French, experts (the Premium partner first, one lapsed), assignments; idempotent."""

import datetime as dt
from collections import Counter, defaultdict

from django.utils import timezone
from django_scopes import scopes_disabled

from experts import selectors
from experts.demo import SPECIALITIES, experts_demo_load
from experts.models import Assignment, Choice, Expert, Speciality
from partnerportal.demo import TENANTS, DemoContext
from partnerportal.models import Partner
from partnerportal.tenancy import tenant_scope
from tests.benefits.factories import assess
from tests.partnerportal.factories import PartnerFactory
from tests.tiers.factories import build_programme


def test_the_demo_step_loads_the_network_once(world):
    tiers = build_programme(
        tenant=world.a.tenant, ambassador=world.a.partner_type, operator=world.a.operator_type
    ).tiers
    premium = world.a.partner
    assess(premium, tiers["premium"], dt.date(2026, 1, 1))
    for postal_code in ("13001", "63000", "54000", "14000", "34000"):
        assess(
            PartnerFactory(
                tenant=world.a.tenant,
                partner_type=world.a.partner_type,
                postal_code=postal_code,
                status="active",
            ),
            tiers["business"],
            dt.date(2026, 1, 1),
        )
    with scopes_disabled():
        partners = {
            p.external_ref: p for p in Partner.objects.filter(tenant=world.a.tenant).exclude(pk=premium.pk)
        }
    partners["DST-00003"] = premium
    tally = defaultdict(Counter)

    def load():
        context = DemoContext(
            tenant=world.a.tenant,
            spec=TENANTS[0],
            users={TENANTS[0].manager_email: world.a.manager},
            partners=partners,
            tally=tally,
        )
        with tenant_scope(world.a.tenant):
            return experts_demo_load(context)

    assert "26 specialities, 4 tests" in load()
    with tenant_scope(world.a.tenant):
        assert Speciality.objects.count() == len(SPECIALITIES) == 26
        assert Choice.objects.filter(
            question__test__speciality__code="trunk-sip", text="5060", is_correct=True
        ).exists()
        listed = list(selectors.directory_list(tenant=world.a.tenant, today=timezone.localdate()))
        assert listed[0].partner == premium  # 4 hours, the fastest
        assert Expert.objects.count() == 6 and len(listed) == 5  # one certification lapsed
        assert set(Assignment.objects.values_list("state", flat=True)) == {
            "mandated",
            "accepted",
            "refused",
            "done",
        }
    created = sum(c["created"] for c in tally.values())
    load()
    assert sum(c["created"] for c in tally.values()) == created
    assert sum(c["updated"] for c in tally.values()) == 0
