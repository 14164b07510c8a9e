"""``manage.py entitlements``: the benefits section of the contract."""

import datetime as dt
import io
import json

from django.core.management import call_command

from .factories import ClaimFactory, assess

KEYS = {
    "code",
    "title",
    "category",
    "from_tier",
    "claimable",
    "value",
    "quantity",
    "period",
    "remaining",
    "valid_until",
}


def entitlements(tenant, ref, as_of):
    out = io.StringIO()
    call_command("entitlements", tenant=tenant.slug, partner=ref, as_of=as_of, stdout=out)
    return json.loads(out.getvalue())


def test_the_benefits_section_lists_what_the_partner_has_on_the_day(world, cat):
    assess(world.a.partner, cat.tiers["access"], dt.date(2026, 7, 1))
    ClaimFactory(partner=world.a.partner, benefit=cat.bizbooster, period_start=dt.date(2026, 7, 1))

    data = entitlements(world.a.tenant, world.a.partner.external_ref, "2026-08-15")

    assert data["tier"] == "access"
    assert all(set(b) == KEYS for b in data["benefits"])
    assert {b["code"]: b for b in data["benefits"]} == {
        "wiki": {
            "code": "wiki",
            "title": "Wiki",
            "category": "resources",
            "from_tier": "starter",
            "claimable": False,
            "value": None,
            "quantity": None,
            "period": None,
            "remaining": None,
            "valid_until": None,
        },
        "bizbooster-150": {
            "code": "bizbooster-150",
            "title": "BizBooster 150 €",
            "category": "marketing",
            "from_tier": "access",
            "claimable": True,
            "value": "150.00",
            "quantity": 1,
            "period": "once",
            "remaining": 0,
            "valid_until": "2026-09-30",
        },
    }


def test_replaced_benefits_are_not_listed_and_the_day_matters(world, cat):
    assess(world.a.partner, cat.tiers["access"], dt.date(2026, 1, 1))
    assess(world.a.partner, cat.tiers["premium"], dt.date(2026, 7, 1))

    january = entitlements(world.a.tenant, world.a.partner.external_ref, "2026-02-01")
    august = entitlements(world.a.tenant, world.a.partner.external_ref, "2026-08-15")

    assert [b["code"] for b in january["benefits"]] == ["wiki", "bizbooster-150"]
    assert [b["code"] for b in august["benefits"]] == ["wiki", "bizbooster-500", "training"]
    premium = august["benefits"][1]
    assert (premium["value"], premium["remaining"], premium["valid_until"]) == ("500.00", 1, "2026-09-30")
