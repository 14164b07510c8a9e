"""Demo data of the benefits app: each tenant's catalogue from its seed, and claims in every state.

A step of ``partnerportal.demo`` run per tenant after the tiers' history (claims follow the partners' tiers),
idempotent like the others: rows are matched on natural keys and written only when missing or different.
The catalogues differ as the seeds do: Dstny (seed 002) gives the same benefits to both partner types;
OpenIP (seed 000) has its promotions per type, a BizBooster of flyers or a roll-up banner, a Pack Booster
and a back-margin programme. Claims are dated from the tenant's calendar (this year, last year, this
month), so that loading again the same day writes nothing.
"""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from partnerportal import demo
from partnerportal.demo import ACCOUNTS, DemoContext, deal, sync
from partnerportal.models import Partner, PartnerType
from tiers.models import Tier

from . import rules
from .models import Benefit, Claim
from .selectors import entitlement_overview

C = Benefit.Category
P = Benefit.Period
PAGE = Benefit.PortalPage


@dataclass(frozen=True)
class Claimable:
    quantity: int
    period: str
    validity_months: int | None = None
    value: Decimal | None = None
    requires_approval: bool = True


def _b(code, tier, title, category, description="", *, types=(), replaces="", claim=None, page="") -> dict:
    return {
        "code": code,
        "tier": tier,
        "title": title,
        "category": category,
        "description": description,
        "types": types,
        "replaces": replaces,
        "claim": claim,
        "page": page,
    }


BIZBOOSTER = Claimable(1, P.ONCE, validity_months=3, value=Decimal("150"))
BIZBOOSTER_PREMIUM = Claimable(1, P.ONCE, validity_months=3, value=Decimal("500"))
EVENTS = Claimable(2, P.YEAR)
PARTNER_DAYS = Claimable(2, P.YEAR, requires_approval=False)
FREE_TRAINING = Claimable(1, P.YEAR)
TECH_REVIEW = Claimable(1, P.MONTH)
FIRST_CYCLES = Claimable(3, P.ONCE, requires_approval=False)

