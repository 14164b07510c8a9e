"""Demo data of the promotions app: the price list and the seed's promotions, for both tenants.

Seed 000 (OpenIP) lists the promotions per tier and partner type; seed 002 (Dstny, formerly OpenIP) only
says Access partners get "les promos Dstny", so both tenants get the same catalogue and promotions, and the
demo accounts of either can try the calculator. Prices the seeds state are marked as such; the others are
plausible values flagged ``demo_value`` (the back-office shows which). A few quotes are saved for the
showcase partners so that "Mes devis" is not empty; loading again writes nothing.
"""

import datetime as dt
from decimal import Decimal

from partnerportal import demo
from partnerportal.demo import ACCOUNTS, DemoContext, sync
from partnerportal.models import PartnerType
from tiers.models import Tier

from . import services
from .models import OrderFlag, Product, ProductPrice, Promotion, PromotionRule, Quote
from .selectors import BasketError

U, B = Product.Unit, Product.Billing
AMB, OPE = "ambassadeur", "operateur"


def _p(code, name, family, unit, billing, prices, *, sub="", demo_value=True, description=""):
    return {
        "code": code,
        "name": name,
        "family": family,
        "subfamily": sub,
        "unit": unit,
        "billing": billing,
        "prices": prices,
        "demo_value": demo_value,
        "description": description,
    }


# (code, name, family, unit, billing, {type: list price}); demo_value=False where the seed states the price.
PRODUCTS = (
    _p(
        "SIP-TOUCH",
        "SIP Trunk Touch",
        "sip_trunk",
        U.MONTHLY,
        B.MONTHLY,
        {AMB: "27.00", OPE: "22.00"},
        description="Prix Ambassadeur du seed : 27 € HT ; prix Opérateur de démonstration.",
    ),
    _p(
        "SIP-CANAL",
        "Canal SIP Trunk",
        "channel",
        U.PER_CHANNEL,
        B.MONTHLY,
        {AMB: "1.50", OPE: "1.50"},
        demo_value=False,
    ),
    _p(
        "SIP-VOLUME",
        "Offre volume SIP Trunk Touch",
        "sip_trunk",
        U.MONTHLY,
        B.MONTHLY,
        {OPE: "100.00"},
        demo_value=False,
        description="Souscription mensuelle réservée aux Opérateurs Business.",
    ),
    _p(
        "METACENTREX",
        "MetaCentrex (par poste)",
        "metacentrex",
        U.MONTHLY,
        B.MONTHLY,
        {AMB: "12.00", OPE: "9.50"},
    ),
    _p("VOIP-LIGNE", "Ligne VoIP", "voip_uc", U.MONTHLY, B.MONTHLY, {AMB: "15.00", OPE: "12.00"}, sub="voip"),
    _p(
        "UC-UTILISATEUR",
        "Communications unifiées (par utilisateur)",
        "voip_uc",
        U.MONTHLY,
        B.MONTHLY,
        {AMB: "8.00", OPE: "6.50"},
        sub="uc",
    ),
    _p(
        "SDSL-4M",
        "Lien SDSL 4 Mb/s",
        "data_link",
        U.MONTHLY,
        B.MONTHLY,
        {AMB: "149.00", OPE: "119.00"},
        sub="sdsl",
    ),
    _p(
        "FIBRE-100M",
        "Fibre dédiée FTTO 100 Mb/s",
        "data_link",
        U.MONTHLY,
        B.MONTHLY,
        {AMB: "390.00", OPE: "320.00"},
        sub="fibre",
    ),
    _p(
        "FTTH-PRO",
        "Fibre FTTH Pro 1 Gb/s",
        "data_link",
        U.MONTHLY,
        B.MONTHLY,
        {AMB: "59.00", OPE: "45.00"},
        sub="ftth",
    ),
    _p(
        "VM-S", "Machine virtuelle S (2 vCPU, 4 Go)", "vm", U.MONTHLY, B.MONTHLY, {AMB: "35.00", OPE: "28.00"}
    ),
    _p(
        "PORTABILITE",
        "Portabilité d'un numéro",
        "portability",
        U.PER_NUMBER,
        B.ONE_OFF,
        {AMB: "9.00", OPE: "5.00"},
        demo_value=False,
    ),
    _p(
        "MINUTES-1000",
        "Pack 1 000 minutes fixe et mobile",
        "minutes",
        U.MONTHLY,
        B.MONTHLY,
        {AMB: "18.00", OPE: "15.00"},
    ),
    _p(
        "FAS",
        "Frais d'accès aux services",
        "access_fee",
        U.ONE_OFF,
        B.ONE_OFF,
        {AMB: "150.00", OPE: "120.00"},
    ),
    _p(
        "BIZBOOSTER",
        "Kit BizBooster (e-mailing ou kit print)",
        "bizbooster",
        U.ONE_OFF,
        B.ONE_OFF,
        {AMB: "500.00", OPE: "500.00"},
        demo_value=False,
        description="Création d'un e-mailing, ou 500 flyers, 500 plaquettes et 1 kakémono.",
    ),
)

