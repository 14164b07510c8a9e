"""Writes of the leads app: create, route, offer, accept, decline, progress, assign by hand.

Invariants kept here and by the database: a lead is offered to one partner at a time (one live offer per
lead, a partial unique index; the routing pass locks the leads it routes with ``select_for_update``) and
never twice to the same partner (a unique index on lead and partner). E-mails are queued after commit:
the partner of each new offer, the tenant's managers for each lead that found no partner.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerportal.geography import BY_CODE, departement_of_postal_code
from partnerportal.models import Partner, Tenant

from . import routing
from .models import Lead, LeadOffer, ProductLine
from .signals import leads_offered, leads_unrouted

ROUTE_CHUNK = 200


class LeadError(ValidationError):
    pass


@dataclass
class RouteResult:
    offered: int = 0
    reassigned: int = 0
    expired: int = 0

    def line(self) -> str:
        """The ``route_leads`` contract: this line, exactly."""
        return f"leads: offered {self.offered}, reassigned {self.reassigned}, expired {self.expired}"


def accept_delay() -> dt.timedelta:
    return dt.timedelta(hours=settings.LEAD_ACCEPT_HOURS)


def place_set(lead: Lead) -> None:
    """The département and région of the lead's postal code (``ValidationError`` when it names none)."""
    code = departement_of_postal_code(lead.postal_code)
    if code is None:
        raise ValidationError(
            {
                "postal_code": _("%(code)s is not the postal code of a French département.")
                % {"code": lead.postal_code}
            }
        )
    lead.departement, lead.region = code, BY_CODE[code].region


@transaction.atomic
def lead_save(*, lead: Lead, by=None, product_lines=None) -> Lead:
    """Create or change a lead's customer data (its state changes through the other services)."""
    place_set(lead)
    if lead.pk is None:
        lead.created_by = by
    lead.full_clean(exclude=["product_lines"])
    lead.save()
    if product_lines is not None:
        lead.product_lines.set(product_lines)
    return lead


def _queue_offer_emails(tenant_id: int, offer_ids: list[int]) -> None:
    if offer_ids:
        leads_offered.send(sender=LeadOffer, tenant_id=tenant_id, offer_ids=offer_ids)


def _queue_unrouted_emails(tenant_id: int, lead_ids: list[int]) -> None:
    if lead_ids:
        leads_unrouted.send(sender=Lead, tenant_id=tenant_id, lead_ids=lead_ids)


def _route(
    *, tenant: Tenant, leads: list[Lead], now: dt.datetime, pool
) -> tuple[list[LeadOffer], list[Lead]]:
    """Offer each of ``leads`` (locked by the caller) to its best candidate that never had it.

    Returns the new offers and the leads left without a partner (now UNROUTED). ``pool`` is the routing
    candidates, updated in place as leads are handed out, so that one pass spreads them.
    """
    had: dict[int, set[int]] = {lead.pk: set() for lead in leads}
    for lead_id, partner_id in LeadOffer.objects.filter(lead_id__in=had).values_list("lead_id", "partner_id"):
        had[lead_id].add(partner_id)
    lines: dict[int, set[int]] = {lead.pk: set() for lead in leads}
    for lead_id, line_id in Lead.product_lines.through.objects.filter(lead_id__in=had).values_list(
        "lead_id", "productline_id"
    ):
        lines[lead_id].add(line_id)
    by_id = {c.partner_id: c for c in pool}
    offers, unrouted = [], []
    expires = now + accept_delay()
    for lead in leads:
        best = routing.ranked(
            pool,
            departement=lead.departement,
            region=lead.region,
            product_line_ids=lines[lead.pk],
            excluded=had[lead.pk],
        )
        if not best:
            lead.state, lead.partner, lead.unrouted_at = Lead.State.UNROUTED, None, now
            unrouted.append(lead)
            continue
        chosen = best[0]
        by_id[chosen.partner_id].held += 1
        lead.state, lead.partner_id, lead.unrouted_at = Lead.State.OFFERED, chosen.partner_id, None
        offers.append(
            LeadOffer(
                tenant=tenant, lead=lead, partner_id=chosen.partner_id, offered_at=now, expires_at=expires
            )
        )
    LeadOffer.objects.bulk_create(offers)
    Lead.objects.bulk_update(leads, ["state", "partner", "unrouted_at"])
    return offers, unrouted


