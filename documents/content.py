"""What goes into each document: the context its template renders, read from the apps below.

The documents app is the top layer: it reads the tiers, benefits, duties and promotions of a partner,
each through that app's selectors and only when the app is installed, so that removing an app removes its
section from the packs and nothing else.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import segno
from django.apps import apps
from django.urls import reverse
from django.utils import translation
from django.utils.translation import pgettext_lazy

from partnerportal.models import Partner, Tenant
from partnerportal.pdf import css_colour
from partnerportal.tenancy import tenant_url
from tiers.calendar import next_evaluation_date
from tiers.models import Tier
from tiers.selectors import tier_on

from .models import Contact, Document


def brand_colours(tenant: Tenant, tier: Tier | None, tiers: Iterable[Tier] = ()) -> dict:
    """The tenant's primary and accent colours, the tier's, and each tier's by rank, ready for CSS."""
    primary = css_colour(tenant.primary_colour, "#1f3a93")
    return {
        "primary": primary,
        "accent": css_colour(tenant.accent_colour, "#f39c12"),
        "tier": css_colour(tier.colour, primary) if tier else primary,
        "tiers": [(t.rank, css_colour(t.colour, "#7f8c8d")) for t in tiers],
    }


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG markup (no XML declaration), dark modules in ink colour.

    The mask is fixed: choosing the best of the eight by their penalty scores takes segno about 8 ms, a sixth
    of a diploma's 60 ms budget, and buys little here, where the random verification code already makes the
    modules look like noise. Every mask is valid QR; zbar read back 320 random codes, 40 per mask.
    """
    return segno.make_qr(url, error="m", mask=2).svg_inline(scale=4, border=0, dark="#1d2430", omitsize=True)


@dataclass
class Contacts:
    channel_manager: object | None
    support: list[Contact]
    escalation: list[Contact]


def contacts_for(partner: Partner) -> Contacts:
    rows = list(Contact.objects.filter(tenant=partner.tenant).order_by("kind", "level", "position"))
    return Contacts(
        channel_manager=partner.channel_manager,
        support=[c for c in rows if c.kind == Contact.Kind.SUPPORT],
        escalation=[c for c in rows if c.kind == Contact.Kind.ESCALATION],
    )


def diploma_context(document: Document) -> dict:
    verify_url = tenant_url(document.tenant, reverse("documents:verify", args=[document.code]))
    return {
        "document": document,
        "tenant": document.tenant,
        "partner": document.partner,
        "tier": document.tier,
        "colours": brand_colours(document.tenant, document.tier),
        "verify_url": verify_url,
        "verify_prefix": verify_url.removesuffix(document.code),  # the code gets a line of its own
        "qr": qr_svg(verify_url),
    }


@dataclass
class Group:
    """A titled run of rows in a pack: the benefits a tier added, the duties in one state. ``compact``: what
    the pack names in one paragraph instead of a row each."""

    items: list
    key: str = ""
    label: str = ""
    tier: Tier | None = None
    compact: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items) + len(self.compact)


def benefit_groups(entitlements: list, tier: Tier | None = None) -> list[Group]:
    """The entitlements by the tier that brought them, the partner's own tier first (what it just added),
    then down the ladder; the catalogue's order within a tier.

    The partner's own tier's benefits, and whatever must be claimed, get a row each with their description;
    the rest of a lower tier's are named in one paragraph (a pack at Premium would otherwise list thirty
    rows, most of them what every partner has, and take twice as long to render).
    """
    groups: dict[int, Group] = {}
    for entitlement in entitlements:
        from_tier = entitlement.benefit.from_tier
        group = groups.setdefault(from_tier.pk, Group([], key=from_tier.code, tier=from_tier))
        if tier is None or from_tier.pk == tier.pk or entitlement.claimable:
            group.items.append(entitlement)
        else:
            group.compact.append(entitlement)
    return sorted(groups.values(), key=lambda group: -group.tier.rank)


def duty_groups(fulfilments: list) -> list[Group]:
    """The duties by what the partner has to do about them: to do, waiting for review, done, missed."""
    from obligations.models import DONE_STATES, OPEN_STATES, FulfilmentState

    buckets = (
        ("todo", pgettext_lazy("duty state", "To do"), OPEN_STATES),
        ("review", pgettext_lazy("duties in a pack", "Waiting for review"), (FulfilmentState.SUBMITTED,)),
        ("done", pgettext_lazy("duties in a pack", "Done"), DONE_STATES),
        ("missed", pgettext_lazy("duties in a pack", "Missed"), (FulfilmentState.EXPIRED,)),
    )
    groups = [
        Group([f for f in fulfilments if f.state in states], key=key, label=label)
        for key, label, states in buckets
    ]
    return [group for group in groups if group.items]


def pack_context(document: Document) -> dict:
    """What a welcome or booster pack shows. Built in the document's language: the selectors word some of
    what they return (why a promotion is not open yet) with ``gettext`` when called."""
    with translation.override(document.language):
        return _pack_context(document)


def _pack_context(document: Document) -> dict:
    partner, day = document.partner, document.issued_on
    tier = document.tier or tier_on(partner=partner, day=day)
    tiers = list(Tier.objects.filter(tenant=partner.tenant).order_by("rank"))
    context = {
        "document": document,
        "booster": document.kind == Document.Kind.BOOSTER_PACK,
        "tenant": document.tenant,
        "partner": partner,
        "colours": brand_colours(document.tenant, tier, tiers),
        "tier": tier,
        "next_tier": next((t for t in tiers if t.rank > tier.rank), None) if tier else None,
        "next_evaluation": next_evaluation_date(partner.tenant, day),
        "contacts": contacts_for(partner),
    }
    if apps.is_installed("benefits"):
        from benefits.selectors import entitlement_overview

        benefits = entitlement_overview(partner=partner, day=day).entitlements
        context["benefits"] = benefits
        context["benefit_groups"] = benefit_groups(benefits, tier)
        # What reaching the tier added, when a tier below gave the rest (at the entry tier, nothing is "new").
        new = [e for e in benefits if tier and e.benefit.from_tier_id == tier.pk]
        context["new_benefits"] = new if len(new) < len(benefits) else []
    if apps.is_installed("obligations"):
        from obligations.selectors import fulfilment_list

        duties = [
            f
            for f in fulfilment_list(partner=partner)
            if f.due_date is None or f.due_date >= day - dt.timedelta(days=365)
        ]
        context["duties"] = duties
        context["duty_groups"] = duty_groups(duties)
    if apps.is_installed("promos"):
        from promos.selectors import promotion_standing

        standing = promotion_standing(partner=partner, as_of=day)
        context["promotions"] = standing
        # Within reach: at the partner's tier but a condition is missing, or opened by the next tier.
        context["promotions_within_reach"] = standing.within_reach + standing.next_tier_unlocks
    return context
