"""Demo data of the tiers programme: tiers, thresholds, a grading policy, a revenue ledger and its history.

Two steps of ``partnerportal.demo`` (its registry), run for each demo tenant and idempotent like it:
``tiers.programme`` (programme and ledger) in a transaction, then ``tiers.evaluations`` (the history),
which commits as the engine does, chunk by chunk.

The ledger is a function of fixed calendar months, never of the day it is loaded: each partner follows a
trajectory pinned to calendar months (``TREND_START`` to ``REFERENCE``, flat after), and each month's
amounts come from a ``random.Random`` seeded with the tenant's seed, the partner's reference and the month.
Only which months exist depends on today (the 24 complete months before the current one), so loading again
the same day writes nothing, and a month later adds that month's rows without touching the others. The
history is then made by the real engine (``tiers.services.evaluation_run``), one evaluation date after the
other, which writes nothing for an evaluation already finished.

Amounts are Decimal throughout (STYLE.md, habit 7): the random draws are integers (per cent or per ten
thousand), and each amount is rounded to the cent once, when its row is built.
"""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count

from partnerportal import demo
from partnerportal.demo import DemoContext, Tally, deal, sync
from partnerportal.models import Partner, PartnerType, Tenant

from .calendar import add_months, is_evaluation_date, latest_due_date, months_between, tenant_today
from .grading import GRADED_STATUSES
from .models import Evaluation, GradingPolicy, PartnerTier, RevenueCategory, RevenueEntry, Threshold, Tier
from .services import evaluation_approve, evaluation_run

CENT = Decimal("0.01")
LEDGER_MONTHS = 24  # complete months of revenue before the current month

# Seed 002, "Les Statuts", and the tier's benefits ("Avantages & Devoirs"), shortened to one line each.
# Colours: grey, blue, purple, dark gold, each with white text readable on it (contrast ≥ 4.5).
TIERS = (
    {
        "code": "starter",
        "awards_diploma": False,
        "awards_booster_pack": False,
        "name": "Starter",
        "rank": 1,
        "colour": "#636e7b",
        "description": (
            "Pack Bienvenue, webinars et formations, équipe Accompagnement dédiée et aide sur vos 3 premiers "
            "cycles clients."
        ),
    },
    {
        "code": "access",
        "awards_diploma": False,
        "awards_booster_pack": True,
        "name": "Access",
        "rank": 2,
        "colour": "#1f62b5",
        "description": (
            "Commercial dédié, promo BizBooster de 150 € sur une commande, accès aux challenges et aux "
            "promos {vendor}."
        ),
    },
    {
        "code": "business",
        "awards_diploma": True,
        "awards_booster_pack": False,
        "name": "Business",
        "rank": 3,
        "colour": "#7a3fb0",
        "description": (
            "Leads {vendor}, invitation aux Journées Partenaires, référencement Experts Zen, diplôme et "
            "offres préférentielles Business."
        ),
    },
    {
        "code": "premium",
        "awards_diploma": True,
        "awards_booster_pack": False,
        "name": "Premium",
        "rank": 4,
        "colour": "#8a6a00",
        "description": (
            "Promo BizBooster de 500 €, formation offerte, point technique mensuel, Club Partenaires, "
            "diplôme et trophée Premium."
        ),
    },
)
# PROGRAM.md, "Tiers and thresholds" (seed 002, per month): the lower bound of each tier. The OpenIP seed
# gives no figures and Dstny's programme is OpenIP's after the rename, so both tenants use these.
THRESHOLDS = {
    "ambassadeur": {"starter": 0, "access": 500, "business": 1000, "premium": 10000},
    "operateur": {"starter": 0, "access": 1000, "business": 2000, "premium": 20000},
}

# Trajectories run from TREND_START to REFERENCE, the demo's last complete month (November 2026 is its
# "today", see partnerportal.demo), and stay flat after it: loaded later, the demo still shows the
# same tiers and gaps, and the months added then look like the ones before.
TREND_START = dt.date(2024, 11, 1)
REFERENCE = dt.date(2026, 10, 1)
RAMP_MONTHS = 6  # a new partner builds its revenue up over its first months


@dataclass(frozen=True)
class Trajectory:
    """A partner's monthly recurring revenue at fixed calendar months, linear in between, flat outside."""

    anchors: tuple[tuple[dt.date, Decimal], ...]
    noise: int  # the month-to-month variation, ± per ten thousand

    def level(self, month: dt.date) -> Decimal:
        if month <= self.anchors[0][0]:
            return self.anchors[0][1]
        for (start, a), (end, b) in zip(self.anchors, self.anchors[1:], strict=False):
            if month <= end:
                return a + (b - a) * months_between(start, month) / months_between(start, end)
        return self.anchors[-1][1]