def leads_route(
    *, tenant: Tenant, now: dt.datetime | None = None, lead_ids: list[int] | None = None
) -> RouteResult:
    """The routing pass (the beat job and ``route_leads``): lapse the offers past their delay and pass
    those leads on, then offer the new leads. Each chunk is one transaction over locked leads, skipping
    rows another pass holds, so two passes at once never offer a lead twice. ``lead_ids`` narrows the pass
    (a manager's "route now")."""
    now = now or timezone.now()
    result = RouteResult()
    pool = routing.candidates(tenant=tenant)
    due = LeadOffer.objects.filter(lead=OuterRef("pk"), state=LeadOffer.State.OPEN, expires_at__lte=now)
    scope = Lead.objects.filter(tenant=tenant)
    if lead_ids is not None:
        scope = scope.filter(pk__in=lead_ids)
    lapsed_ids = list(scope.filter(Exists(due), state=Lead.State.OFFERED).values_list("pk", flat=True))
    for start in range(0, len(lapsed_ids), ROUTE_CHUNK):
        with transaction.atomic():
            leads = list(
                Lead.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(Exists(due), pk__in=lapsed_ids[start : start + ROUTE_CHUNK], state=Lead.State.OFFERED)
                .order_by("created_at", "pk")
            )
            if not leads:
                continue
            LeadOffer.objects.filter(lead__in=leads, state=LeadOffer.State.OPEN).update(
                state=LeadOffer.State.LAPSED, answered_at=now
            )
            lapsed = Counter(lead.partner_id for lead in leads)
            for candidate in pool:  # the lapsed leads no longer count as held
                candidate.held -= lapsed[candidate.partner_id]
            offers, unrouted = _route(tenant=tenant, leads=leads, now=now, pool=pool)
            result.reassigned += len(offers)
            result.expired += len(unrouted)
            _queue_offer_emails(tenant.pk, [o.pk for o in offers])
            _queue_unrouted_emails(tenant.pk, [lead.pk for lead in unrouted])
    new_ids = list(
        scope.filter(state=Lead.State.NEW).order_by("created_at", "pk").values_list("pk", flat=True)
    )
    for start in range(0, len(new_ids), ROUTE_CHUNK):
        with transaction.atomic():
            leads = list(
                Lead.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk__in=new_ids[start : start + ROUTE_CHUNK], state=Lead.State.NEW)
                .order_by("created_at", "pk")
            )
            if not leads:
                continue
            offers, unrouted = _route(tenant=tenant, leads=leads, now=now, pool=pool)
            result.offered += len(offers)
            result.expired += len(unrouted)
            _queue_offer_emails(tenant.pk, [o.pk for o in offers])
            _queue_unrouted_emails(tenant.pk, [lead.pk for lead in unrouted])
    return result


def leads_route_now(*, tenant: Tenant, lead_ids: list[int]) -> RouteResult:
    """A manager's "route now": the chosen new leads, and the unrouted ones given another chance (a
    partner may have reached the tier or declared the zone since), go through the routing pass at once.
    Leads offered or worked are left alone; their managers' "no partner" e-mail may go again."""
    Lead.objects.filter(tenant=tenant, pk__in=lead_ids, state=Lead.State.UNROUTED).update(
        state=Lead.State.NEW, unrouted_notified_at=None
    )
    return leads_route(tenant=tenant, lead_ids=list(lead_ids))


def _locked(lead: Lead) -> Lead:
    return Lead.objects.select_for_update(of=("self",)).get(pk=lead.pk)


def _live_offer(lead: Lead) -> LeadOffer | None:
    return LeadOffer.objects.filter(lead=lead, state__in=LeadOffer.LIVE_STATES).first()


@transaction.atomic
def lead_accept(*, lead: Lead, partner: Partner, now: dt.datetime | None = None) -> Lead:
    """The partner takes the lead offered to it, before its offer lapses; it then sees the contact."""
    now = now or timezone.now()
    lead = _locked(lead)
    offer = _live_offer(lead)
    if lead.state != Lead.State.OFFERED or offer is None or offer.partner_id != partner.pk:
        raise LeadError(_("This lead is no longer offered to you."))
    if offer.expires_at <= now:
        raise LeadError(_("The time to accept this lead is over: it goes to another partner."))
    # A routed offer needs the lead benefit still: a partner graded below its tier since the offer (or
    # that stopped taking leads) lets it lapse to the next. A manager's own choice stands.
    if offer.how == LeadOffer.How.ROUTED:
        eligible, _benefit = routing.eligible_partners(tenant=lead.tenant)
        if not eligible.filter(pk=partner.pk).exists():
            raise LeadError(_("Your tier no longer gives leads: this one will go to another partner."))
    offer.state, offer.answered_at = LeadOffer.State.ACCEPTED, now
    offer.save(update_fields=["state", "answered_at"])
    lead.state, lead.accepted_at = Lead.State.ACCEPTED, now
    lead.save(update_fields=["state", "accepted_at"])
    return lead