# Seed 002, "Avantages & Devoirs" of each tier: the same for Ambassadeurs and Opérateurs.
DSTNY = (
    _b(
        "pack-bienvenue",
        "starter",
        "Pack Bienvenue",
        C.RESOURCES,
        "Flyers et guide partenaire.",
        page=PAGE.WELCOME_PACK,
    ),
    _b("presentation", "starter", "Présentation Dstny", C.RESOURCES),
    _b("webinars", "starter", "Programme Webinars & Formations", C.TRAINING),
    _b("wiki", "starter", "Wiki Dstny", C.RESOURCES),
    _b("equipe-accompagnement", "starter", "Équipe dédiée Accompagnement", C.SUPPORT),
    _b(
        "trois-cycles",
        "starter",
        "Accompagnement des 3 premiers cycles clients",
        C.SUPPORT,
        "Devis, commande, installation, facturation : un cycle accompagné par demande.",
        claim=FIRST_CYCLES,
    ),
    _b("starter-packs", "starter", "Accès aux Starter Packs", C.RESOURCES),
    _b("grille-escalade", "starter", "Accès à la grille d'escalade", C.SUPPORT),
    _b("base-experts-zen", "starter", "Accès à la base Experts Zen pour l'aide à l'installation", C.SUPPORT),
    _b("historique-statut", "starter", "Historique de votre statut", C.RECOGNITION, page=PAGE.TIER_HISTORY),
    _b(
        "bizbooster-150",
        "access",
        "Promo BizBooster 150 €",
        C.MARKETING,
        "Réduction de 150 € sur une commande BizBooster, disponible 3 mois après l'obtention du statut.",
        claim=BIZBOOSTER,
    ),
    _b("commercial-dedie", "access", "Commercial dédié", C.SUPPORT),
    _b("challenges", "access", "Accès aux Challenges Dstny", C.BUSINESS),
    _b("promos", "access", "Accès aux promos Dstny", C.PROMOTIONS),
    _b(
        "evenementiel",
        "business",
        "Accompagnement sur vos activités événementielles",
        C.MARKETING,
        "Votre commercial vous accompagne sur un salon, une porte ouverte ou un petit-déjeuner clients.",
        claim=EVENTS,
    ),
    _b(
        "journees-partenaires",
        "business",
        "Invitation aux Journées Partenaires",
        C.BUSINESS,
        "Deux places par an, confirmées aussitôt.",
        claim=PARTNER_DAYS,
    ),
    _b("leads", "business", "Accès aux Leads Dstny", C.BUSINESS),
    _b("referencement-experts-zen", "business", "Référencement Experts Zen", C.BUSINESS),
    _b("diplome-business", "business", "Diplôme Partenaire Business", C.RECOGNITION, page=PAGE.DIPLOMA),
    _b("offres-business", "business", "Accès à des offres préférentielles Business", C.PROMOTIONS),
    _b(
        "bizbooster-500",
        "premium",
        "Promo BizBooster 500 €",
        C.MARKETING,
        "Réduction de 500 € sur une commande BizBooster, disponible 3 mois après l'obtention du statut.",
        replaces="bizbooster-150",
        claim=BIZBOOSTER_PREMIUM,
    ),
    _b(
        "formation-gratuite",
        "premium",
        "Formation gratuite pour 1 personne par an",
        C.TRAINING,
        claim=FREE_TRAINING,
    ),
    _b("kpi", "premium", "Indicateurs de performance détaillés", C.RESOURCES, page=PAGE.KPIS),
    _b("point-technique", "premium", "Point technique mensuel", C.SUPPORT, claim=TECH_REVIEW),
    _b("club-partenaires", "premium", "Invitation Club Partenaires", C.RECOGNITION),
    _b(
        "diplome-premium",
        "premium",
        "Diplôme Partenaire Premium",
        C.RECOGNITION,
        page=PAGE.DIPLOMA,
        replaces="diplome-business",
    ),
    _b("trophee", "premium", "Trophée Partenaire Premium", C.RECOGNITION),
    _b(
        "offres-premium",
        "premium",
        "Accès à des offres préférentielles Premium",
        C.PROMOTIONS,
        replaces="offres-business",
    ),
)

AMB, OPE = ("ambassadeur",), ("operateur",)