FLAGS = (
    {
        "code": "migration-vga",
        "name": "Projet de migration d'un parc VGA",
        "description": "Le client remplace un parc de passerelles VGA par des services IP.",
    },
)

VOIP = "sip_trunk, metacentrex, voip_uc/voip"  # "une offre VoIP"
VOIP_OR_UC = "sip_trunk, metacentrex, voip_uc"  # "une offre VoIP ou Com'Unifiées"


def _promo(code, title, tier, types, rules, *, description="", basis="", minimum=None, stackable=True):
    return {
        "code": code,
        "title": title,
        "tier": tier,
        "types": types,
        "rules": rules,
        "description": description,
        "basis": basis,
        "minimum": minimum,
        "stackable": stackable,
    }


def _rule(kind, targets, **fields):
    return {"kind": kind, "targets": targets, **fields}


K = PromotionRule.Kind
ORDERS, GRADED = Promotion.QuarterBasis.ORDERS, Promotion.QuarterBasis.GRADED

# Seed 000, "PROMOS OPENIP". Starter & Access promotions are cumulative ("Les 3 offres sont cumulables !");
# the portability grids of Business and Premium are alternative price lists: they do not combine, and the
# engine gives the better one. The back-margin on VoIP revenue is a benefit, not a price (benefits app).
PROMOTIONS = (
    _promo(
        "sip-touch-1999",
        "SIP Trunk Touch à 19,99 € HT",
        "starter",
        (AMB,),
        [
            _rule(
                K.FIXED_PRICE,
                "SIP-TOUCH",
                unit_price="19.99",
                conditions="quantity channel > 4\nhas data_link",
                match=PromotionRule.Match.ANY,
            )
        ],
        description="Au lieu de 27 € HT, si plus de 4 canaux ou si les liens Data sont chez nous.",
    ),
    _promo(
        "data-voip-10",
        "10 % sur les liens Data avec une offre VoIP ou Com'Unifiées",
        "starter",
        (AMB, OPE),
        [_rule(K.PERCENT_OFF, "data_link", percent="10", conditions=f"has {VOIP_OR_UC}")],
        description="Pour toute souscription à une offre VoIP ou de communications unifiées.",
    ),
    _promo(
        "vm-voip-30",
        "30 % sur les VM avec une offre VoIP",
        "starter",
        (AMB, OPE),
        [_rule(K.PERCENT_OFF, "vm", percent="30", conditions=f"has {VOIP}")],
        description="Pour toute souscription à une offre VoIP.",
    ),
    _promo(
        "porta-business-amb",
        "Portabilités : grille préférentielle Business",
        "business",
        (AMB,),
        [_rule(K.PRICE_GRID, "portability", steps="10 = 7.00\n30 = 5.00")],
        description="Plus de 10 numéros : 7 € HT au lieu de 9 € HT ; plus de 30 numéros : 5 € HT.",
        basis=ORDERS,
        minimum="600",
        stackable=False,
    ),
    _promo(
        "porta-business-ope",
        "Portabilités : grille préférentielle Business",
        "business",
        (OPE,),
        [_rule(K.PRICE_GRID, "portability", steps="10 = 4.00\n30 = 3.00")],
        description="Plus de 10 numéros : 4 € HT au lieu de 5 € HT ; plus de 30 numéros : 3 € HT.",
        basis=GRADED,
        minimum="1500",
        stackable=False,
    ),
    _promo(
        "sip-volume",
        "Offre volume SIP Trunk Touch",
        "business",
        (OPE,),
        [
            _rule(K.UNLOCKED_PRICE, "channel", unit_price="0.50", unlocked_by="SIP-VOLUME"),
            _rule(K.PRICE_GRID, "minutes", steps="10 = 13.50\n50 = 12.00", conditions="has SIP-VOLUME"),
        ],
        description=(
            "Souscription de 100 € HT / mois : canaux à 0,50 € HT au lieu de 1,50 € HT et grille minutes "
            "volume (paliers de démonstration)."
        ),
        basis=GRADED,
        minimum="1500",
    ),
    _promo(
        "fas-migration-vga",
        "Frais d'accès aux services offerts pour une migration VGA",
        "business",
        (OPE,),
        [_rule(K.FEE_WAIVER, "access_fee", flag="migration-vga")],
        description="Pour un projet de migration d'un parc VGA.",
        basis=GRADED,
        minimum="1500",
    ),
    _promo(
        "porta-premium-amb",
        "Portabilités à 5 € HT",
        "premium",
        (AMB,),
        [_rule(K.FIXED_PRICE, "portability", unit_price="5.00")],
        description="Au lieu de 9 € HT, quel que soit le nombre de numéros.",
        basis=ORDERS,
        minimum="800",
        stackable=False,
    ),
    _promo(
        "porta-premium-ope",
        "Portabilités à 3 € HT",
        "premium",
        (OPE,),
        [_rule(K.FIXED_PRICE, "portability", unit_price="3.00")],
        description="Au lieu de 5 € HT, quel que soit le nombre de numéros.",
        basis=GRADED,
        minimum="2000",
        stackable=False,
    ),
    _promo(
        "sdsl-premium",
        "Remise exceptionnelle sur les grilles SDSL",
        "premium",
        (OPE,),
        [_rule(K.PERCENT_OFF, "data_link/sdsl", percent="15")],
        description="Taux de démonstration : le seed ne chiffre pas la remise.",
        basis=GRADED,
        minimum="2000",
    ),
    _promo(
        "fibre-premium-5",
        "5 % supplémentaires sur la fibre (hors FTTH)",
        "premium",
        (OPE,),
        [_rule(K.PERCENT_OFF, "data_link", percent="5", excluded="data_link/sdsl, data_link/ftth")],
        description="En plus des autres remises sur les liens Data.",
        basis=GRADED,
        minimum="2000",
    ),
    _promo(
        "minutes-premium",
        "Paliers dégressifs sur le volume de minutes",
        "premium",
        (OPE,),
        [_rule(K.PRICE_GRID, "minutes", steps="20 = 13.00\n100 = 11.00")],
        description="Paliers de démonstration, par pack de 1 000 minutes.",
        basis=GRADED,
        minimum="2000",
        stackable=False,
    ),
)

