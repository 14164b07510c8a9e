"""Reads of the leads app: a partner's leads (through the partner, 404 for anyone else's) and conversion."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from partnerportal.models import Partner, Tenant

from .models import Lead, LeadOffer

# What the partner holding a lead sees of it: everything but the lead's contact until it has accepted.
PARTNER_VISIBLE_STATES = (*Lead.OPEN_STATES, *Lead.CLOSED_STATES)


def lead_list_for(*, partner: Partner) -> QuerySet[Lead]:
    """The leads the partner holds now (offered, being worked, closed); a reassigned lead is gone."""
    answer_by = LeadOffer.objects.filter(lead=OuterRef("pk"), partner=partner, state=LeadOffer.State.OPEN)
    return (
        Lead.objects.filter(partner=partner, state__in=PARTNER_VISIBLE_STATES)
        .annotate(answer_by=Subquery(answer_by.values("expires_at")[:1]))
        .prefetch_related("product_lines")
        .order_by("-created_at", "-pk")
    )


def open_offer_for(*, lead: Lead, partner: Partner) -> LeadOffer | None:
    return LeadOffer.objects.filter(lead=lead, partner=partner, state=LeadOffer.State.OPEN).first()


@dataclass
class Conversion:
    """Leads received, accepted, won and lost, and the value signed: per partner, per tier, or one's own."""

    label: str
    tier: str = ""
    received: int = 0
    accepted: int = 0
    won: int = 0
    lost: int = 0
    open: int = 0
    won_value: Decimal = Decimal("0")

    @property
    def rate(self) -> Decimal | None:
        """Won among the closed leads, in percent rounded to one place; None before any closed."""
        closed = self.won + self.lost
        if not closed:
            return None
        return (Decimal(self.won * 100) / closed).quantize(Decimal("0.1"))


def _conversion_rows(offers: QuerySet[LeadOffer], *group: str):
    # Counted on the offers, so that a partner that let a lead lapse has still received it; the lead's
    # outcome counts for the partner whose offer was accepted.
    accepted = Q(state=LeadOffer.State.ACCEPTED)
    return (
        offers.values(*group)
        .annotate(
            received=Count("pk"),
            accepted=Count("pk", filter=accepted),
            won=Count("pk", filter=accepted & Q(lead__state=Lead.State.WON)),
            lost=Count("pk", filter=accepted & Q(lead__state=Lead.State.LOST)),
            open=Count(
                "pk", filter=Q(state=LeadOffer.State.OPEN) | (accepted & Q(lead__state__in=Lead.OPEN_STATES))
            ),
            won_value=Coalesce(
                Sum("lead__won_value", filter=accepted & Q(lead__state=Lead.State.WON)),
                Value(Decimal("0")),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
        )
        .order_by(*group)
    )


def conversion_for(*, partner: Partner) -> Conversion:
    row = next(iter(_conversion_rows(LeadOffer.objects.filter(partner=partner), "partner_id")), None)
    conversion = Conversion(label=str(partner))
    if row:
        for key in ("received", "accepted", "won", "lost", "open", "won_value"):
            setattr(conversion, key, row[key])
    return conversion


def conversion_by_partner(*, tenant: Tenant) -> list[Conversion]:
    """Every partner that received a lead, best conversion first; two queries."""
    rows = _conversion_rows(
        LeadOffer.objects.filter(tenant=tenant),
        "partner_id",
        "partner__legal_name",
        "partner__current_tier__tier__name",
    )
    result = []
    for row in rows:
        conversion = Conversion(label=row["partner__legal_name"])
        conversion.tier = row["partner__current_tier__tier__name"] or ""
        for key in ("received", "accepted", "won", "lost", "open", "won_value"):
            setattr(conversion, key, row[key])
        result.append(conversion)
    result.sort(key=lambda c: (-(c.rate or Decimal(-1)), -c.won_value, c.label))
    return result


def conversion_by_tier(*, tenant: Tenant) -> list[Conversion]:
    """Per current tier of the partners (partners without one under "—"), the tiers in rank order."""
    rows = _conversion_rows(
        LeadOffer.objects.filter(tenant=tenant),
        "partner__current_tier__tier__rank",
        "partner__current_tier__tier__name",
    )
    result = []
    for row in rows:
        conversion = Conversion(label=row["partner__current_tier__tier__name"] or "—")
        for key in ("received", "accepted", "won", "lost", "open", "won_value"):
            setattr(conversion, key, row[key])
        result.append(conversion)
    return result