# Seed 000: the statuses' benefits, and the "Promos OpenIP" pages, per type.
OPENIP = (
    _b(
        "pack-bienvenue",
        "starter",
        "Pack Bienvenue",
        C.RESOURCES,
        "Flyers produits, présentation BizBooster, présentation du service Accompagnement, lettre de bienvenue, "
        "guide du partenaire.",
        page=PAGE.WELCOME_PACK,
    ),
    _b("presentation", "starter", "Présentation Corporate OpenIP", C.RESOURCES),
    _b("webinars", "starter", "Programme Webinar & Formation", C.TRAINING),
    _b("wiki", "starter", "Wiki OpenIP", C.RESOURCES),
    _b("equipe-accompagnement", "starter", "Équipe dédiée « Accompagnement »", C.SUPPORT),
    _b("starter-packs", "starter", "Accès aux starter packs : MetaCentrex, Trunk, OpIOS", C.RESOURCES),
    _b(
        "trois-cycles",
        "starter",
        "Accompagnement pour les 3 premiers cycles clients",
        C.SUPPORT,
        "Devis, commande, installation, (facturation) : un cycle accompagné par demande.",
        claim=FIRST_CYCLES,
    ),
    _b("promos", "starter", "Accès aux promos OpenIP", C.PROMOTIONS),
    _b("historique-statut", "starter", "Historique de votre statut", C.RECOGNITION, page=PAGE.TIER_HISTORY),
    _b(
        "promo-sip-trunk-touch",
        "starter",
        "SIP Trunk Touch à 19,99 € HT au lieu de 27 € HT",
        C.PROMOTIONS,
        "Si plus de 4 canaux ou si vos liens Data sont chez OpenIP ; cumulable avec les promos Data et VM.",
        types=AMB,
    ),
    _b(
        "promo-data",
        "starter",
        "10 % sur les liens Data",
        C.PROMOTIONS,
        "Pour toute souscription à une offre VoIP ou Com'Unifiées ; cumulable.",
    ),
    _b(
        "promo-vm",
        "starter",
        "30 % sur les VM",
        C.PROMOTIONS,
        "Pour toute souscription à une offre VoIP ; cumulable.",
    ),
    _b("commercial-dedie", "access", "Commercial dédié", C.SUPPORT),
    _b("grille-escalade", "access", "Accès à une grille d'escalade", C.SUPPORT),
    _b("base-experts-zen", "access", "Accès base Experts Zen pour aide sur les installations", C.SUPPORT),
    _b(
        "pack-booster",
        "access",
        "Pack Booster",
        C.RESOURCES,
        "Lettre de remerciements, présentation du commercial dédié, équipe N1 et support, roadbook trimestriel, "
        "grille d'escalade.",
    ),
    _b(
        "bizbooster-150",
        "access",
        "Promo BizBooster : 150 € ou 100 flyers",
        C.MARKETING,
        "Réduction de 150 € sur une commande BizBooster (création et impression de 500 flyers ou d'un "
        "kakémono) ; pour les ambassadeurs, 100 flyers offerts au choix.",
        claim=BIZBOOSTER,
    ),
    _b(
        "evenementiel",
        "business",
        "Accompagnement de votre commercial sur vos activités événementielles",
        C.MARKETING,
        claim=EVENTS,
    ),
    _b("challenges", "business", "Accès aux Challenges OpenIP", C.BUSINESS),
    _b("leads", "business", "Accès aux leads OpenIP", C.BUSINESS),
    _b("referencement-experts-zen", "business", "Référencement Experts Zen", C.BUSINESS),
    _b(
        "journees-partenaires",
        "business",
        "Invitation aux Journées Partenaires OpenIP",
        C.BUSINESS,
        claim=PARTNER_DAYS,
    ),
    _b(
        "diplome-business", "business", "Diplôme papier Partenaire Business", C.RECOGNITION, page=PAGE.DIPLOMA
    ),
    _b("offres-business", "business", "Accès à des offres préférentielles Business", C.PROMOTIONS),
    _b(
        "portabilite-business-amb",
        "business",
        "Portabilités : 7 € HT au-delà de 10 numéros, 5 € HT au-delà de 30",
        C.PROMOTIONS,
        "Au lieu de 9 € HT. Condition : 600 € de commandes par trimestre.",
        types=AMB,
    ),
    _b(
        "portabilite-business-ope",
        "business",
        "Portabilités : 4 € HT au-delà de 10 numéros, 3 € HT au-delà de 30",
        C.PROMOTIONS,
        "Au lieu de 5 € HT. Condition : 1 500 € de chiffre d'affaires par trimestre.",
        types=OPE,
    ),
    _b(
        "sip-trunk-volume",
        "business",
        "Offre volume SIP Trunk Touch",
        C.PROMOTIONS,
        "Souscription de 100 € HT par mois : canaux à 0,5 € HT au lieu de 1,5 € HT et grille minutes volume.",
        types=OPE,
    ),
    _b(
        "fas-migration-vga",
        "business",
        "Frais d'accès aux services offerts pour une migration de parc VGA",
        C.PROMOTIONS,
        types=OPE,
    ),
    _b(
        "formation-gratuite",
        "premium",
        "Formation gratuite pour 1 personne par an",
        C.TRAINING,
        claim=FREE_TRAINING,
    ),
    _b(
        "bizbooster-500",
        "premium",
        "Offre BizBooster d'une valeur de 500 €",
        C.MARKETING,
        "Création et développement d'un emailing, ou kit print complet : 500 flyers, 500 plaquettes et 1 kakémono.",
        replaces="bizbooster-150",
        claim=BIZBOOSTER_PREMIUM,
    ),
    _b("kpi", "premium", "KPI", C.RESOURCES, "Vos indicateurs de performance détaillés.", page=PAGE.KPIS),
    _b("club-partenaires", "premium", "Invitation Club Partenaires", C.RECOGNITION),
    _b("point-technique", "premium", "Point technique mensuel", C.SUPPORT, claim=TECH_REVIEW),
    _b("marge-arriere", "premium", "Programme marge arrière", C.BUSINESS),
    _b(
        "diplome-premium",
        "premium",
        "Diplôme papier Partenaire Premium",
        C.RECOGNITION,
        page=PAGE.DIPLOMA,
        replaces="diplome-business",
    ),
    _b("trophee", "premium", "Cadeau / trophée", C.RECOGNITION),
    _b(
        "offres-premium",
        "premium",
        "Accès à des offres préférentielles Premium",
        C.PROMOTIONS,
        replaces="offres-business",
    ),
    _b(
        "portabilite-premium-amb",
        "premium",
        "Portabilités à 5 € HT au lieu de 9 € HT",
        C.PROMOTIONS,
        "Condition : 800 € de commandes par trimestre.",
        types=AMB,
        replaces="portabilite-business-amb",
    ),
    _b(
        "portabilite-premium-ope",
        "premium",
        "Portabilités à 3 € HT au lieu de 5 € HT",
        C.PROMOTIONS,
        "Condition : 2 000 € de chiffre d'affaires par trimestre.",
        types=OPE,
        replaces="portabilite-business-ope",
    ),
    _b(
        "remise-sdsl",
        "premium",
        "Remise exceptionnelle sur les grilles tarifaires SDSL",
        C.PROMOTIONS,
        types=OPE,
    ),
    _b(
        "remise-fibre",
        "premium",
        "5 % de remise supplémentaire sur la Fibre (hors FTTH)",
        C.PROMOTIONS,
        types=OPE,
    ),
    _b(
        "paliers-minutes",
        "premium",
        "Tarifs paliers dégressifs sur le volume de minutes VoIP",
        C.PROMOTIONS,
        types=OPE,
    ),
    _b("marge-arriere-voip", "premium", "Marge arrière sur le CA VoIP au semestre", C.PROMOTIONS, types=OPE),
)

