"""Demo data: the Dstny and OpenIP programmes of the seed documents, with 40 made-up partners each.

``demo_load()`` is idempotent. Every row is found by its natural key (tenant slug, host, (tenant, code),
(tenant, external_ref), e-mail, (tenant, user)) and written only when it is missing or differs from the
tables below, so a second run writes nothing: no bumped ``updated_at``, no new password hash. Partners are
drawn from a ``random.Random`` seeded per tenant, so every run draws the same ones.

The core loads the people, tenants, partner types, plans, partners and memberships. Every app adds its own
demo data through ``register`` (in its ``demo`` module, found the way the admin finds ``admin`` modules):
a step per app, run per tenant after the steps it names in ``after``. The core names no app, so removing an
app from ``INSTALLED_APPS`` removes its demo data and nothing else. Steps build on ``sync`` (write what is
missing or differs) and ``deal`` (a fixed mix dealt at random), so that each is idempotent too.
"""

import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from html import escape

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.test.utils import override_settings
from django.utils.module_loading import autodiscover_modules
from django.utils.text import slugify

from .models import Membership, OperatorPlan, Partner, PartnerType, Tenant, TenantDomain, tenant_upload_to
from .tenancy import tenant_scope
from .validators import LA_POSTE_SIREN, luhn_valid

User = get_user_model()

DEMO_PASSWORD = "demo-partner-2026"
DEMO_PORT = 8000  # `make demo` serves runserver on this port
PARTNERS_PER_TENANT = 40
# Partners joined from 2019 up to the last month-end before the demo's "today" (November 2026).
JOINED_FROM = date(2019, 1, 1)
JOINED_UNTIL = date(2026, 10, 31)
# When partners of a status joined, if not over the whole span: applicants are recent (nobody waits years
# for a review), and a partner that was suspended or left has had time to fall short of its duties.
JOINED_BY_STATUS = {
    "applicant": (date(2026, 5, 1), JOINED_UNTIL),
    "suspended": (JOINED_FROM, date(2025, 6, 30)),
    "terminated": (JOINED_FROM, date(2025, 6, 30)),
}


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    legal_name: str
    host: str
    primary_colour: str
    accent_colour: str
    wordmark: tuple[tuple[str, str], ...]  # (text, "primary" | "accent") pieces of the SVG logo
    app: str  # the vendor's ordering and billing application, as the seed names it
    ref_prefix: str  # the vendor's billing codes, e.g. DST-00012
    seed: int
    manager_email: str
    showcase: tuple[dict, ...]  # fixed first partners: the ones the demo accounts belong to


# Colours are not the vendors' charters: distinct pairs, so that a tenant mix-up shows at a glance, with
# white text readable on the primary and the accent readable on white (contrast ≥ 4.5).
TENANTS = (
    DemoTenant(
        slug="dstny",
        name="Dstny",
        legal_name="Dstny France SAS",
        host="dstny.localhost",
        primary_colour="#2b1a64",
        accent_colour="#e4007c",
        wordmark=(("dstny", "primary"), (".", "accent")),
        app="MyDstny",
        ref_prefix="DST",
        seed=20220719,  # the date of the Dstny programme (seed 002)
        manager_email="manager@dstny.demo",
        showcase=(
            {
                "trade_name": "Armor Télécom",
                "legal_form": "SAS",
                "city": "Rennes",
                "address_line1": "12 rue de Lorient",
                "address_line2": "Parc d'activités de la Lande",
                "partner_type": "ambassadeur",
                "status": Partner.Status.ACTIVE,
                "date_joined": date(2019, 3, 18),
            },
            {
                "trade_name": "Provence Voix & Data",
                "legal_form": "SARL",
                "city": "Marseille",
                "address_line1": "48 boulevard de Paris",
                "address_line2": "",
                "partner_type": "operateur",
                "operator_plan": "eshop",
                "status": Partner.Status.ACTIVE,
                "date_joined": date(2021, 9, 6),
            },
            {
                "trade_name": "Atlantique Connect",
                "legal_form": "SAS",
                "city": "Nantes",
                "address_line1": "5 quai de la Fosse",
                "address_line2": "",
                "partner_type": "ambassadeur",
                "status": Partner.Status.ACTIVE,
                "date_joined": date(2019, 2, 4),
            },
        ),
    ),
    DemoTenant(
        slug="openip",
        name="OpenIP",
        legal_name="OpenIP SAS",
        host="openip.localhost",
        primary_colour="#00636e",
        accent_colour="#c45200",
        wordmark=(("Open", "primary"), ("IP", "accent")),
        app="MyOpenIP",
        ref_prefix="OIP",
        seed=2019,
        manager_email="manager@openip.demo",
        showcase=(
            {
                "trade_name": "Rhône Réseaux",
                "legal_form": "SAS",
                "city": "Lyon",
                "address_line1": "27 rue Garibaldi",
                "address_line2": "",
                "partner_type": "ambassadeur",
                "status": Partner.Status.ACTIVE,
                "date_joined": date(2020, 5, 11),
            },
        ),
    ),
)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    first_name: str
    last_name: str
    tenant: str | None = None  # slug; None for the platform superuser, who has no membership
    role: str | None = None
    partner_ref: str | None = None
    is_staff: bool = False
    is_superuser: bool = False


