"""Demo data of the leads app: product lines, a few partners' declared zones, and leads in every state.

A step of ``partnerportal.demo`` run per tenant after the benefits (the lead benefit) and the tiers'
history (who is Business or Premium now). Idempotent like the others: rows are matched on natural keys
(product line code, partner, customer, lead and partner) and written only when missing or different;
dates are days before the tenant's today, so loading again the same day writes nothing. The demo's
premium partner (premium@dstny.demo) holds a lead in each state a partner sees, so its "Leads" page shows
them all; the other held leads go to the other eligible partners, in routing's order.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from partnerportal import demo
from partnerportal.demo import DemoContext, sync
from partnerportal.geography import BY_CODE, departement_of_postal_code

from . import routing
from .models import Lead, LeadCoverage, LeadOffer, ProductLine

PRODUCT_LINES = (
    ("sip-trunk", "SIP Trunk", 1),
    ("metacentrex", "MetaCentrex", 2),
    ("data", "Data (liens fibre, SDSL)", 3),
    ("ipbx", "IPBX / standard téléphonique", 4),
)
SHOWCASE_REF = {"dstny": "DST-00003", "openip": "OIP-00001"}
S = Lead.State

# (customer, contact, e-mail, phone, postal code, town, product lines, monthly value, source, state,
#  days ago, holder: "showcase" | "other" | None, won value or lost reason)
LEADS = (
    (
        "Boulangeries Le Goff",
        "Annaïg Le Goff",
        "a.legoff@boulangeries-legoff.demo",
        "02 99 00 11 01",
        "35000",
        "Rennes",
        ("sip-trunk",),
        "180",
        "website",
        S.NEW,
        0,
        None,
        None,
    ),
    (
        "Cabinet Guillou Avocats",
        "Pierre Guillou",
        "p.guillou@guillou-avocats.demo",
        "02 40 00 11 02",
        "44000",
        "Nantes",
        ("metacentrex",),
        "320",
        "event",
        S.OFFERED,
        0,
        "showcase",
        None,
    ),
    (
        "Clinique vétérinaire de l'Erdre",
        "Sophie Morin",
        "s.morin@veto-erdre.demo",
        "02 40 00 11 03",
        "44300",
        "Nantes",
        ("sip-trunk", "data"),
        "540",
        "campaign",
        S.OFFERED,
        1,
        "showcase",
        None,
    ),
    (
        "Transports Bréhat",
        "Loïc Bréhat",
        "l.brehat@transports-brehat.demo",
        "02 96 00 11 04",
        "22000",
        "Saint-Brieuc",
        ("data",),
        "410",
        "phone",
        S.ACCEPTED,
        3,
        "showcase",
        None,
    ),
    (
        "Agence immobilière Océane",
        "Claire Dubois",
        "c.dubois@agence-oceane.demo",
        "02 51 00 11 05",
        "85000",
        "La Roche-sur-Yon",
        ("metacentrex", "ipbx"),
        "260",
        "website",
        S.CONTACTED,
        8,
        "showcase",
        None,
    ),
    (
        "Menuiserie Kerjean",
        "Yves Kerjean",
        "y.kerjean@menuiserie-kerjean.demo",
        "02 98 00 11 06",
        "29200",
        "Brest",
        ("sip-trunk",),
        "150",
        "referral",
        S.QUOTED,
        15,
        "showcase",
        None,
    ),
    (
        "Hôtel des Remparts",
        "Nathalie Perrin",
        "n.perrin@hotel-remparts.demo",
        "02 97 00 11 07",
        "56000",
        "Vannes",
        ("sip-trunk", "ipbx"),
        "620",
        "event",
        S.WON,
        40,
        "showcase",
        "590",
    ),
    (
        "Garage Moreau",
        "Julien Moreau",
        "j.moreau@garage-moreau.demo",
        "02 41 00 11 08",
        "49000",
        "Angers",
        ("data",),
        "120",
        "website",
        S.LOST,
        35,
        "showcase",
        "Le client garde son opérateur actuel.",
    ),
    (
        "Pharmacie du Vieux Port",
        "Élodie Faure",
        "e.faure@pharmacie-vieuxport.demo",
        "04 91 00 11 09",
        "13002",
        "Marseille",
        ("sip-trunk",),
        "140",
        "website",
        S.OFFERED,
        1,
        "other",
        None,
    ),
    (
        "Lycée privé Saint-Exupéry",
        "Marc Lefebvre",
        "m.lefebvre@st-exupery.demo",
        "04 72 00 11 10",
        "69003",
        "Lyon",
        ("metacentrex", "data"),
        "980",
        "campaign",
        S.ACCEPTED,
        6,
        "other",
        None,
    ),
    (
        "Imprimerie Delmas",
        "Henri Delmas",
        "h.delmas@imprimerie-delmas.demo",
        "05 61 00 11 11",
        "31000",
        "Toulouse",
        ("ipbx",),
        "230",
        "phone",
        S.WON,
        60,
        "other",
        "250",
    ),
    (
        "Cave coopérative des Corbières",
        "Anne Vidal",
        "a.vidal@cave-corbieres.demo",
        "04 68 00 11 12",
        "11200",
        "Lézignan-Corbières",
        ("data",),
        "310",
        "event",
        S.LOST,
        50,
        "other",
        "Projet reporté à l'an prochain.",
    ),
    (
        "Mairie de Saint-Pierre",
        "Bernard Hoarau",
        "b.hoarau@mairie-saintpierre.demo",
        "02 62 00 11 13",
        "97410",
        "Saint-Pierre",
        ("sip-trunk",),
        "450",
        "website",
        S.UNROUTED,
        4,
        None,
        None,
    ),
    (
        "Camping Les Pins",
        "Isabelle Roux",
        "i.roux@camping-lespins.demo",
        "04 95 00 11 14",
        "20000",
        "Ajaccio",
        ("data",),
        "90",
        "campaign",
        S.UNROUTED,
        9,
        None,
        None,
    ),
)


def _at(day: dt.date, tz: ZoneInfo, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz)


@demo.register("leads", after=("benefits", "tiers.evaluations"))
def leads_demo_load(context: DemoContext) -> str:
    tenant, tally = context.tenant, context.tally
    tz, today = ZoneInfo(tenant.timezone), tenant.today()
    lines = sync(
        ProductLine.objects.filter(tenant=tenant),
        key=("code",),
        rows=[{"tenant": tenant, "code": c, "name": n, "position": p} for c, n, p in PRODUCT_LINES],
        tally=tally,
    )
    showcase = context.partners.get(SHOWCASE_REF.get(context.spec.slug, ""))
    if showcase is not None:
        sync(
            LeadCoverage.objects.filter(tenant=tenant),
            key=("partner",),
            rows=[
                {
                    "tenant": tenant,
                    "partner": showcase,
                    "regions": ["Bretagne", "Pays de la Loire"],
                    "departements": [],
                }
            ],
            tally=tally,
        )
    pool = routing.candidates(tenant=tenant)
    by_pk = {p.pk: p for p in context.partners.values()}
    eligible = {c.partner_id for c in pool}
    holder_of_showcase = showcase if showcase is not None and showcase.pk in eligible else None
    lead_rows, plan = [], []
    for (
        customer,
        contact,
        email,
        phone,
        postal,
        city,
        codes,
        value,
        source,
        state,
        days,
        holder,
        outcome,
    ) in LEADS:
        code = departement_of_postal_code(postal)
        created = _at(today - dt.timedelta(days=days), tz)
        row = {
            "tenant": tenant,
            "customer": customer,
            "contact_name": contact,
            "contact_email": email,
            "contact_phone": phone,
            "postal_code": postal,
            "city": city,
            "departement": code,
            "region": BY_CODE[code].region,
            "monthly_value": Decimal(value),
            "source": source,
            "state": state,
            "created_at": created,
            "partner": None,
            "accepted_at": None,
            "contacted_at": None,
            "quoted_at": None,
            "closed_at": None,
            "won_value": None,
            "lost_reason": "",
            "unrouted_at": _at(today - dt.timedelta(days=days), tz, 10) if state == S.UNROUTED else None,
            "unrouted_notified_at": _at(today - dt.timedelta(days=days), tz, 10)
            if state == S.UNROUTED
            else None,
        }
        partner_id = None
        if holder == "showcase" and holder_of_showcase is not None:
            partner_id = holder_of_showcase.pk
        elif holder is not None:
            best = routing.ranked(
                pool,
                departement=code,
                region=BY_CODE[code].region,
                product_line_ids={lines[c].pk for c in codes},
                excluded={holder_of_showcase.pk} if holder_of_showcase else set(),
            )
            partner_id = best[0].partner_id if best else None
        if holder is not None and partner_id is None:
            row["state"] = state = S.NEW  # no partner can hold it in this tenant's demo
        if partner_id is not None:
            row["partner"] = by_pk[partner_id]
            if state in Lead.ACCEPTED_STATES:
                row["accepted_at"] = created + dt.timedelta(hours=5)
            if state in (S.CONTACTED, S.QUOTED, S.WON, S.LOST):
                row["contacted_at"] = created + dt.timedelta(days=1)
            if state in (S.QUOTED, S.WON):
                row["quoted_at"] = created + dt.timedelta(days=4)
            if state in Lead.CLOSED_STATES:
                row["closed_at"] = created + dt.timedelta(days=20)
            if state == S.WON:
                row["won_value"] = Decimal(outcome)
            if state == S.LOST:
                row["lost_reason"] = outcome
        lead_rows.append(row)
        plan.append((customer, codes, state, partner_id, created))
    leads = sync(Lead.objects.filter(tenant=tenant), key=("customer",), rows=lead_rows, tally=tally)
    offer_rows = []
    hours = dt.timedelta(hours=settings.LEAD_ACCEPT_HOURS)
    for customer, codes, state, partner_id, created in plan:
        lead = leads[customer]
        lead.product_lines.set([lines[c] for c in codes])
        if partner_id is None:
            continue
        offered = created + dt.timedelta(minutes=15)
        if state == S.OFFERED:
            # Offered this morning, so that the offer is still open whenever the demo is loaded that day.
            offered = _at(today, tz, 8)
        offer_rows.append(
            {
                "tenant": tenant,
                "lead": lead,
                "partner": by_pk[partner_id],
                "state": LeadOffer.State.OPEN if state == S.OFFERED else LeadOffer.State.ACCEPTED,
                "how": LeadOffer.How.ROUTED,
                "offered_at": offered,
                "expires_at": offered + hours,
                "answered_at": None if state == S.OFFERED else offered + dt.timedelta(hours=5),
                "notified_at": offered,
            }
        )
    sync(LeadOffer.objects.filter(tenant=tenant), key=("lead", "partner"), rows=offer_rows, tally=tally)
    counts = {s: sum(1 for p in plan if p[2] == s) for s in S.values}
    return "leads: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