CATALOGUES = {"dstny": DSTNY, "openip": OPENIP}

REFUSALS = (
    "La session demandée est complète : merci de choisir une autre date.",
    "Le budget de ce trimestre est épuisé ; renouvelez votre demande le trimestre prochain.",
    "Commande BizBooster incomplète : merci de joindre le visuel souhaité.",
)


def _sync_catalogue(context: DemoContext) -> dict[str, Benefit]:
    tenant, rows = context.tenant, CATALOGUES[context.spec.slug]
    tiers = {t.code: t for t in Tier.objects.filter(tenant=tenant)}
    types = {t.code: t for t in PartnerType.objects.filter(tenant=tenant)}
    fields = []
    for position, row in enumerate(rows, start=1):
        claim = row["claim"]
        fields.append(
            {
                "tenant": tenant,
                "code": row["code"],
                "title": row["title"],
                "description": row["description"],
                "category": row["category"],
                "from_tier": tiers[row["tier"]],
                "kind": Benefit.Kind.CLAIMABLE if claim else Benefit.Kind.PERK,
                "quantity": claim.quantity if claim else None,
                "period": claim.period if claim else "",
                "validity_months": claim.validity_months if claim else None,
                "value": claim.value if claim else None,
                "requires_approval": claim.requires_approval if claim else True,
                "portal_page": row["page"],
                "position": position,
            }
        )
    benefits = sync(
        Benefit.objects.filter(tenant=tenant), key=("tenant", "code"), rows=fields, tally=context.tally
    )
    by_code = {code: benefit for (_tenant, code), benefit in benefits.items()}
    # Replacements point at benefits that now exist.
    replacing = [
        {"tenant": tenant, "code": row["code"], "replaces": by_code[row["replaces"]]}
        for row in rows
        if row["replaces"]
    ]
    sync(Benefit.objects.filter(tenant=tenant), key=("tenant", "code"), rows=replacing, tally=context.tally)
    # Partner types: set only where they differ (sync() writes plain fields only).
    through = Benefit.partner_types.through
    current: dict[int, set[int]] = {}
    for benefit_id, type_id in through.objects.filter(benefit__tenant=tenant).values_list(
        "benefit_id", "partnertype_id"
    ):
        current.setdefault(benefit_id, set()).add(type_id)
    for row in rows:
        benefit = by_code[row["code"]]
        wanted = {types[code].pk for code in row["types"]}
        if current.get(benefit.pk, set()) != wanted:
            benefit.partner_types.set(wanted)
            context.tally["benefit"]["updated"] += 1
    return by_code


