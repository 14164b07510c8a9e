"""What goes into each document: the context its template renders, read from the apps below.

The documents app is the top layer: it reads the tiers, benefits, duties and promotions of a partner,
each through that app's selectors and only when the app is installed, so that removing an app removes its
section from the packs and nothing else.
"""

import datetime as dt
from dataclasses import dataclass

import segno
from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse

from partnerportal.models import Partner, Tenant, TenantDomain
from partnerportal.pdf import Asset
from tiers.calendar import next_evaluation_date
from tiers.models import Tier
from tiers.selectors import tier_on

from .models import Contact, Document

LOGO_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}


def tenant_url(tenant: Tenant, path: str) -> str:
    """An absolute URL on the tenant's primary host (``settings.PORTAL_URL``: ``https://{host}`` in production)."""
    host = (
        TenantDomain.objects.filter(tenant=tenant)
        .order_by("-is_primary", "host")
        .values_list("host", flat=True)
        .first()
        or "localhost"
    )
    return settings.PORTAL_URL.format(host=host).rstrip("/") + path


def logo_asset(tenant: Tenant) -> dict[str, Asset]:
    """``{"logo": Asset}`` from the tenant's uploaded logo, or nothing (the documents then print its name).

    The bytes are read here from storage and handed to the renderer, which fetches nothing itself: an SVG
    logo that points elsewhere (``<image href="http://…">``) gets nothing.
    """
    if not tenant.logo:
        return {}
    extension = tenant.logo.name.rsplit(".", 1)[-1].lower()
    content_type = LOGO_TYPES.get(extension)
    if content_type is None:
        return {}
    try:
        with default_storage.open(tenant.logo.name, "rb") as handle:
            body = handle.read(2_000_000)
    except OSError:
        return {}
    return {"logo": Asset(body, content_type)}


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG markup (no XML declaration), dark modules in ink colour."""
    return segno.make(url, error="m").svg_inline(scale=4, border=0, dark="#1d2430", omitsize=True)


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
        "verify_url": verify_url,
        "qr": qr_svg(verify_url),
    }


def pack_context(document: Document) -> dict:
    partner, day = document.partner, document.issued_on
    tier = document.tier or tier_on(partner=partner, day=day)
    context = {
        "document": document,
        "tenant": document.tenant,
        "partner": partner,
        "tier": tier,
        "next_tier": Tier.objects.filter(tenant=partner.tenant, rank__gt=tier.rank).order_by("rank").first()
        if tier
        else None,
        "next_evaluation": next_evaluation_date(partner.tenant, day),
        "contacts": contacts_for(partner),
        "people": list(partner.memberships.select_related("user").order_by("role", "user__last_name")),
    }
    if apps.is_installed("benefits"):
        from benefits.selectors import entitlement_overview

        context["benefits"] = entitlement_overview(partner=partner, day=day).entitlements
    if apps.is_installed("obligations"):
        from obligations.selectors import fulfilment_list

        context["duties"] = [
            f
            for f in fulfilment_list(partner=partner)
            if f.due_date is None or f.due_date >= day - dt.timedelta(days=365)
        ]
    if apps.is_installed("promos"):
        from promos.selectors import promotion_standing

        context["promotions"] = promotion_standing(partner=partner, as_of=day)
    return context
