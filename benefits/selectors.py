"""Reads of the benefits app: the catalogue a partner sees, what it has on a day, its claims.

Every function takes the partner (so the tenant) and reads through it; the rules are in ``rules.py``.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.urls import NoReverseMatch, reverse

from partnerportal.entitlements import money
from partnerportal.models import Partner
from tiers.models import Assessment, Tier

from . import rules
from .models import Benefit, Claim

# Benefits the portal itself provides, and the page that provides each: a page that does not exist yet
# (its app is not built or not installed) shows as "coming".
PORTAL_PAGES = {
    Benefit.PortalPage.TIER_HISTORY: "tiers:status",
    Benefit.PortalPage.WELCOME_PACK: "welcome:pack",
    Benefit.PortalPage.DIPLOMA: "diplomas:diploma",
    Benefit.PortalPage.KPIS: "kpis:dashboard",
}


def portal_link(page: str) -> str | None:
    """The URL of a portal page benefit, or None while that page does not exist."""
    try:
        return reverse(PORTAL_PAGES[page])
    except (KeyError, NoReverseMatch):
        return None


def benefit_list_for(*, partner: Partner) -> QuerySet[Benefit]:
    """The active catalogue for the partner's type, every tier (the comparison reads all of it)."""
    through = Benefit.partner_types.through
    return (
        Benefit.objects.filter(tenant_id=partner.tenant_id, is_active=True)
        .filter(
            ~Exists(through.objects.filter(benefit_id=OuterRef("pk")))
            | Exists(
                through.objects.filter(benefit_id=OuterRef("pk"), partnertype_id=partner.partner_type_id)
            )
        )
        .select_related("from_tier")
        .order_by("from_tier__rank", "position", "title")
    )


def claim_list(*, partner: Partner) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(partner=partner).select_related("benefit", "claimed_by").order_by("-created_at")
    )


@dataclass
class Standing:
    """The partner's tiers on a day: the ladder, the tier it is at, and its assessment history."""

    tiers: list[Tier]
    tier: Tier | None
    history: list[tuple[dt.date, int]]  # (evaluation date, applied tier's rank), newest first
    joined: dt.date

    def reached_on(self, tier: Tier) -> dt.date | None:
        return rules.reached_on(
            history=self.history, rank=tier.rank, entry_rank=self.tiers[0].rank, joined=self.joined
        )

    @property
    def next_tier(self) -> Tier | None:
        return next((t for t in self.tiers if self.tier and t.rank > self.tier.rank), None)


def standing_on(*, partner: Partner, day: dt.date) -> Standing:
    """Two queries: the tenant's tiers, and the partner's assessments up to ``day``."""
    tiers = list(Tier.objects.filter(tenant_id=partner.tenant_id).order_by("rank"))
    rank_of = {t.pk: t.rank for t in tiers}
    history = [
        (evaluation_date, rank_of[tier_id])
        for evaluation_date, tier_id in Assessment.objects.filter(partner=partner, evaluation_date__lte=day)
        .order_by("-evaluation_date")
        .values_list("evaluation_date", "applied_tier_id")
        if tier_id in rank_of
    ]
    if not tiers:
        return Standing(tiers=[], tier=None, history=[], joined=partner.date_joined)
    by_rank = {t.rank: t for t in tiers}
    # No assessment yet: the entry tier, the rule of tiers.selectors.tier_on, applied to the rows read
    # above (calling it would cost the page one or two more queries).
    tier = by_rank[history[0][1]] if history else tiers[0]
    return Standing(tiers=tiers, tier=tier, history=history, joined=partner.date_joined)


@dataclass
class Entitlement:
    """A benefit the partner has on ``day``; for claimables, how much is left and until when."""

    benefit: Benefit
    day: dt.date
    reached_on: dt.date | None = None
    valid_until: dt.date | None = None
    period_start: dt.date | None = None
    used: int = 0
    link: str | None = field(default=None)

    @property
    def claimable(self) -> bool:
        return self.benefit.is_claimable

    @property
    def expired(self) -> bool:
        return self.valid_until is not None and self.day > self.valid_until

    @property
    def remaining(self) -> int | None:
        if not self.claimable:
            return None
        return 0 if self.expired else max(0, self.benefit.quantity - self.used)

    @property
    def can_claim(self) -> bool:
        return self.claimable and bool(self.remaining)

    @property
    def coming(self) -> bool:
        return bool(self.benefit.portal_page) and self.link is None


@dataclass
class Overview:
    standing: Standing
    catalogue: list[Benefit]  # the partner type's catalogue, every tier
    entitlements: list[Entitlement]  # what the partner has on the day

    @property
    def perks(self) -> list[Entitlement]:
        return [e for e in self.entitlements if not e.claimable]

    @property
    def claimables(self) -> list[Entitlement]:
        return [e for e in self.entitlements if e.claimable]

    def comparison(self) -> list[tuple[Benefit, list[rules.Cell]]]:
        return rules.comparison_cells(self.catalogue, self.standing.tiers)


def entitlement_overview(*, partner: Partner, day: dt.date) -> Overview:
    """What ``partner`` has on ``day`` (tier, cumulative benefits without the replaced ones, claims used).

    Four queries whatever the catalogue's size: tiers, assessments, the catalogue, the claims counted.
    Claims are counted as they stand now (a refused or cancelled claim gives its seat back).
    """
    standing = standing_on(partner=partner, day=day)
    catalogue = list(benefit_list_for(partner=partner)) if standing.tier else []
    has = (
        rules.not_replaced(b for b in catalogue if b.from_tier.rank <= standing.tier.rank)
        if catalogue
        else []
    )
    entitlements = []
    for benefit in has:
        entitlement = Entitlement(benefit=benefit, day=day)
        if benefit.portal_page:
            entitlement.link = portal_link(benefit.portal_page)
        if benefit.is_claimable:
            entitlement.reached_on = standing.reached_on(benefit.from_tier)
            entitlement.valid_until = rules.valid_until(entitlement.reached_on, benefit.validity_months)
            entitlement.period_start = rules.period_start(benefit.period, day, entitlement.reached_on)
        entitlements.append(entitlement)
    claimables = [e for e in entitlements if e.claimable]
    if claimables:
        used = {
            (benefit_id, period_start): n
            for benefit_id, period_start, n in Claim.objects.counting()
            .filter(partner=partner, benefit_id__in=[e.benefit.pk for e in claimables])
            .filter(period_start__in={e.period_start for e in claimables})
            .values("benefit_id", "period_start")
            .annotate(n=Count("pk"))
            .values_list("benefit_id", "period_start", "n")
        }
        for entitlement in claimables:
            entitlement.used = used.get((entitlement.benefit.pk, entitlement.period_start), 0)
    return Overview(standing=standing, catalogue=catalogue, entitlements=entitlements)


def entitlements_benefits(*, partner: Partner, as_of: dt.date) -> list[dict]:
    """The ``benefits`` section of ``manage.py entitlements`` (a contract: keys and formats fixed)."""
    return [
        {
            "code": e.benefit.code,
            "title": e.benefit.title,
            "category": e.benefit.category,
            "from_tier": e.benefit.from_tier.code,
            "claimable": e.claimable,
            "value": money(e.benefit.value),
            "quantity": e.benefit.quantity if e.claimable else None,
            "period": e.benefit.period if e.claimable else None,
            "remaining": e.remaining,
            "valid_until": e.valid_until.isoformat() if e.valid_until else None,
        }
        for e in entitlement_overview(partner=partner, day=as_of).entitlements
    ]