@dataclass(frozen=True)
class DemoClaim:
    benefit: str
    state: str
    period: str  # "this", "last" (year) or "current" (the benefit's current period)
    claimed: tuple[int, int]  # (month, day) in that year, or days after the period's start for "current"
    decided_after: int = 2  # days
    fulfilled_after: int = 30
    reason: str = ""
    note: str = ""


S = Claim.State
SHOWCASE = {
    # premium@dstny.demo: a Premium Ambassadeur with claims in every state.
    "DST-00003": (
        DemoClaim(
            "bizbooster-500",
            S.FULFILLED,
            "current",
            (0, 9),
            note="Kit print complet pour le salon de Nantes.",
        ),
        DemoClaim(
            "formation-gratuite",
            S.REFUSED,
            "last",
            (2, 10),
            reason=REFUSALS[0],
            note="Session Trunk SIP de mars.",
        ),
        DemoClaim("formation-gratuite", S.FULFILLED, "last", (2, 14), note="Session Trunk SIP de mai."),
        DemoClaim(
            "formation-gratuite",
            S.REFUSED,
            "this",
            (9, 3),
            reason="La formation MetaCentrex d'octobre est annulée ; une nouvelle date sera proposée en janvier.",
        ),
        DemoClaim(
            "evenementiel", S.APPROVED, "this", (3, 2), note="Portes ouvertes de l'agence de Saint-Nazaire."
        ),
        DemoClaim("evenementiel", S.FULFILLED, "this", (1, 20), note="Petit-déjeuner clients à Nantes."),
        DemoClaim("journees-partenaires", S.APPROVED, "this", (4, 8)),
        DemoClaim(
            "point-technique", S.PENDING, "current", (0, 0), note="Revue de la supervision des trunks SIP."
        ),
    ),
    # partner@openip.demo: a Premium Ambassadeur too.
    "OIP-00001": (
        DemoClaim("formation-gratuite", S.PENDING, "this", (11, 2), note="Deux jours sur MetaCentrex."),
        DemoClaim("evenementiel", S.FULFILLED, "this", (5, 12)),
        DemoClaim("journees-partenaires", S.APPROVED, "this", (6, 1)),
        DemoClaim("point-technique", S.REFUSED, "last", (10, 6), reason=REFUSALS[1]),
    ),
}
# Claims are made by the partner's demo administrator, when it has one.
ADMINS = {a.partner_ref: a.email for a in ACCOUNTS if a.partner_ref and a.role == "admin"}
OTHER_PARTNERS_WITH_CLAIMS = 10
STATE_MIX = {S.PENDING: 4, S.APPROVED: 2, S.FULFILLED: 3, S.REFUSED: 1}


def _at(day: dt.date, today: dt.date, tz: ZoneInfo) -> dt.datetime:
    """10:00 on ``day`` in the tenant's time zone, never after today (claims are not made in the future)."""
    return dt.datetime.combine(min(day, today), dt.time(10), tzinfo=tz)