Role = Membership.Role
ACCOUNTS = (
    DemoAccount("admin@platform.demo", "Camille", "Durand", is_staff=True, is_superuser=True),
    # Managers are staff: the back-office at /admin/ is where they run their tenant's programme.
    DemoAccount("manager@dstny.demo", "Claire", "Morvan", "dstny", Role.MANAGER, is_staff=True),
    DemoAccount("partner@dstny.demo", "Yann", "Le Gall", "dstny", Role.ADMIN, "DST-00001"),
    # Colleagues of partner@dstny.demo, so that "Mon équipe" shows the seeds' three profiles.
    DemoAccount("commercial@armor-telecom.demo", "Maëlle", "Le Bihan", "dstny", Role.SALES, "DST-00001"),
    DemoAccount("technique@armor-telecom.demo", "Erwan", "Kerhervé", "dstny", Role.TECHNICAL, "DST-00001"),
    DemoAccount("operator@dstny.demo", "Sophie", "Marchetti", "dstny", Role.ADMIN, "DST-00002"),
    DemoAccount("premium@dstny.demo", "Hélène", "Guérin", "dstny", Role.ADMIN, "DST-00003"),
    DemoAccount("manager@openip.demo", "Julien", "Ferrand", "openip", Role.MANAGER, is_staff=True),
    DemoAccount("partner@openip.demo", "Thomas", "Girard", "openip", Role.ADMIN, "OIP-00001"),
)

# Seeds 000 and 002, "Types de partenariat"; the grading bases come from "Principes": recurring revenue,
# excluding service access fees and minutes. {vendor} and {app} are filled in per tenant.
PARTNER_TYPES = (
    {
        "code": "ambassadeur",
        "name": "Ambassadeur",
        "grading_basis": "revenu récurrent mensuel",
        "grading_basis_short": "RRM",
        "has_operator_plans": False,
        "position": 1,
        "description": (
            "Vous commercialisez le catalogue d'offres {vendor}. Vous êtes l'interlocuteur de proximité de vos "
            "clients pour le déploiement et la maintenance. Vous percevez des commissions sur l'ensemble des "
            "services facturés à vos clients.\n\nVotre statut dépend de votre récurrent mensuel, hors frais "
            "d'accès aux services et minutes ; il est réévalué tous les 6 mois."
        ),
    },
    {
        "code": "operateur",
        "name": "Opérateur",
        "grading_basis": "chiffre d'affaires mensuel",
        "grading_basis_short": "CA",
        "has_operator_plans": True,
        "position": 2,
        "description": (
            "Vous devenez l'opérateur de vos clients. Vous bénéficiez de notre catalogue pour construire vos "
            "offres de services. Vous pouvez créer une e-boutique à vos couleurs avec le module e-shop de "
            "{app}. Vous gérez la facturation de vos clients avec {app} ou un logiciel tiers.\n\nVotre statut "
            "dépend de votre chiffre d'affaires mensuel, hors frais d'accès aux services et minutes ; il est "
            "réévalué tous les 6 mois."
        ),
    },
)

