"""Promotions held back by the apps above tiers (tiers/hooks.py): the rule's "held" branch in the engine,
the preview and the ``regrade`` command. The duties app's own hold is tested in tests/obligations."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command

from tests.tiers.factories import TierPinFactory, add_revenue
from tests.tiers.helpers import JANUARY_2026, JULY_2026, assessment_of, evaluate, tier_of
from tiers import hooks
from tiers.models import Assessment


@pytest.fixture
def holds(monkeypatch):
    """``holds[partner_id] = why``: the partners a test hook holds back; the hook records its calls."""
    held: dict[int, str] = {}
    calls = []

    def hold(*, tenant, evaluation_date):
        calls.append((tenant.pk, evaluation_date))
        return list(held.items())

    monkeypatch.setattr(hooks, "_holds", [hold])
    return held, calls


def test_a_held_partner_keeps_its_tier_and_the_assessment_says_why(dstny, holds):
    held, _ = holds
    partner, free = dstny.partner(), dstny.partner()
    for p in (partner, free):
        add_revenue(p, "600", start=dt.date(2025, 7, 1))  # Access in January…
        add_revenue(p, "1600")  # …Business in July, unless held
    evaluate(dstny.tenant, JANUARY_2026)
    held[partner.pk] = "CHARTE — Charte partenaire, due 2026-05-01"

    result = evaluate(dstny.tenant)

    assessment = assessment_of(partner)
    assert assessment.computed_tier == dstny.tiers["business"]
    assert assessment.applied_tier == dstny.tiers["access"] == tier_of(partner)
    assert (assessment.movement, assessment.reason) == (Assessment.Movement.HELD, Assessment.Reason.HELD)
    assert assessment.note == "CHARTE — Charte partenaire, due 2026-05-01"
    assert tier_of(free) == dstny.tiers["business"]
    assert result.counts["held"] == 1 and result.counts["up"] == 1
    assert result.evaluation.held == 1


def test_a_hold_stops_only_promotions(dstny, holds):
    held, _ = holds
    down, same = dstny.partner(), dstny.partner()
    add_revenue(down, "1600", start=dt.date(2025, 7, 1))  # Business in January, nothing since
    add_revenue(same, "700", start=dt.date(2025, 7, 1), months=12)
    evaluate(dstny.tenant, JANUARY_2026)
    held.update({down.pk: "held", same.pk: "held"})

    evaluate(dstny.tenant)

    assert assessment_of(down).movement == Assessment.Movement.DOWN
    assert tier_of(down) == dstny.tiers["starter"]
    assert assessment_of(same).movement == Assessment.Movement.SAME
    assert assessment_of(same).note == ""


def test_a_pin_wins_over_a_hold(dstny, holds):
    held, _ = holds
    partner = dstny.partner()
    add_revenue(partner, "1600")
    TierPinFactory(partner=partner, tier=dstny.tiers["premium"], ends_on=JULY_2026)
    held[partner.pk] = "held"

    evaluate(dstny.tenant)

    assert assessment_of(partner).movement == Assessment.Movement.PINNED
    assert tier_of(partner) == dstny.tiers["premium"]


def test_the_hooks_are_asked_once_per_run_whatever_the_partners(dstny, holds):
    held, calls = holds
    partners = [dstny.partner() for _ in range(5)]
    for p in partners:
        add_revenue(p, "600")
    held[partners[0].pk] = "held"

    evaluate(dstny.tenant, chunk_size=2)

    assert calls == [(dstny.tenant.pk, JULY_2026)]
    assert tier_of(partners[0]) == dstny.tiers["starter"]
    assert {tier_of(p) for p in partners[1:]} == {dstny.tiers["access"]}


def test_the_dry_run_and_the_command_show_who_is_held(dstny, holds, tmp_path):
    held, _ = holds
    partner = dstny.partner(legal_name="Retenue SAS")
    add_revenue(partner, "600")
    held[partner.pk] = "CHARTE — Charte partenaire"
    report = tmp_path / "report.csv"

    out = io.StringIO()
    call_command(
        "regrade",
        "--tenant",
        "dstny",
        "--as-of",
        "2026-07-01",
        "--dry-run",
        "--report",
        str(report),
        stdout=out,
    )

    lines = out.getvalue().splitlines()
    assert "partners 1, up 0, down 0, same 0, pinned 0, seconds" in lines[1]
    assert lines[2] == "held 1"
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [(r["partner"], r["new_tier"], r["movement"]) for r in rows] == [
        ("Retenue SAS", "Starter", "held")
    ]


def test_mon_statut_says_the_duties_missing_besides_the_money(world, client_for, monkeypatch):
    from tests.tiers.factories import build_programme

    programme = build_programme(
        tenant=world.a.tenant, ambassador=world.a.partner_type, operator=world.a.operator_type
    )
    seen = []

    def gap(*, partner, tier):
        seen.append((partner.pk, tier.code))
        return ["2 formations", "1 document"]

    monkeypatch.setattr(hooks, "_gaps", [gap])
    add_revenue(world.a.partner, "100")

    response = client_for(world.a.tenant, world.a.admin).get("/status/")

    assert seen == [(world.a.partner.pk, "access")]
    assert "2 formations et 1 document" in response.content.decode()
    assert programme.tiers["access"].name in response.content.decode()
