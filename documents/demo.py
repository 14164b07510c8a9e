"""Demo documents: each tenant's support lines and escalation grid, and every partner's PDFs.

A step of ``partnerportal.demo`` run per tenant once the tiers' history, the benefits, the duties and the
promotions exist (the packs print them). It leaves every demo partner with its welcome pack (in its
language), every active Business and Premium partner with a diploma valid today, and every active partner
at Access or above with a booster pack. The evaluations of the history have issued most diplomas and
booster packs already, through the real ``tier_changed`` path; this step issues what is still missing, with
the same services, and e-mails nobody (``notify=False``).

Idempotent: contacts are synced on (kind, level, position); a document is issued only when missing, so a
second load writes nothing. The step commits document by document (``atomic=False``), as the services do:
should it stop halfway, what it made stays and the next load finishes the work.
"""

import os
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef

from partnerportal import demo
from partnerportal.demo import DemoContext, sync
from partnerportal.models import Partner
from tiers.models import PartnerTier, Tier

from . import services
from .models import Contact, Document

BUSINESS_DAYS = "Du lundi au vendredi"
PROCESSES = os.cpu_count() or 1  # the PDFs are rendered in parallel (partnerportal.pdf.render_pdfs)

# Per tenant: (phone prefix, e-mail domain, people). Phone numbers are in the ranges ARCEP keeps for
# fiction (01 99 00 …, 02 61 91 …), so nobody's line rings.
DESKS = {
    "dstny": (
        "02 61 91",
        "dstny.demo",
        {"support_lead": "Gwenaëlle Riou", "sales": "Loïc Tanguy", "programme": "Nathalie Bouvier"},
    ),
    "openip": (
        "01 99 00",
        "openip.demo",
        {"support_lead": "Karim Benali", "sales": "Aurélie Masson", "programme": "Sandrine Lefèvre"},
    ),
}


def _contact_rows(context: DemoContext) -> list[dict]:
    prefix, domain, people = DESKS.get(context.spec.slug, DESKS["dstny"])
    S, E = Contact.Kind.SUPPORT, Contact.Kind.ESCALATION

    def row(kind, level, position, title, *, name="", email, phone, hours):
        return {
            "tenant": context.tenant,
            "kind": kind,
            "level": level,
            "position": position,
            "title": title,
            "name": name,
            "email": f"{email}@{domain}",
            "phone": f"{prefix} {phone}",
            "hours": hours,
        }

    return [
        row(
            S, 1, 1, "Support technique", email="support", phone="20 10",
            hours=f"{BUSINESS_DAYS}, 8 h – 19 h ; astreinte 24 h/24 pour les incidents bloquants",
        ),
        row(
            S, 1, 2, "Service clients (commandes et facturation)", email="service-clients", phone="20 20",
            hours=f"{BUSINESS_DAYS}, 9 h – 18 h",
        ),
        row(
            S, 1, 3, "Service commercial partenaires", name=people["sales"], email="commercial",
            phone="20 30", hours=f"{BUSINESS_DAYS}, 9 h – 17 h 30",
        ),
        row(
            S, 1, 4, "Responsable du programme partenaires", name=people["programme"], email="programme",
            phone="20 40", hours="Sur rendez-vous",
        ),
        row(
            E, 1, 1, "Support technique, ingénieur de permanence", email="support", phone="20 10",
            hours="Prise en charge sous 4 h ouvrées",
        ),
        row(
            E, 2, 1, "Responsable du support", name=people["support_lead"], email="escalade", phone="20 50",
            hours="Sans solution après 1 jour ouvré",
        ),
        row(
            E, 3, 1, "Responsable du programme partenaires", name=people["programme"], email="programme",
            phone="20 40", hours="Sans solution après 3 jours ouvrés",
        ),
    ]  # fmt: skip


def _welcome_packs_due(tenant) -> list[Document]:
    """A welcome pack for every partner that has none, whatever its status, so that the demo shows one
    for each; in the partner's language, presenting its tier of today."""
    has_pack = Document.objects.filter(partner=OuterRef("pk"), kind=Document.Kind.WELCOME_PACK)
    partners = Partner.objects.filter(tenant=tenant).exclude(Exists(has_pack)).select_related("tenant")
    current = dict(
        PartnerTier.objects.filter(tenant=tenant).select_related("tier").values_list("partner_id", "tier")
    )
    tiers = {t.pk: t for t in Tier.objects.filter(tenant=tenant)}
    entry = min(tiers.values(), key=lambda t: t.rank, default=None)
    today = tenant.today()
    return [
        services.document_draft(
            partner=partner,
            kind=Document.Kind.WELCOME_PACK,
            tier=tiers.get(current.get(partner.pk)) or entry,
            today=today,
        )
        for partner in partners.order_by("external_ref")
    ]


def _booster_packs_due(tenant) -> list[Document]:
    """A booster pack for every active partner at or above the booster tier that has none (the history's
    evaluations issued most), dated the day it reached its tier."""
    booster_from = Tier.objects.filter(tenant=tenant, awards_booster_pack=True).order_by("rank").first()
    if booster_from is None:
        return []
    has_booster = Document.objects.filter(partner_id=OuterRef("partner_id"), kind=Document.Kind.BOOSTER_PACK)
    rows = (
        PartnerTier.objects.filter(
            tenant=tenant, tier__rank__gte=booster_from.rank, partner__status=Partner.Status.ACTIVE
        )
        .exclude(Exists(has_booster))
        .select_related("partner", "partner__tenant", "tier")
        .order_by("partner__external_ref")
    )
    return [
        services.document_draft(
            partner=row.partner, kind=Document.Kind.BOOSTER_PACK, tier=row.tier, today=row.since
        )
        for row in rows
    ]


@demo.register("documents", after=("tiers.evaluations", "benefits", "obligations", "promos"), atomic=False)
def documents_demo_load(context: DemoContext) -> str:
    """Contacts, then the documents each partner is missing; returns the step's progress line."""
    started = time.perf_counter()
    tenant, tally = context.tenant, context.tally
    with transaction.atomic():
        contacts = sync(
            Contact.objects.filter(tenant=tenant),
            key=("kind", "level", "position"),
            rows=_contact_rows(context),
            tally=tally,
        )
    if not settings.DEMO_DOCUMENTS:
        return f"documents: {len(contacts)} contacts; no PDF rendered (DEMO_DOCUMENTS is off)"
    counts = tally["document"]
    before = Document.objects.filter(tenant=tenant).count()
    revoked = services.diplomas_revoke_inactive(tenant=tenant)
    drafts = _welcome_packs_due(tenant) + _booster_packs_due(tenant)
    packs = services.documents_issue(drafts=drafts, notify=False, processes=PROCESSES)
    welcome = sum(d.kind == Document.Kind.WELCOME_PACK for d in packs)
    diplomas = len(services.diplomas_renew(tenant=tenant, notify=False, processes=PROCESSES))
    counts["created"] += len(packs) + diplomas
    counts["updated"] += revoked
    counts["unchanged"] += before
    return (
        f"documents: {len(contacts)} contacts; issued {welcome} welcome packs, {len(packs) - welcome} "
        f"booster packs, {diplomas} diplomas; revoked {revoked} diplomas of inactive partners "
        f"({time.perf_counter() - started:.1f} s)"
    )