def _t(*anchors: tuple[str, int], noise: int = 300) -> Trajectory:
    return Trajectory(tuple((dt.date.fromisoformat(f"{m}-01"), Decimal(v)) for m, v in anchors), noise)


# The demo accounts' companies, by reference, so that their pages tell a story (windows: January–June for
# a 1 July evaluation, July–December for a 1 January one).
SHOWCASE = {
    # partner@dstny.demo, Ambassadeur: Starter at 2025-07-01, up to Access at 2026-01-01 and kept at
    # 2026-07-01; about 570 € a month since, so "Mon statut" shows some 430 € to go for Business.
    "DST-00001": _t(("2024-11", 385), ("2025-10", 568)),
    # operator@dstny.demo, Opérateur E-shop: Business at every evaluation, but it lost a large client at the
    # turn of 2026 and fell below the 2 000 € threshold: Dstny's grace period kept it at Business on
    # 2026-07-01, at risk, and it is climbing back (some 1 950 € a month by the autumn).
    "DST-00002": _t(
        ("2024-11", 2650),
        ("2025-05", 2500),
        ("2025-12", 2400),
        ("2026-02", 1600),
        ("2026-06", 1750),
        ("2026-10", 1950),
    ),
    # premium@dstny.demo, Ambassadeur: Premium at every evaluation, well above the 10 000 € threshold.
    "DST-00003": _t(("2024-11", 14200), ("2025-09", 15800), ("2026-10", 17400), noise=600),
    # partner@openip.demo, Ambassadeur: Business at 2025-07-01, Premium since 2026-01-01.
    "OIP-00001": _t(("2024-11", 7800), ("2026-04", 12500), ("2026-10", 13200)),
}

# The current tier of the other partners (at REFERENCE), in shares of those graded: most Starter or
# Access, a good share Business, a few Premium. Suspended partners are declining Starters.
TIER_SHARES = {"starter": 30, "access": 30, "business": 30, "premium": 10}
# Where in its tier a partner's revenue lies: (tier, low, high) is between low ‰ and high ‰ of that tier's
# threshold for the partner's type (a Starter earns 20 % to 95 % of what Access asks).
BANDS = {
    "starter": (("access", 200, 950),),
    "access": (("access", 1030, 1970),),
    "business": (("business", 1050, 2000), ("business", 2000, 4000), ("business", 4000, 9000)),
    "premium": (("premium", 1030, 1800),),
}
BUSINESS_BAND_WEIGHTS = (45, 35, 20)  # small Business partners are the many
KINDS = (("steady", 40), ("growing", 30), ("declining", 20), ("dip", 10))


def _random_trajectory(rng: random.Random, tier: str, type_code: str, suspended: bool) -> Trajectory:
    bands = BANDS[tier]
    bound, low, high = bands[0] if len(bands) == 1 else rng.choices(bands, weights=BUSINESS_BAND_WEIGHTS)[0]
    end = Decimal(THRESHOLDS[type_code][bound] * rng.randint(low, high)) / 1000
    kind = "declining" if suspended else rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
    per_cent = {
        "steady": rng.randint(85, 115),
        "growing": rng.randint(38, 67),  # ×1.5 to ×2.6 over the two years
        "declining": rng.randint(150, 240),
        "dip": rng.randint(90, 110),
    }[kind]
    anchors = [(TREND_START, end * per_cent / 100)]
    if kind == "dip":  # a bad patch around the autumn of 2025, then back
        anchors.append((add_months(dt.date(2025, 9, 1), rng.randint(-2, 2)), end * rng.randint(45, 65) / 100))
    anchors.append((REFERENCE, end))
    return Trajectory(tuple(anchors), noise=800)


