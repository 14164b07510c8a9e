"""The bench's duties (tiers.hooks.register_bench_data): set-based SQL on a small tenant."""

import datetime as dt

from django_scopes import scopes_disabled

from obligations.bench import bench_duties
from obligations.models import DutyFulfilment
from obligations.selectors import promotion_holds
from partnerportal.tenancy import tenant_scope


def test_bench_duties_on_a_small_tenant(dstny):
    partners = [dstny.partner() for _ in range(25)]
    with tenant_scope(dstny.tenant):
        line = bench_duties(tenant=dstny.tenant, evaluation_date=dt.date(2026, 7, 1))
        held = promotion_holds(tenant=dstny.tenant, evaluation_date=dt.date(2026, 7, 1))
    overdue = sum(1 for p in partners if p.pk % 10 == 0)
    assert line == f"duties: 3 in the catalogue, 75 fulfilments, {overdue} overdue and blocking"
    assert sorted(pk for pk, _ in held) == sorted(p.pk for p in partners if p.pk % 10 == 0)
    with scopes_disabled():
        assert DutyFulfilment.objects.filter(tenant=dstny.tenant).count() == 75
