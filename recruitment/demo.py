"""Demo data of recruitment: each tenant's membership criteria (seed 004, "critères d'adhésion") and an
application for each of its demo applicants (the partners the core's demo loads in status *applicant*), one
of them half vetted. A step of ``partnerportal.demo``, idempotent like the others: rows are found by their
natural key and written only when they differ."""

import datetime as dt
import random
import unicodedata
from zoneinfo import ZoneInfo

from partnerportal import demo
from partnerportal.demo import DemoContext, sync
from partnerportal.models import Membership, Partner

from .models import Application, CriterionCheck, MembershipCriterion

# Seed 004: "Commitment sur un chiffre, Contribution sur le marché, Compétences sur le produit/solution,
# Customer Satisfaction". The descriptions say what a manager checks, in the programme's words.
CRITERIA = (
    (
        "commitment",
        "Engagement sur un chiffre",
        "Le candidat s'engage sur un objectif de revenu récurrent mensuel à 12 mois, cohérent avec son "
        "portefeuille clients.",
    ),
    (
        "market",
        "Contribution sur le marché",
        "Présence locale, clients existants et capacité à ouvrir de nouveaux comptes dans sa région.",
    ),
    (
        "skills",
        "Compétences sur le produit / la solution",
        "Équipe technique formée à la téléphonie IP, aux trunks SIP ou aux IPBX, ou prête à suivre les "
        "formations du programme.",
    ),
    (
        "satisfaction",
        "Satisfaction client",
        "Références clients vérifiables et qualité de service reconnue (avis, taux de résiliation).",
    ),
)
FIRST_NAMES = ("Claire", "Julien", "Sophie", "Thomas", "Camille", "Nicolas", "Élodie", "Mathieu")
LAST_NAMES = ("Lemoine", "Caradec", "Fabre", "Hamon", "Renard", "Delorme", "Texier", "Giraud")
PRODUCTS = (
    "Téléphonie IP (3CX, Yeastar), accès fibre et 4G, maintenance informatique",
    "Standards Alcatel OXO, trunks SIP, réseaux Wi-Fi et câblage",
    "Infogérance, sauvegarde, postes de travail ; téléphonie à développer",
    "Centrex, SD-WAN, pare-feux Fortinet et Stormshield",
)
MESSAGES = (
    "Nous accompagnons une centaine de TPE et PME de notre département et souhaitons proposer une "
    "offre de téléphonie hébergée à nos clients.",
    "Intégrateur depuis quinze ans, nous cherchons un opérateur partenaire pour migrer nos clients "
    "vers la VoIP avant l'arrêt du RTC.",
    "",
)


def _email(first: str, last: str, partner: Partner) -> str:
    ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode().lower()
    domain = partner.email.split("@", 1)[1] if "@" in partner.email else "candidat.demo"
    return f"{ascii_name}@{domain}"


@demo.register("recruitment", after=("tiers.evaluations", "benefits", "obligations"))
def recruitment_demo_load(context: DemoContext) -> str:
    tenant = context.tenant
    criteria = sync(
        MembershipCriterion.objects.filter(tenant=tenant),
        key=("tenant", "code"),
        rows=[
            {"tenant": tenant, "code": code, "title": title, "description": text, "position": n * 10}
            for n, (code, title, text) in enumerate(CRITERIA, start=1)
        ],
        tally=context.tally,
    )
    rng = random.Random(f"{context.spec.seed}-recruitment")
    tz = ZoneInfo(tenant.timezone)
    applicants = sorted(
        (p for p in context.partners.values() if p.status == Partner.Status.APPLICANT),
        key=lambda p: p.external_ref,
    )
    rows = []
    for n, partner in enumerate(applicants):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        submitted = dt.datetime.combine(partner.date_joined, dt.time(9 + n, 30), tzinfo=tz)
        rows.append(
            {
                "tenant": tenant,
                "partner": partner,
                "contact_first_name": first,
                "contact_last_name": last,
                "contact_email": _email(first, last, partner),
                "contact_phone": partner.phone,
                "products": PRODUCTS[n % len(PRODUCTS)],
                "message": MESSAGES[n % len(MESSAGES)],
                "submitted_at": submitted,
                "managers_notified_at": submitted,  # the demo e-mails nobody
                # The core's demo puts its applicants back in status applicant: their applications too.
                "state": Application.State.PENDING,
                "decided_by": None,
                "decided_at": None,
                "refusal_reason": "",
                "entry_tier": None,
                "invitation": None,
                "applicant_notified_at": None,
            }
        )
    applications = sync(
        Application.objects.filter(tenant=tenant), key=("partner",), rows=rows, tally=context.tally
    )
    # The first application is half vetted by the tenant's manager: two criteria looked at, one met.
    manager = (
        Membership.objects.filter(tenant=tenant, role=Membership.Role.MANAGER).select_related("user").first()
    )
    checks = []
    if applicants and manager is not None:
        first = applications[applicants[0]]
        checked_at = first.submitted_at + dt.timedelta(days=2)
        checks = [
            {
                "tenant": tenant,
                "application": first,
                "criterion": criteria[(tenant, "commitment")],
                "met": True,
                "note": "Objectif annoncé : 1 500 € de récurrent mensuel à 12 mois.",
                "checked_by": manager.user,
                "checked_at": checked_at,
            },
            {
                "tenant": tenant,
                "application": first,
                "criterion": criteria[(tenant, "skills")],
                "met": False,
                "note": "Pas encore de technicien certifié SIP : à revoir après le webinar.",
                "checked_by": manager.user,
                "checked_at": checked_at,
            },
        ]
        sync(
            CriterionCheck.objects.filter(tenant=tenant),
            key=("application", "criterion"),
            rows=checks,
            tally=context.tally,
        )
    return f"recruitment: {len(criteria)} membership criteria, {len(rows)} applications to vet"
