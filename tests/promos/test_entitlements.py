"""``manage.py entitlements``: the promotions section (the codes of those the partner may use that day)."""

import io
import json

from django.core.management import call_command

from .factories import PRICED_ON, quarter_revenue


def entitlements(tenant, ref, as_of):
    out = io.StringIO()
    call_command("entitlements", tenant=tenant.slug, partner=ref, as_of=as_of, stdout=out)
    return json.loads(out.getvalue())


def test_the_promotions_section_follows_the_tier_and_the_quarter(seed):
    short, enough = (seed.partner("ambassador", tier="business") for _ in range(2))
    quarter_revenue(short, "599.99")
    quarter_revenue(enough, "600.00")

    below = entitlements(seed.tenant, short.external_ref, PRICED_ON.isoformat())
    reached = entitlements(seed.tenant, enough.external_ref, PRICED_ON.isoformat())

    starter = ["sip-touch-1999", "data-voip-10", "vm-voip-30"]
    assert [p["code"] for p in below["promotions"]] == starter
    assert [p["code"] for p in reached["promotions"]] == [*starter, "porta-business-amb"]
    assert set(reached["promotions"][0]) == {"code", "title"}


def test_an_operator_sees_only_its_types_promotions(seed):
    partner = seed.partner("operator", tier="starter")

    data = entitlements(seed.tenant, partner.external_ref, PRICED_ON.isoformat())

    assert [p["code"] for p in data["promotions"]] == ["data-voip-10", "vm-voip-30"]