# Quotes saved for the showcase partners: (partner ref, title, basket, flags).
QUOTES = (
    (
        "DST-00001",
        "Cabinet Morel : téléphonie et lien fibre",
        (("SIP-TOUCH", 1), ("SIP-CANAL", 6), ("FIBRE-100M", 1), ("PORTABILITE", 12), ("FAS", 1)),
        (),
    ),
    (
        "DST-00003",
        "Groupe scolaire Saint-Exupéry",
        (("SIP-TOUCH", 2), ("SIP-CANAL", 20), ("VM-S", 2), ("SDSL-4M", 1), ("PORTABILITE", 35)),
        (),
    ),
    (
        "DST-00002",
        "Migration VGA : Transports Leroux",
        (("SIP-VOLUME", 1), ("SIP-CANAL", 30), ("MINUTES-1000", 12), ("FAS", 1), ("PORTABILITE", 40)),
        ("migration-vga",),
    ),
    (
        "OIP-00001",
        "Clinique du Parc : MetaCentrex",
        (("METACENTREX", 25), ("FIBRE-100M", 1), ("VM-S", 1), ("PORTABILITE", 25)),
        (),
    ),
)

ADMINS = {a.partner_ref: a.email for a in ACCOUNTS if a.partner_ref and a.role == "admin"}