# Seed 002, "Devenir Opérateur. 3 programmes possibles". The OpenIP seed names no sub-programmes, but
# Dstny's programme is OpenIP's after the rename (PROGRAM.md), so both tenants offer the three plans.
OPERATOR_PLANS = (
    {
        "code": "operateur",
        "name": "Opérateur",
        "opening_fee": Decimal("300.00"),
        "revenue_share_min": Decimal("0.00"),
        "revenue_share_max": Decimal("0.00"),
        "position": 1,
        "description": (
            "Vous gérez la facturation de vos clients avec vos propres outils et grâce aux informations mises "
            "à votre disposition par {vendor}. Vous utilisez {app} pour commander, paramétrer, monitorer et "
            "collaborer avec notre support. Pour les partenaires qui ont déjà démarré une activité "
            "d'Opérateur et disposent d'un outil de facturation. Accès au catalogue Opérateur {vendor}."
        ),
    },
    {
        "code": "eshop",
        "name": "Opérateur E-shop",
        "opening_fee": Decimal("2000.00"),
        "revenue_share_min": Decimal("2.00"),
        "revenue_share_max": Decimal("2.00"),
        "position": 2,
        "description": (
            "Avec e-boutique et outil de facturation. Vous utilisez une version personnalisée à vos couleurs "
            "de l'application {app} pour gérer l'ensemble du parcours client, de la commande à la "
            "facturation. Vos clients peuvent accéder à un extranet pour suivre leurs factures et leurs "
            "services. Pour démarrer rapidement une activité Opérateur à votre propre marque. Accès au "
            "catalogue Opérateur {vendor}. Rétrocession de 2 % du CA facturé."
        ),
    },
    {
        "code": "eshop-manage",
        "name": "Opérateur E-shop managé",
        "opening_fee": Decimal("0.00"),
        "revenue_share_min": Decimal("2.00"),
        "revenue_share_max": Decimal("4.00"),
        "position": 3,
        "description": (
            "Avec e-boutique et outil de facturation, managé par {vendor}. Vous disposez d'une version "
            "personnalisée à vos couleurs de {app}. Nos équipes gèrent le pilotage de l'application pour "
            "vous : les tâches administratives, telles que la construction des offres, la saisie des "
            "commandes et même la facturation ! Pour démarrer rapidement une activité Opérateur à votre "
            "propre marque sans mobiliser de ressources administratives. Accès au catalogue Opérateur "
            "{vendor}. Rétrocession de 2 % à 4 % du CA facturé."
        ),
    },
)

# (city, postal code, region, telephone zone). Regions are the 2016 ones.
CITIES = (
    ("Rennes", "35000", "Bretagne", "02"),
    ("Brest", "29200", "Bretagne", "02"),
    ("Vannes", "56000", "Bretagne", "02"),
    ("Saint-Brieuc", "22000", "Bretagne", "02"),
    ("Nantes", "44000", "Pays de la Loire", "02"),
    ("Angers", "49000", "Pays de la Loire", "02"),
    ("Le Mans", "72000", "Pays de la Loire", "02"),
    ("Lyon", "69003", "Auvergne-Rhône-Alpes", "04"),
    ("Grenoble", "38000", "Auvergne-Rhône-Alpes", "04"),
    ("Annecy", "74000", "Auvergne-Rhône-Alpes", "04"),
    ("Clermont-Ferrand", "63000", "Auvergne-Rhône-Alpes", "04"),
    ("Saint-Étienne", "42000", "Auvergne-Rhône-Alpes", "04"),
    ("Marseille", "13002", "Provence-Alpes-Côte d'Azur", "04"),
    ("Aix-en-Provence", "13100", "Provence-Alpes-Côte d'Azur", "04"),
    ("Nice", "06000", "Provence-Alpes-Côte d'Azur", "04"),
    ("Toulon", "83000", "Provence-Alpes-Côte d'Azur", "04"),
    ("Avignon", "84000", "Provence-Alpes-Côte d'Azur", "04"),
    ("Toulouse", "31000", "Occitanie", "05"),
    ("Montpellier", "34000", "Occitanie", "04"),
    ("Perpignan", "66000", "Occitanie", "04"),
    ("Nîmes", "30000", "Occitanie", "04"),
    ("Bordeaux", "33000", "Nouvelle-Aquitaine", "05"),
    ("Pau", "64000", "Nouvelle-Aquitaine", "05"),
    ("Limoges", "87000", "Nouvelle-Aquitaine", "05"),
    ("La Rochelle", "17000", "Nouvelle-Aquitaine", "05"),
    ("Poitiers", "86000", "Nouvelle-Aquitaine", "05"),
    ("Lille", "59000", "Hauts-de-France", "03"),
    ("Amiens", "80000", "Hauts-de-France", "03"),
    ("Strasbourg", "67000", "Grand Est", "03"),
    ("Metz", "57000", "Grand Est", "03"),
    ("Nancy", "54000", "Grand Est", "03"),
    ("Reims", "51100", "Grand Est", "03"),
    ("Paris", "75011", "Île-de-France", "01"),
    ("Boulogne-Billancourt", "92100", "Île-de-France", "01"),
    ("Dijon", "21000", "Bourgogne-Franche-Comté", "03"),
    ("Besançon", "25000", "Bourgogne-Franche-Comté", "03"),
    ("Tours", "37000", "Centre-Val de Loire", "02"),
    ("Orléans", "45000", "Centre-Val de Loire", "02"),
    ("Rouen", "76000", "Normandie", "02"),
    ("Caen", "14000", "Normandie", "02"),
)
# Numbers in the blocks ARCEP keeps for works of fiction, so that no demo number rings a real line.
FICTION_PHONE_BLOCKS = {
    "01": "01 99 00",
    "02": "02 61 91",
    "03": "03 53 01",
    "04": "04 65 71",
    "05": "05 36 49",
}