def _trajectories(seed: int, partners: list[dict]) -> dict[str, Trajectory]:
    """A trajectory per partner, by reference; the same on every run (seeded, in reference order)."""
    partners = sorted(partners, key=lambda p: p["external_ref"])
    dealt = [
        p for p in partners if p["external_ref"] not in SHOWCASE and p["status"] == Partner.Status.ACTIVE
    ]
    counts = {tier: len(dealt) * share // 100 for tier, share in TIER_SHARES.items()}
    counts["starter"] += len(dealt) - sum(counts.values())
    tiers = dict(
        zip(
            (p["external_ref"] for p in dealt),
            deal(random.Random(f"{seed}:tiers"), counts, len(dealt)),
            strict=True,
        )
    )
    trajectories = {}
    for p in partners:
        ref = p["external_ref"]
        if ref in SHOWCASE:
            trajectories[ref] = SHOWCASE[ref]
        else:
            rng = random.Random(f"{seed}:{ref}")
            suspended = p["status"] == Partner.Status.SUSPENDED
            tier = "starter" if suspended else tiers[ref]
            trajectories[ref] = _random_trajectory(rng, tier, p["partner_type__code"], suspended)
    return trajectories


def _month_rows(seed: int, partner: dict, trajectory: Trajectory, month: dt.date) -> dict[str, Decimal]:
    """One partner's revenue for one month, by category; a function of the month alone."""
    rng = random.Random(f"{seed}:{partner['external_ref']}:{month:%Y-%m}")
    ramp = min(Decimal(1), Decimal(months_between(partner["date_joined"], month) + 1) / RAMP_MONTHS)
    noise = Decimal(10000 + rng.randint(-trajectory.noise, trajectory.noise)) / 10000
    recurring = trajectory.level(month) * ramp * noise
    # Not qualifying (seed: "hors frais d'accès aux services et minutes"), but billed all the same.
    access_fees = recurring * rng.randint(4, 18) / 100
    usage = recurring * rng.randint(8, 30) / 100
    orders_taken, orders = rng.randrange(100) < 40, recurring * rng.randint(40, 250) / 100
    amounts = {
        RevenueCategory.RECURRING: recurring,
        RevenueCategory.ACCESS_FEES: access_fees,
        RevenueCategory.USAGE: usage,
    }
    if orders_taken:
        amounts[RevenueCategory.ORDERS] = orders
    return {category: amount.quantize(CENT, ROUND_HALF_UP) for category, amount in amounts.items()}


# Dstny keeps a partner that falls below its tier for one more evaluation (flagged at risk); OpenIP signs
# its evaluations off (review mode): its history is applied as it was, and the next evaluation, or one its
# manager runs from the back-office, waits there as a proposal. (Leaving the latest due one unapproved
# would let OpenIP's diplomas, valid until the next evaluation, lapse.)
REVIEW_SETTINGS = {
    "dstny": {"evaluation_review": False, "grace_evaluations": 1},
    "openip": {"evaluation_review": True, "grace_evaluations": 0},
}


def _sync_programme(tenant: Tenant, tally: Tally) -> None:
    tiers = sync(
        Tier.objects.filter(tenant=tenant),
        key=("code",),
        rows=[
            {**row, "tenant": tenant, "description": row["description"].format(vendor=tenant.name)}
            for row in TIERS
        ],
        tally=tally,
    )
    types = {t.code: t for t in PartnerType.objects.filter(tenant=tenant, code__in=THRESHOLDS)}
    sync(
        Threshold.objects.filter(tenant=tenant),
        key=("tier", "partner_type"),
        rows=[
            {
                "tenant": tenant,
                "tier": tiers[tier],
                "partner_type": types[type_code],
                "minimum_monthly": Decimal(minimum).quantize(CENT),
            }
            for type_code, minimums in THRESHOLDS.items()
            for tier, minimum in minimums.items()
        ],
        tally=tally,
    )
    sync(
        GradingPolicy.objects.filter(tenant=tenant),
        key=("tenant",),
        rows=[
            {
                "tenant": tenant,
                "qualifying_categories": ["recurring"],
                "max_demotion_steps": None,
                **REVIEW_SETTINGS.get(tenant.slug, {"evaluation_review": False, "grace_evaluations": 0}),
            }
        ],
        tally=tally,
    )


def _sync_ledger(tenant: Tenant, seed: int, first: dt.date, last: dt.date, tally: Tally) -> int:
    """Add the missing ledger rows of [first, last]; existing rows are left alone. Returns the row count."""
    partners = list(
        Partner.objects.filter(tenant=tenant, status__in=GRADED_STATUSES).values(
            "pk", "external_ref", "status", "date_joined", "partner_type__code"
        )
    )
    trajectories = _trajectories(seed, partners)
    existing = set(
        RevenueEntry.objects.filter(tenant=tenant, month__gte=first, month__lte=last).values_list(
            "partner_id", "month", "category"
        )
    )
    wanted, missing = 0, []
    for partner in partners:
        joined = partner["date_joined"].replace(day=1)
        for index in range(months_between(first, last) + 1):
            month = add_months(first, index)
            if month < joined:
                continue
            for category, amount in _month_rows(
                seed, partner, trajectories[partner["external_ref"]], month
            ).items():
                wanted += 1
                if (partner["pk"], month, category) not in existing:
                    missing.append(
                        RevenueEntry(
                            tenant=tenant,
                            partner_id=partner["pk"],
                            month=month,
                            category=category,
                            amount=amount,
                        )
                    )
    RevenueEntry.objects.bulk_create(missing, batch_size=2000)
    tally["revenueentry"]["created"] += len(missing)
    tally["revenueentry"]["unchanged"] += wanted - len(missing)
    return wanted


def _evaluation_dates(tenant: Tenant, ledger_start: dt.date) -> list[dt.date]:
    """The evaluation dates whose whole window the ledger covers, up to the latest due one."""
    due, day, dates = latest_due_date(tenant), add_months(ledger_start, tenant.evaluation_period_months), []
    while day <= due:
        if is_evaluation_date(tenant, day):
            dates.append(day)
        day = add_months(day, 1)
    return dates


@dataclass(frozen=True)
class DemoLedger:
    first: dt.date  # the first and last month of the ledger as of this run
    last: dt.date
    rows: int


@demo.register("tiers.programme")
def tiers_demo_load(context: DemoContext) -> str:
    """Bring the tenant's tiers, thresholds, grading policy and revenue ledger up to date; no history."""
    tenant, tally = context.tenant, context.tally
    _sync_programme(tenant, tally)
    current = tenant_today(tenant).replace(day=1)
    first, last = add_months(current, -LEDGER_MONTHS), add_months(current, -1)
    ledger = DemoLedger(first, last, _sync_ledger(tenant, context.spec.seed, first, last, tally))
    context.state["tiers.ledger"] = ledger
    return (
        f"tiers: {len(TIERS)} tiers, {sum(map(len, THRESHOLDS.values()))} thresholds, "
        f"{ledger.rows} revenue rows {ledger.first:%Y-%m}..{ledger.last:%Y-%m}"
    )


@demo.register("tiers.evaluations", after=("tiers.programme",), atomic=False)
def tiers_demo_evaluate(context: DemoContext) -> str:
    """Apply, in order, each evaluation the ledger covers with the real engine.

    Not in a transaction: the engine commits chunk by chunk (so that a run that dies is finished by the
    next one) and e-mails the partners whose tier changed after each commit. Evaluations already finished
    are left alone (``evaluation_run`` would write nothing for them anyway), and a date before the latest
    finished evaluation is never applied late: that would take the partners' current tiers back in time.
    In review mode the past evaluations are history, applied as they were (a proposal found, from a
    manager's run, is approved).
    """
    tenant, tally, ledger = context.tenant, context.tally, context.state["tiers.ledger"]
    dates = _evaluation_dates(tenant, ledger.first)
    existing = {
        day: (status, partners)
        for day, status, partners in Evaluation.objects.filter(tenant=tenant).values_list(
            "evaluation_date", "status", "partners"
        )
    }
    finished = [day for day, (status, _) in existing.items() if status == Evaluation.Status.FINISHED]
    latest_finished, applied = max(finished, default=None), 0
    for day in dates:
        status, partners = existing.get(day, (None, 0))
        if status == Evaluation.Status.FINISHED:
            tally["evaluation"]["unchanged"] += 1
            tally["assessment"]["unchanged"] += partners
            continue
        if latest_finished is not None and day < latest_finished:
            continue
        if status == Evaluation.Status.PROPOSED:
            evaluation_approve(evaluation=Evaluation.objects.get(tenant=tenant, evaluation_date=day), by=None)
            applied += 1
            tally["evaluation"]["updated"] += 1
            continue
        result = evaluation_run(tenant=tenant, evaluation_date=day, review=False)
        applied += 1
        tally["evaluation"]["updated" if status else "created"] += 1
        tally["assessment"]["created"] += result.partners - partners  # those of a failed run stay
    spread = dict(
        PartnerTier.objects.filter(tenant=tenant)
        .values("tier__name")
        .annotate(n=Count("pk"))
        .values_list("tier__name", "n")
    )
    tiers_now = ", ".join(f"{row['name']} {spread.get(row['name'], 0)}" for row in TIERS)
    return (
        f"evaluations {', '.join(map(str, dates)) or '(none due yet)'} (applied {applied}); "
        f"tiers now: {tiers_now}"
    )