def seed_catalogue_sync(*, tenant, types: dict, tiers: dict, tally, year_start: dt.date) -> dict:
    """Write the seed's products, prices, order flags and promotions into ``tenant``; idempotent.

    ``types`` maps the demo's partner type codes (``ambassadeur``, ``operateur``) to the tenant's types and
    ``tiers`` the tier codes to its tiers (tests load the same data into their own programme). Returns the
    promotions by code.
    """
    products = sync(
        Product.objects.filter(tenant=tenant),
        key=("code",),
        rows=[
            {k: v for k, v in row.items() if k != "prices"} | {"tenant": tenant, "position": i * 10}
            for i, row in enumerate(PRODUCTS, start=1)
        ],
        tally=tally,
    )
    sync(
        ProductPrice.objects.filter(tenant=tenant),
        key=("product", "partner_type"),
        rows=[
            {
                "tenant": tenant,
                "product": products[row["code"]],
                "partner_type": types[t],
                "list_price": Decimal(price),
            }
            for row in PRODUCTS
            for t, price in row["prices"].items()
            if t in types
        ],
        tally=tally,
    )
    flags = sync(
        OrderFlag.objects.filter(tenant=tenant),
        key=("code",),
        rows=[{**row, "tenant": tenant, "position": i} for i, row in enumerate(FLAGS, start=1)],
        tally=tally,
    )
    promotions = sync(
        Promotion.objects.filter(tenant=tenant),
        key=("code",),
        rows=[
            {
                "tenant": tenant,
                "code": row["code"],
                "title": row["title"],
                "description": row["description"],
                "min_tier": tiers[row["tier"]],
                "valid_from": year_start,
                "quarter_basis": row["basis"],
                "quarter_minimum": Decimal(row["minimum"]) if row["minimum"] else None,
                "stackable": row["stackable"],
                "position": i * 10,
            }
            for i, row in enumerate(PROMOTIONS, start=1)
        ],
        tally=tally,
    )
    for row in PROMOTIONS:
        promotion = promotions[row["code"]]
        wanted = {types[t].pk for t in row["types"] if t in types}
        if set(promotion.partner_types.values_list("pk", flat=True)) != wanted:
            promotion.partner_types.set(wanted)
    sync(
        PromotionRule.objects.filter(tenant=tenant),
        key=("promotion", "position"),
        rows=[
            {
                "tenant": tenant,
                "promotion": promotions[row["code"]],
                "position": position,
                "kind": rule["kind"],
                "targets": rule["targets"],
                "excluded": rule.get("excluded", ""),
                "conditions": rule.get("conditions", ""),
                "match": rule.get("match", PromotionRule.Match.ALL),
                "unit_price": Decimal(rule["unit_price"]) if "unit_price" in rule else None,
                "percent": Decimal(rule["percent"]) if "percent" in rule else None,
                "steps": rule.get("steps", ""),
                "unlocked_by": products[rule["unlocked_by"]] if "unlocked_by" in rule else None,
                "flag": flags[rule["flag"]] if "flag" in rule else None,
            }
            for row in PROMOTIONS
            for position, rule in enumerate(row["rules"], start=1)
        ],
        tally=tally,
    )
    return promotions


@demo.register("promos", after=("tiers.evaluations",))
def promos_demo_load(context: DemoContext) -> str:
    tenant, tally = context.tenant, context.tally
    seed_catalogue_sync(
        tenant=tenant,
        types={t.code: t for t in PartnerType.objects.filter(tenant=tenant)},
        tiers={t.code: t for t in Tier.objects.filter(tenant=tenant)},
        tally=tally,
        year_start=dt.date(tenant.today().year, 1, 1),
    )
    saved = 0
    for ref, title, basket, flag_codes in QUOTES:
        partner = context.partners.get(ref)
        if partner is None or Quote.objects.filter(partner=partner, title=title).exists():
            continue
        admin = context.users.get(ADMINS.get(ref, ""))
        try:
            services.quote_create(
                partner=partner, by=admin, quantities=list(basket), flags=flag_codes, title=title
            )
        except BasketError:  # a product not sold to this partner's type
            continue
        saved += 1
    tally["quote"]["created"] += saved
    return f"promotions: {len(PRODUCTS)} products, {len(PROMOTIONS)} promotions, {saved} quotes saved"