REGIONAL_STEMS = {
    "Bretagne": ("Armor", "Arvor", "Iroise", "Breizh"),
    "Pays de la Loire": ("Atlantique", "Anjou", "Vendée", "Loire"),
    "Auvergne-Rhône-Alpes": ("Rhône", "Alpes", "Dauphiné", "Savoie", "Léman", "Auvergne"),
    "Provence-Alpes-Côte d'Azur": ("Provence", "Mistral", "Azur", "Lubéron"),
    "Occitanie": ("Garonne", "Cévennes", "Pyrénées", "Occitane"),
    "Nouvelle-Aquitaine": ("Aquitaine", "Gascogne", "Océane", "Charente"),
    "Hauts-de-France": ("Flandre", "Opale", "Picardie"),
    "Grand Est": ("Lorraine", "Vosges", "Alsace", "Champagne"),
    "Île-de-France": ("Seine", "Lutèce", "Francilienne"),
    "Bourgogne-Franche-Comté": ("Jura", "Bourgogne", "Comté"),
    "Centre-Val de Loire": ("Touraine", "Sologne", "Val de Loire"),
    "Normandie": ("Normandie", "Cotentin", "Bocage"),
}
SURNAMES = (
    "Dupuis", "Martin", "Lefebvre", "Moreau", "Girard", "Lambert", "Bonnet", "Fontaine", "Rousseau",
    "Mercier", "Chevalier", "Garnier", "Perrin", "Morel", "Guérin", "Blanchard", "Le Goff", "Marchand",
    "Roussel", "Faure", "Vidal", "Barbier", "Renaud", "Colin",
)  # fmt: skip
TRADE_WORDS = (
    "Télécom", "Réseaux", "Connect", "IT Services", "Voix & Data", "Informatique", "Téléphonie",
    "Solutions IP", "Systèmes", "Networks", "Télécom Services", "Cloud", "Intégration", "Com",
)  # fmt: skip
LEGAL_FORMS = (("SAS", 50), ("SARL", 35), ("EURL", 15))
STREETS = (
    "rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Gambetta", "rue Pasteur",
    "rue de la Gare", "allée des Entrepreneurs", "rue de l'Innovation", "avenue du Général de Gaulle",
    "rue Émile Zola", "rue du Commerce", "impasse des Artisans", "rue des Frères Lumière", "place du Marché",
)  # fmt: skip
ADDRESS_LINES_2 = ("Bâtiment B", "ZA des Prés", "2e étage", "Parc d'activités du Moulin", "BP 41")

# A programme is mostly active partners, with a few waiting, paused or gone (40 partners per tenant).
STATUS_MIX = (
    (Partner.Status.APPLICANT, 3),
    (Partner.Status.SUSPENDED, 2),
    (Partner.Status.TERMINATED, 2),
)
AMBASSADOR_SHARE = 0.6
PLAN_WEIGHTS = (("operateur", 45), ("eshop", 35), ("eshop-manage", 20))
MANAGED_SHARES = tuple(Decimal(s) for s in ("2.00", "2.50", "3.00", "3.50", "4.00"))


def _with_luhn_key(body: str) -> str:
    """``body`` and the digit that makes it pass the Luhn check, as INSEE keys SIRENs and SIRETs."""
    return next(body + digit for digit in "0123456789" if luhn_valid(body + digit))


