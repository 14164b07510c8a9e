"""The demo step on the test world (the full demo is too slow here): leads in every state, the showcase
partner holding one in each state a partner sees, and a second run writing nothing."""

from collections import Counter, defaultdict
from types import SimpleNamespace

from leads.demo import SHOWCASE_REF, leads_demo_load
from leads.models import Lead
from partnerportal.demo import DemoContext
from partnerportal.tenancy import tenant_scope


def test_the_demo_step(world, prog):
    tenant = world.a.tenant
    with tenant_scope(tenant):
        partners = {SHOWCASE_REF["dstny"]: world.a.partner, "other": world.a.other_partner}

        def run():
            tally = defaultdict(Counter)
            context = DemoContext(
                tenant=tenant, spec=SimpleNamespace(slug="dstny"), users={}, partners=partners, tally=tally
            )
            leads_demo_load(context)
            return tally

        run()
        states = Counter(Lead.objects.values_list("state", flat=True))
        assert set(states) == set(Lead.State.values)
        held = set(Lead.objects.filter(partner=world.a.partner).values_list("state", flat=True))
        assert held == set(Lead.State.values) - {"new", "unrouted"}
        again = run()
        assert all(counts["created"] == counts["updated"] == 0 for counts in again.values())