@transaction.atomic
def lead_decline(*, lead: Lead, partner: Partner, now: dt.datetime | None = None) -> Lead:
    """The partner passes on the lead offered to it: it goes to the next partner at once."""
    now = now or timezone.now()
    lead = _locked(lead)
    offer = _live_offer(lead)
    if lead.state != Lead.State.OFFERED or offer is None or offer.partner_id != partner.pk:
        raise LeadError(_("This lead is no longer offered to you."))
    offer.state, offer.answered_at = LeadOffer.State.DECLINED, now
    offer.save(update_fields=["state", "answered_at"])
    pool = routing.candidates(tenant=lead.tenant)
    for candidate in pool:
        if candidate.partner_id == partner.pk:
            candidate.held -= 1
    offers, unrouted = _route(tenant=lead.tenant, leads=[lead], now=now, pool=pool)
    _queue_offer_emails(lead.tenant_id, [o.pk for o in offers])
    _queue_unrouted_emails(lead.tenant_id, [x.pk for x in unrouted])
    return lead


# The partner's follow-up: from each state, where it may go.
PROGRESS = {
    Lead.State.ACCEPTED: (Lead.State.CONTACTED, Lead.State.QUOTED, Lead.State.WON, Lead.State.LOST),
    Lead.State.CONTACTED: (Lead.State.QUOTED, Lead.State.WON, Lead.State.LOST),
    Lead.State.QUOTED: (Lead.State.WON, Lead.State.LOST),
}


@transaction.atomic
def lead_progress(
    *,
    lead: Lead,
    partner: Partner,
    state: str,
    won_value: Decimal | None = None,
    lost_reason: str = "",
    now: dt.datetime | None = None,
) -> Lead:
    """The partner records where it is: contacted, quote sent, won (with the monthly value signed) or lost
    (with a reason). Only forward, and only by the partner holding the lead."""
    now = now or timezone.now()
    lead = _locked(lead)
    if lead.partner_id != partner.pk or lead.state not in Lead.ACCEPTED_STATES:
        raise LeadError(_("This lead is not yours to update."))
    if state not in PROGRESS.get(lead.state, ()):
        raise LeadError(
            _("A lead that is “%(current)s” cannot become “%(state)s”.")
            % {
                "current": lead.get_state_display(),
                "state": Lead.State(state).label if state in Lead.State.values else state,
            }
        )
    fields = ["state"]
    if state == Lead.State.WON:
        if won_value is None or won_value < 0:
            raise LeadError({"won_value": _("Give the monthly value signed.")})
        lead.won_value, lead.closed_at = won_value, now
        fields += ["won_value", "closed_at"]
    elif state == Lead.State.LOST:
        if not lost_reason.strip():
            raise LeadError({"lost_reason": _("Say why the lead was lost.")})
        lead.lost_reason, lead.closed_at = lost_reason.strip(), now
        fields += ["lost_reason", "closed_at"]
    elif state == Lead.State.CONTACTED:
        lead.contacted_at = now
        fields.append("contacted_at")
    elif state == Lead.State.QUOTED:
        lead.quoted_at = now
        lead.contacted_at = lead.contacted_at or now
        fields += ["quoted_at", "contacted_at"]
    lead.state = state
    lead.save(update_fields=fields)
    return lead


@transaction.atomic
def lead_assign(*, lead: Lead, partner: Partner, by, now: dt.datetime | None = None) -> LeadOffer:
    """A manager offers the lead to a partner of their choice (withdrawing the current offer, even an
    accepted one: that partner loses access). Still never to a partner that already had the lead."""
    now = now or timezone.now()
    lead = _locked(lead)
    if partner.tenant_id != lead.tenant_id:
        raise LeadError(_("This partner belongs to another programme."))
    if lead.state in Lead.CLOSED_STATES:
        raise LeadError(_("This lead is closed: it can no longer be assigned."))
    if LeadOffer.objects.filter(lead=lead, partner=partner).exists():
        raise LeadError(
            _("%(partner)s already had this lead: a lead is never offered twice to the same partner.")
            % {"partner": partner}
        )
    LeadOffer.objects.filter(lead=lead, state__in=LeadOffer.LIVE_STATES).update(
        state=LeadOffer.State.WITHDRAWN, answered_at=now
    )
    offer = LeadOffer.objects.create(
        tenant_id=lead.tenant_id,
        lead=lead,
        partner=partner,
        how=LeadOffer.How.MANUAL,
        offered_at=now,
        expires_at=now + accept_delay(),
        assigned_by=by,
    )
    lead.state, lead.partner, lead.unrouted_at = Lead.State.OFFERED, partner, None
    lead.accepted_at = lead.contacted_at = lead.quoted_at = None  # the previous partner's follow-up
    lead.save(update_fields=["state", "partner", "unrouted_at", "accepted_at", "contacted_at", "quoted_at"])
    _queue_offer_emails(lead.tenant_id, [offer.pk])
    return offer


def product_lines_by_code(*, tenant: Tenant) -> dict[str, ProductLine]:
    return {line.code: line for line in ProductLine.objects.filter(tenant=tenant)}