def _random_siren(rng: random.Random, taken: set[str]) -> str:
    while True:
        # Companies in the trade register have SIRENs starting with 3 to 9.
        siren = _with_luhn_key(rng.choice("3456789") + f"{rng.randrange(10**7):07d}")
        if siren not in taken and siren != LA_POSTE_SIREN:
            taken.add(siren)
            return siren


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


def deal(rng: random.Random, mix: dict, count: int) -> list:
    """``count`` values with exactly the proportions of ``mix`` (value: how many), in a shuffled order."""
    values = [value for value, n in mix.items() for _ in range(n)]
    rng.shuffle(values)
    return values[:count]


def demo_partners(spec: DemoTenant) -> list[dict]:
    """The tenant's demo partners as field values (type and plan by code); the same list on every call."""
    rng = random.Random(spec.seed)
    cities = {city[0]: city for city in CITIES}
    names = {row["trade_name"] for row in spec.showcase}
    sirens: set[str] = set()
    drawn = PARTNERS_PER_TENANT - len(spec.showcase)
    ambassadors = round(drawn * AMBASSADOR_SHARE)
    types = deal(rng, {"ambassadeur": ambassadors, "operateur": drawn - ambassadors}, drawn)
    others = sum(n for _, n in STATUS_MIX)
    statuses = deal(rng, {Partner.Status.ACTIVE: drawn - others, **dict(STATUS_MIX)}, drawn)
    partners = []
    for number in range(1, PARTNERS_PER_TENANT + 1):
        if number <= len(spec.showcase):
            row = dict(spec.showcase[number - 1])
            city, postal_code, region, zone = cities[row.pop("city")]
            trade_name, legal_form = row.pop("trade_name"), row.pop("legal_form")
        else:
            city, postal_code, region, zone = rng.choice(CITIES)
            while True:
                stem = rng.choice(REGIONAL_STEMS[region] if rng.random() < 0.5 else SURNAMES)
                trade_name = f"{stem} {rng.choice(TRADE_WORDS)}"
                if trade_name not in names:
                    names.add(trade_name)
                    break
            legal_form = _weighted(rng, LEGAL_FORMS)
            status = statuses[number - len(spec.showcase) - 1]
            row = {
                "address_line1": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                "address_line2": rng.choice(ADDRESS_LINES_2) if rng.random() < 0.3 else "",
                "partner_type": types[number - len(spec.showcase) - 1],
                "status": status,
                "date_joined": _random_date(rng, *JOINED_BY_STATUS.get(status, (JOINED_FROM, JOINED_UNTIL))),
            }
            if row["partner_type"] == "operateur":
                row["operator_plan"] = _weighted(rng, PLAN_WEIGHTS)
        plan = row.setdefault("operator_plan", None)
        siren = _random_siren(rng, sirens)
        row.update(
            external_ref=f"{spec.ref_prefix}-{number:05d}",
            legal_name=f"{trade_name} {legal_form}",
            trade_name=trade_name,
            siren=siren,
            siret=_with_luhn_key(siren + f"{rng.randint(1, 3):04d}"),  # head office NIC 0001–0003
            postal_code=postal_code,
            city=city,
            region=region,
            country="FR",
            phone=f"{FICTION_PHONE_BLOCKS[zone]} {rng.randrange(100):02d} {rng.randrange(100):02d}",
            # .demo is no real top-level domain: the demo can never e-mail a stranger.
            email=f"contact@{slugify(trade_name)}.demo",
            # The plan's fixed share where it has one (E-shop: 2 %); managed shops agree on 2–4 %.
            revenue_share={"eshop": Decimal("2.00"), "eshop-manage": rng.choice(MANAGED_SHARES)}.get(plan),
            preferred_language="fr",
        )
        partners.append(row)
    return partners


