"""Who gets a lead: the partners that have the lead benefit, in the lead's zone, for its products.

The rule, deterministic given the data so that tests and managers can predict it:

1. **Eligible**: an active partner whose current tier has the tenant's lead benefit (the benefit whose
   code is ``LEAD_BENEFIT_CODE``, "leads" in the demo: Business and up; its partner types, if it names
   any), that has not stopped taking leads (``LeadCoverage.accepts_leads``), and that never had this lead.
2. **Zone**: the partner covers the lead's département (its address's, or one it declared) — or, second
   best, the lead's région (a declared région, or a covered département in that région).
3. **Product lines**: a partner that declared product lines takes only leads asking for one of them (a
   lead without products, or a partner without declared lines, matches any).
4. **Order**: département before région; then the higher score, ``tier weight × conversion``, where the
   tier weight is 1 at the benefit's tier and one more per tier above (Business 1, Premium 2), and
   conversion is Laplace's ``(won + 1) / (won + lost + 2)`` over the partner's closed leads (½ without
   history, so that a newcomer is neither first nor last); then the fewer leads held now; then the
   older partner (smaller id).

Scores are exact fractions: no float decides a tie.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q

from benefits.models import Benefit
from partnerportal.geography import BY_CODE, departement_of_postal_code, departements_of
from partnerportal.models import Partner, Tenant
from tiers.models import PartnerTier, Tier

from .models import Lead, LeadCoverage


@dataclass
class Candidate:
    partner_id: int
    tier_weight: int
    departements: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)
    product_line_ids: set[int] = field(default_factory=set)
    won: int = 0
    lost: int = 0
    held: int = 0

    @property
    def conversion(self) -> Fraction:
        return Fraction(self.won + 1, self.won + self.lost + 2)

    @property
    def score(self) -> Fraction:
        return self.tier_weight * self.conversion

    def zone_level(self, departement: str, region: str) -> int | None:
        """0: covers the département; 1: covers the région; None: neither."""
        if departement in self.departements:
            return 0
        if region in self.regions:
            return 1
        return None

    def sells(self, product_line_ids: set[int]) -> bool:
        return (
            not product_line_ids
            or not self.product_line_ids
            or bool(product_line_ids & self.product_line_ids)
        )


def lead_benefit(*, tenant: Tenant) -> Benefit | None:
    """The tenant's benefit that carries leads (``LEAD_BENEFIT_CODE``), if it has one and it is active."""
    return (
        Benefit.objects.filter(tenant=tenant, code=settings.LEAD_BENEFIT_CODE, is_active=True)
        .select_related("from_tier")
        .first()
    )


def eligible_partners(*, tenant: Tenant):
    """The partners that may be offered leads (rule 1 without "never had this lead"), with their tier id."""
    benefit = lead_benefit(tenant=tenant)
    if benefit is None:
        return Partner.objects.none(), benefit
    ranks = Tier.objects.filter(tenant=tenant, rank__gte=benefit.from_tier.rank)
    entry = Tier.objects.filter(tenant=tenant).order_by("rank").first()
    at_tier = Q(Exists(PartnerTier.objects.filter(partner=OuterRef("pk"), tier__in=ranks)))
    if entry is not None and entry.rank >= benefit.from_tier.rank:  # the benefit is the entry tier's
        at_tier |= ~Exists(PartnerTier.objects.filter(partner=OuterRef("pk")))
    partners = Partner.objects.filter(at_tier, tenant=tenant, status=Partner.Status.ACTIVE).exclude(
        Exists(LeadCoverage.objects.filter(partner=OuterRef("pk"), accepts_leads=False))
    )
    types = list(benefit.partner_types.values_list("pk", flat=True))
    if types:
        partners = partners.filter(partner_type_id__in=types)
    return partners, benefit


def candidates(*, tenant: Tenant) -> list[Candidate]:
    """Every eligible partner with what routing weighs; five queries whatever their number."""
    partners, benefit = eligible_partners(tenant=tenant)
    if benefit is None:
        return []
    rows = list(partners.values_list("pk", "postal_code", "current_tier__tier__rank"))
    if not rows:
        return []
    entry_rank = Tier.objects.filter(tenant=tenant).order_by("rank").values_list("rank", flat=True).first()
    ids = [pk for pk, _, _ in rows]
    found: dict[int, Candidate] = {}
    for pk, postal_code, rank in rows:
        rank = entry_rank if rank is None else rank
        candidate = Candidate(partner_id=pk, tier_weight=1 + max(0, rank - benefit.from_tier.rank))
        if home := departement_of_postal_code(postal_code):
            candidate.departements.add(home)
        found[pk] = candidate
    through = LeadCoverage.product_lines.through
    coverage_lines = defaultdict(set)
    for partner_id, line_id in through.objects.filter(leadcoverage__partner_id__in=ids).values_list(
        "leadcoverage__partner_id", "productline_id"
    ):
        coverage_lines[partner_id].add(line_id)
    for partner_id, departements, regions in LeadCoverage.objects.filter(partner_id__in=ids).values_list(
        "partner_id", "departements", "regions"
    ):
        candidate = found[partner_id]
        candidate.departements.update(c for c in departements or [] if c in BY_CODE)
        # A declared région is second best (rule 2), never a département of its own.
        candidate.regions.update(r for r in regions or [] if departements_of(r))
        candidate.product_line_ids = coverage_lines[partner_id]
    for candidate in found.values():
        candidate.regions |= {BY_CODE[c].region for c in candidate.departements}
    for partner_id, won, lost, held in (
        Lead.objects.filter(partner_id__in=ids)
        .values("partner_id")
        .annotate(
            won=Count("pk", filter=Q(state=Lead.State.WON)),
            lost=Count("pk", filter=Q(state=Lead.State.LOST)),
            held=Count("pk", filter=Q(state__in=Lead.OPEN_STATES)),
        )
        .values_list("partner_id", "won", "lost", "held")
    ):
        found[partner_id].won, found[partner_id].lost, found[partner_id].held = won, lost, held
    return list(found.values())


def ranked(
    candidates: list[Candidate],
    *,
    departement: str,
    region: str,
    product_line_ids: set[int],
    excluded: set[int],
) -> list[Candidate]:
    """The candidates for one lead, best first (rules 2 to 4); pure, for the tests and the pass alike."""
    keyed = []
    for candidate in candidates:
        if candidate.partner_id in excluded or not candidate.sells(product_line_ids):
            continue
        level = candidate.zone_level(departement, region)
        if level is None:
            continue
        keyed.append(((level, -candidate.score, candidate.held, candidate.partner_id), candidate))
    keyed.sort(key=lambda pair: pair[0])
    return [candidate for _, candidate in keyed]