def _claim_row(context, *, partner, benefit, claim: DemoClaim, period_start, claimed_on, today, tz) -> dict:
    manager = context.users[context.spec.manager_email]
    admin = context.users.get(ADMINS.get(partner.external_ref, ""))
    decided = claim.state in (S.APPROVED, S.FULFILLED, S.REFUSED)
    by_manager = decided and (benefit.requires_approval or claim.state != S.APPROVED)
    return {
        "tenant": context.tenant,
        "partner": partner,
        "benefit": benefit,
        "period_start": period_start,
        "state": claim.state,
        "claimed_by": admin,
        "note": claim.note,
        "refusal_reason": claim.reason,
        "created_at": _at(claimed_on, today, tz),
        "decided_by": manager if by_manager else None,
        "decided_at": _at(claimed_on + dt.timedelta(days=claim.decided_after if by_manager else 0), today, tz)
        if decided
        else None,
        "fulfilled_at": _at(claimed_on + dt.timedelta(days=claim.fulfilled_after), today, tz)
        if claim.state == S.FULFILLED
        else None,
        "notified_state": claim.state if decided else "",
    }


@demo.register("benefits", after=("tiers.evaluations",))
def benefits_demo_load(context: DemoContext) -> str:
    benefits = _sync_catalogue(context)
    tenant, tz = context.tenant, ZoneInfo(context.tenant.timezone)
    today = tenant.today()
    rows = []
    for ref, claims in SHOWCASE.items():
        partner = context.partners.get(ref)
        if partner is None:
            continue
        overview = entitlement_overview(partner=partner, day=today)
        has = {e.benefit.code: e for e in overview.entitlements}
        for claim in claims:
            entitlement = has.get(claim.benefit)
            if entitlement is None:  # the partner's tier does not give it (the ledger moved on)
                continue
            if claim.period == "current":
                claimed_on = entitlement.period_start + dt.timedelta(days=claim.claimed[1])
            else:
                claimed_on = dt.date(today.year - (claim.period == "last"), *claim.claimed)
            period_start = rules.period_start(entitlement.benefit.period, claimed_on, entitlement.reached_on)
            rows.append(
                _claim_row(
                    context,
                    partner=partner,
                    benefit=benefits[claim.benefit],
                    claim=claim,
                    period_start=period_start,
                    claimed_on=claimed_on,
                    today=today,
                    tz=tz,
                )
            )
    rng = random.Random(f"{context.spec.seed}-benefits")
    others = sorted(
        (
            p
            for ref, p in context.partners.items()
            if ref not in SHOWCASE and p.status == Partner.Status.ACTIVE
        ),
        key=lambda p: p.external_ref,
    )
    chosen = rng.sample(others, min(OTHER_PARTNERS_WITH_CLAIMS, len(others)))
    states = deal(rng, STATE_MIX, len(chosen))
    for partner, state in zip(chosen, states, strict=True):
        overview = entitlement_overview(partner=partner, day=today)
        open_ = [e for e in overview.claimables if not e.expired and e.period_start]
        if not open_:
            continue
        # A pending claim is one a manager must look at: of a benefit that needs approval, when there is one.
        reviewed = [e for e in open_ if e.benefit.requires_approval]
        entitlement = rng.choice(reviewed if state == S.PENDING and reviewed else open_)
        reason = rng.choice(REFUSALS) if state == S.REFUSED else ""
        if state == S.PENDING and not entitlement.benefit.requires_approval:
            state = S.APPROVED  # what the portal does with a claim that needs no approval
        claimed_on = max(entitlement.period_start, today - dt.timedelta(days=rng.randint(3, 40)))
        rows.append(
            _claim_row(
                context,
                partner=partner,
                benefit=entitlement.benefit,
                claim=DemoClaim(entitlement.benefit.code, state, "current", (0, 0), reason=reason),
                period_start=entitlement.period_start,
                claimed_on=claimed_on,
                today=today,
                tz=tz,
            )
        )
    sync(
        Claim.objects.filter(tenant=tenant),
        key=("partner", "benefit", "period_start", "state"),
        rows=rows,
        tally=context.tally,
    )
    return f"benefits: {len(benefits)} in the catalogue, {len(rows)} claims"