def demo_accounts() -> list[dict]:
    """The demo accounts as the command's summary shows them: e-mail, profile and where to sign in."""
    names = {s.slug: s for s in TENANTS}
    type_names = {row["code"]: row["name"] for row in PARTNER_TYPES}
    plan_names = {row["code"]: row["name"] for row in OPERATOR_PLANS}
    partners = {p["external_ref"]: p for s in TENANTS for p in demo_partners(s)[: len(s.showcase)]}
    rows = []
    for account in ACCOUNTS:
        if account.tenant is None:
            profile = "platform superuser (every tenant)"
            hosts = [s.host for s in TENANTS]
        else:
            spec = names[account.tenant]
            hosts = [spec.host]
            if account.role == Membership.Role.MANAGER:
                profile = f"partner manager, {spec.name}"
            else:
                partner = partners[account.partner_ref]
                plan = partner["operator_plan"]
                kind = plan_names[plan] if plan else type_names[partner["partner_type"]]
                profile = f"{account.role} of {partner['trade_name']} ({spec.name}, {kind})"
        urls = [f"http://{host}:{DEMO_PORT}/" for host in hosts]
        if account.is_staff:
            urls = [f"{url}admin/" for url in urls] if account.is_superuser else urls + [f"{urls[0]}admin/"]
        rows.append({"email": account.email, "profile": profile, "urls": urls})
    return rows


# Advance widths of Helvetica Bold (per 1000 em) of the wordmarks' letters; others count as 600.
GLYPH_WIDTHS = {"d": 611, "s": 556, "t": 333, "n": 611, "y": 556, ".": 278, "O": 778, "p": 611, "e": 556}
GLYPH_WIDTHS |= {"I": 278, "P": 667}


def _logo_svg(spec: DemoTenant) -> str:
    """A plain wordmark. ``textLength`` pins its width, so that it fits its box whatever font the browser
    substitutes (an SVG shown by ``<img>`` loads no web font)."""
    size, pad = 36, 8
    text = "".join(text for text, _ in spec.wordmark)
    width = round(sum(GLYPH_WIDTHS.get(char, 600) for char in text) * size / 1000)
    colours = {"primary": spec.primary_colour, "accent": spec.accent_colour}
    spans = "".join(f'<tspan fill="{colours[c]}">{escape(t)}</tspan>' for t, c in spec.wordmark)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width + 2 * pad} 48" width="{width + 2 * pad}" '
        f'height="48" role="img" aria-label="{escape(spec.name)}"><title>{escape(spec.name)}</title>'
        f'<text x="{pad}" y="36" font-family="Helvetica, Arial, sans-serif" font-size="{size}" '
        f'font-weight="700" textLength="{width}" lengthAdjust="spacingAndGlyphs">{spans}</text></svg>\n'
    )


Tally = defaultdict[str, Counter]


def sync(queryset: models.QuerySet, *, key: tuple[str, ...], rows: list[dict], tally: Tally, on_create=None):
    """Make ``queryset`` hold ``rows``, matched on the ``key`` fields; write only what is missing or differs.

    Existing rows are read in one query. A missing row is validated and saved; a differing one gets the new
    values, is validated and saved; an identical one is left alone, so that ``auto_now`` fields and password
    hashes do not change. Rows are saved one by one rather than in bulk so that ``save()`` overrides and
    signals run as they do in the portal. Returns the objects by key value (a tuple for a composite key).
    """
    model = queryset.model
    fields = {name: model._meta.get_field(name) for row in rows[:1] for name in row}

    def plain(name, value):
        return value.pk if fields[name].is_relation and value is not None else value

    existing = {
        tuple(getattr(obj, fields[name].attname) for name in key): obj
        for obj in queryset.filter(**{f"{key[0]}__in": [plain(key[0], row[key[0]]) for row in rows]})
    }
    objects, counts = {}, tally[model._meta.model_name]
    for row in rows:
        obj = existing.get(tuple(plain(name, row[name]) for name in key))
        if obj is None:
            obj = model(**row)
            if on_create is not None:
                on_create(obj)
            outcome = "created"
        else:
            changed = [n for n, v in row.items() if getattr(obj, fields[n].attname) != plain(n, v)]
            for name in changed:
                setattr(obj, name, row[name])
            outcome = "updated" if changed else "unchanged"
        counts[outcome] += 1
        if outcome != "unchanged":
            obj.full_clean()
            obj.save()
        objects[tuple(row[name] for name in key) if len(key) > 1 else row[key[0]]] = obj
    return objects


def _sync_users(tally: Tally) -> dict:
    """The demo people and their verified primary addresses; a password is set only on creation."""

    def set_demo_password(user):
        user.set_password(DEMO_PASSWORD)

    user_rows = [
        {
            "email": account.email,
            "first_name": account.first_name,
            "last_name": account.last_name,
            "is_staff": account.is_staff,
            "is_superuser": account.is_superuser,
            "is_active": True,
        }
        for account in ACCOUNTS
    ]
    users = sync(User.objects.all(), key=("email",), rows=user_rows, tally=tally, on_create=set_demo_password)
    # A verified primary address is what allauth checks at sign-in (ACCOUNT_EMAIL_VERIFICATION = "mandatory").
    address_rows = [
        {"user": user, "email": email, "verified": True, "primary": True} for email, user in users.items()
    ]
    sync(EmailAddress.objects.all(), key=("user", "email"), rows=address_rows, tally=tally)
    return users


def _sync_logo(tenant: Tenant, spec: DemoTenant, tally: Tally) -> None:
    """Give the tenant the wordmark, unless it has a logo already (perhaps one a manager uploaded)."""
    if tenant.logo:
        tally["logo"]["unchanged"] += 1
        return
    # The tenant has no logo, so a file at its deterministic path is an orphan (from an earlier database, a
    # rolled-back load, a logo cleared in the admin): replace it rather than pile up randomly suffixed copies.
    storage, name = tenant.logo.storage, tenant_upload_to(tenant, "logo.svg")
    if storage.exists(name):
        storage.delete(name)
    tenant.logo.save("logo.svg", ContentFile(_logo_svg(spec).encode()), save=False)
    tenant.save(update_fields=["logo"])
    tally["logo"]["created"] += 1


def _sync_tenant(spec: DemoTenant, users: dict, tally: Tally) -> tuple[Tenant, dict]:
    tenant_row = {
        "slug": spec.slug,
        "name": spec.name,
        "legal_name": spec.legal_name,
        "primary_colour": spec.primary_colour,
        "accent_colour": spec.accent_colour,
        "default_language": "fr",
        "currency": Tenant.Currency.EUR,
        "timezone": "Europe/Paris",
        # "Réévaluation des statuts tous les 6 mois" (both seeds, "Principes"), on 1 January and 1 July.
        "evaluation_period_months": 6,
        "evaluation_months": [1, 7],
    }
    tenant = sync(Tenant.objects.all(), key=("slug",), rows=[tenant_row], tally=tally)[spec.slug]
    domain_row = {"host": spec.host, "tenant": tenant, "is_primary": True}
    sync(TenantDomain.objects.all(), key=("host",), rows=[domain_row], tally=tally)
    _sync_logo(tenant, spec, tally)

    with tenant_scope(tenant):
        texts = {"vendor": spec.name, "app": spec.app}
        types = sync(
            PartnerType.objects.filter(tenant=tenant),
            key=("code",),
            rows=[
                {**row, "tenant": tenant, "description": row["description"].format(**texts)}
                for row in PARTNER_TYPES
            ],
            tally=tally,
        )
        plans = sync(
            OperatorPlan.objects.filter(tenant=tenant),
            key=("code",),
            rows=[
                {**row, "tenant": tenant, "description": row["description"].format(**texts)}
                for row in OPERATOR_PLANS
            ],
            tally=tally,
        )
        partner_rows = [
            {
                **row,
                "tenant": tenant,
                "partner_type": types[row["partner_type"]],
                "operator_plan": plans[row["operator_plan"]] if row["operator_plan"] else None,
                "channel_manager": users[spec.manager_email],
            }
            for row in demo_partners(spec)
        ]
        partners = sync(
            Partner.objects.filter(tenant=tenant), key=("external_ref",), rows=partner_rows, tally=tally
        )
        membership_rows = [
            {
                "tenant": tenant,
                "user": users[account.email],
                "partner": partners[account.partner_ref] if account.partner_ref else None,
                "role": account.role,
            }
            for account in ACCOUNTS
            if account.tenant == spec.slug
        ]
        sync(Membership.objects.filter(tenant=tenant), key=("user",), rows=membership_rows, tally=tally)
    return tenant, partners


def _writes(tally: Tally) -> tuple[int, int]:
    return sum(c["created"] for c in tally.values()), sum(c["updated"] for c in tally.values())


# The partners' e-mails about the tier changes of the demo's past evaluations are kept in memory, where
# they are lost at the end of the command: the console backend would print every message into load_demo's
# output. They are sent as each chunk of an evaluation commits (Celery's delay_on_commit, eager without a
# broker). With a broker (docker compose), the worker sends them with its own backend, to .demo addresses.
DEMO_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# What the eager tasks log ("Task … succeeded", kombu's "No hostname was supplied"), which would land in
# the middle of the summary; errors still show.
QUIET_LOGGERS = ("celery.app.trace", "kombu.connection")


@contextmanager
def _quiet(*names: str):
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@dataclass
class DemoContext:
    """What a step gets for one tenant: its data so far, and ``state`` to leave things to later steps."""

    tenant: Tenant
    spec: DemoTenant
    users: dict  # e-mail -> User
    partners: dict  # external_ref -> Partner
    tally: Tally
    state: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DemoStep:
    name: str
    run: Callable[[DemoContext], str]  # returns the progress line, without the tenant's name
    after: tuple[str, ...] = ()
    # A step that commits by itself (the grading engine commits chunk by chunk) runs outside a transaction.
    atomic: bool = True


_steps: dict[str, DemoStep] = {}


def register(name: str, *, after: tuple[str, ...] = (), atomic: bool = True):
    """Decorator for an app's demo step: ``@demo.register("benefits", after=("tiers.evaluations",))``.

    The step runs once per demo tenant, inside ``tenant_scope(tenant)``, after every step named in
    ``after`` that is registered (a step of a removed app is no dependency), and must be idempotent.
    """

    def decorator(run: Callable[[DemoContext], str]):
        _steps[name] = DemoStep(name, run, tuple(after), atomic)
        return run

    return decorator


def demo_steps() -> list[DemoStep]:
    """The registered steps in dependency order (registration order where there is no dependency)."""
    autodiscover_modules("demo")
    ordered: list[DemoStep] = []
    visiting: set[str] = set()

    def visit(step: DemoStep) -> None:
        if step in ordered:
            return
        if step.name in visiting:
            raise ValueError(f"Demo steps depend on each other in a circle at {step.name!r}.")
        visiting.add(step.name)
        for name in step.after:
            if name in _steps:
                visit(_steps[name])
        visiting.discard(step.name)
        ordered.append(step)

    for step in list(_steps.values()):
        visit(step)
    return ordered


def demo_load(*, stdout=None) -> dict:
    """Create or bring up to date the demo tenants, partners, accounts and every app's data; idempotent.

    ``stdout`` (a file-like object, e.g. a command's ``self.stdout``) gets one progress line per step;
    None keeps quiet. The core data (people, tenants, partner types and plans, partners, memberships) is
    written in one transaction, then each registered step (``register``) runs per tenant, in its own
    transaction unless it commits by itself (the tiers' evaluations, chunk by chunk): should one fail, what
    came before stays and the next run finishes the work. The tenant logo is written to the media storage,
    which no transaction covers. E-mails sent meanwhile (tier changes, claims) are kept in memory
    (``DEMO_EMAIL_BACKEND``).

    Returns ``{"created": {model: n}, "updated": {model: n}, "unchanged": {model: n}}``, keyed by model name
    (``tenant``, ``partner``, ``user``, ``revenueentry``, ``evaluation``, …, and ``logo``); a second run the
    same month creates and updates nothing.
    """

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message + "\n")

    def since(before: tuple[int, int]) -> str:
        created, updated = (now - then for now, then in zip(_writes(tally), before, strict=True))
        return f"created {created}, updated {updated}"

    tally: Tally = defaultdict(Counter)
    contexts = []
    with transaction.atomic():
        users = _sync_users(tally)
        created, updated = _writes(tally)
        say(f"Demo accounts: {len(users)} people (created {created}, updated {updated}).")
        for spec in TENANTS:
            before = _writes(tally)
            tenant, partners = _sync_tenant(spec, users, tally)
            say(
                f"{spec.name} (http://{spec.host}:{DEMO_PORT}/): {len(PARTNER_TYPES)} partner types, "
                f"{len(OPERATOR_PLANS)} operator plans, {PARTNERS_PER_TENANT} partners, "
                f"{sum(a.tenant == spec.slug for a in ACCOUNTS)} members ({since(before)})."
            )
            contexts.append(
                DemoContext(tenant=tenant, spec=spec, users=users, partners=partners, tally=tally)
            )
    with _quiet(*QUIET_LOGGERS), override_settings(EMAIL_BACKEND=DEMO_EMAIL_BACKEND):
        for step in demo_steps():
            for context in contexts:
                before = _writes(tally)
                with transaction.atomic() if step.atomic else nullcontext(), tenant_scope(context.tenant):
                    line = step.run(context)
                say(f"{context.spec.name} {line} ({since(before)}).")
    return {
        outcome: {model: counts[outcome] for model, counts in tally.items()}
        for outcome in ("created", "updated", "unchanged")
    }
