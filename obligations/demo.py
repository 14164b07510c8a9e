"""Demo duties: every duty of the seeds (000 OpenIP, 002 Dstny, "DEVOIRS") for both tenants, fulfilments in
various states, plans and forecasts for the demo accounts, and a partner held back by an overdue charter.

Idempotent like the rest of the demo: the catalogue and the fulfilments are synced on natural keys, the
states come from a ``random.Random`` seeded per tenant and from fixed dates (never from the day it runs),
and the demo evidence PDF is written once under a fixed name in the private storage.
"""

import datetime as dt
import random
from decimal import Decimal

from django.core.files.base import ContentFile

from partnerportal import demo
from partnerportal.demo import DemoContext, sync
from partnerportal.models import OperatorPlan, PartnerType
from tiers.models import PartnerTier, Tier
from tiers.selectors import partner_status

from .models import (
    Category,
    DevelopmentPlan,
    Duty,
    DutyFulfilment,
    EvidenceKind,
    FulfilmentState,
    PlanObjective,
    ProductLine,
    Profile,
    Recurrence,
    SalesForecast,
)
from .services import duties_sync, duty_periods_roll
from .storage import private_storage

ALL = ("starter", "access", "business", "premium")
FROM_ACCESS = ("access", "business", "premium")
FROM_BUSINESS = ("business", "premium")
LINES = {ProductLine.SIP_TRUNK: "Trunk SIP", ProductLine.METACENTREX: "MetaCentrex", ProductLine.DATA: "Data"}


def _duty(code, title, category, tiers, *, evidence=EvidenceKind.DOCUMENT, **extra) -> dict:
    return {"code": code, "title": title, "category": category, "tiers": tiers, "evidence": evidence, **extra}


def catalogue(app: str) -> list[dict]:
    """The seeds' duties. A duty of a lower tier stays at the tiers above (a Business partner that entered
    the programme there still signs the charter; trainings done once stay done)."""
    duties = [
        # Starter, "Documents attendus".
        _duty("fiche-qualification", "Fiche de qualification", Category.DOCUMENT, ALL, due_days=30),
        _duty(
            "plan-developpement",
            "Plan de développement personnalisé",
            Category.DOCUMENT,
            ALL,
            evidence=EvidenceKind.PLAN,
            recurrence=Recurrence.YEARLY,
            due_days=60,
            description="Vos objectifs trimestriels par gamme d'offres, à tenir à jour dans le portail.",
        ),
        _duty("charte", "Charte partenaire signée", Category.DOCUMENT, ALL, due_days=30, blocking=True),
        _duty(
            "contrat-ambassadeur",
            "Contrat de partenariat Ambassadeurs signé",
            Category.DOCUMENT,
            ALL,
            types=("ambassadeur",),
            due_days=30,
            blocking=True,
        ),
        _duty(
            "cgas",
            "CGAS Opérateurs signées",
            Category.DOCUMENT,
            ALL,
            types=("operateur",),
            due_days=30,
            blocking=True,
            description="Conditions générales d'accès aux services, signées.",
        ),
        # Starter, "Formations".
        _duty(
            "webinars-operateurs",
            "3 webinars obligatoires Opérateurs",
            Category.TRAINING,
            ALL,
            evidence=EvidenceKind.TRAINING,
            types=("operateur",),
            format="webinar",
            count=3,
            due_days=90,
        ),
        _duty(
            "formation-eshop",
            f"Formation présentielle au module e-Shop {app}",
            Category.TRAINING,
            ALL,
            evidence=EvidenceKind.TRAINING,
            types=("operateur",),
            plans=("eshop", "eshop-manage"),
            format="on_site",
            due_days=60,
            description=f"Obligatoire pour les Opérateurs qui utilisent le module e-Shop de {app}.",
        ),
        _duty(
            "webinar-offre",
            "1 webinar sur l'offre que vous vendez (Trunk SIP, MetaCentrex ou Data)",
            Category.TRAINING,
            ALL,
            evidence=EvidenceKind.TRAINING,
            format="webinar",
            due_days=90,
        ),
        # Sales, every tier.
        _duty(
            "previsions-ventes",
            "Prévisions des ventes du trimestre",
            Category.SALES,
            ALL,
            evidence=EvidenceKind.FORECAST,
            recurrence=Recurrence.QUARTERLY,
            due_days=20,
            description="Respect des objectifs et prévisions des ventes : votre prévision par gamme, chaque trimestre.",
        ),
        _duty(
            "suivi-plan",
            "Suivi et mise à jour du plan de développement",
            Category.SALES,
            ALL,
            evidence=EvidenceKind.CONFIRMATION,
            recurrence=Recurrence.YEARLY,
            due_days=334,
            description="Revue annuelle du plan avec votre commercial dédié, qui la confirme.",
        ),
        # Access, "Formation obligatoire en ligne selon profil & offres".
        _duty(
            "en-ligne-admin",
            f"Formation en ligne {app} (profil admin)",
            Category.TRAINING,
            FROM_ACCESS,
            evidence=EvidenceKind.TRAINING,
            format="online",
            profile=Profile.ADMIN,
            due_days=90,
        ),
    ]
    for profile, label in ((Profile.SALES, "vente"), (Profile.TECHNICAL, "technique")):
        for line, name in LINES.items():
            duties.append(
                _duty(
                    f"en-ligne-{profile}-{line}".replace("_", "-"),
                    f"Formation en ligne {name} (profil {label})",
                    Category.TRAINING,
                    FROM_ACCESS,
                    evidence=EvidenceKind.TRAINING,
                    format="online",
                    profile=profile,
                    product_line=line,
                    due_days=90,
                )
            )
    # Business, "Formation obligatoire présentielle selon profil" and "Communication".
    for profile, label in (
        (Profile.ADMIN, "admin"),
        (Profile.SALES, "vente"),
        (Profile.TECHNICAL, "technique"),
    ):
        duties.append(
            _duty(
                f"presentiel-referent-{profile}",
                f"Formation présentielle du référent {label}",
                Category.TRAINING,
                FROM_BUSINESS,
                evidence=EvidenceKind.TRAINING,
                format="on_site",
                profile=profile,
                due_days=120,
            )
        )
    duties.append(
        _duty(
            "certifications",
            "Communication de vos certifications éditeurs et constructeurs",
            Category.COMMUNICATION,
            FROM_BUSINESS,
            recurrence=Recurrence.YEARLY,
            due_days=120,
            description="Une preuve de publication (page de votre site, plaquette) de vos certifications.",
        )
    )
    return duties


def _sync_catalogue(context: DemoContext) -> dict[str, Duty]:
    tenant = context.tenant
    tiers = {t.code: t for t in Tier.objects.filter(tenant=tenant)}
    types = {t.code: t for t in PartnerType.objects.filter(tenant=tenant)}
    plans = {p.code: p for p in OperatorPlan.objects.filter(tenant=tenant)}
    specs = catalogue(context.spec.app)
    rows = [
        {
            "tenant": tenant,
            "code": spec["code"],
            "title": spec["title"],
            "description": spec.get("description", ""),
            "category": spec["category"],
            "profile": spec.get("profile", ""),
            "product_line": spec.get("product_line", ""),
            "format": spec.get("format", ""),
            "count": spec.get("count", 1),
            "recurrence": spec.get("recurrence", Recurrence.ONCE),
            "due_days": spec["due_days"],
            "blocking": spec.get("blocking", False),
            "evidence": spec["evidence"],
            "position": position,
        }
        for position, spec in enumerate(specs, start=1)
    ]
    duties = sync(Duty.objects.filter(tenant=tenant), key=("code",), rows=rows, tally=context.tally)
    links = context.tally["duty_links"]
    for spec in specs:
        duty = duties[spec["code"]]
        for field, wanted in (
            ("tiers", {tiers[c].pk for c in spec["tiers"]}),
            ("partner_types", {types[c].pk for c in spec.get("types", ())}),
            ("operator_plans", {plans[c].pk for c in spec.get("plans", ())}),
        ):
            manager = getattr(duty, field)
            if set(manager.values_list("pk", flat=True)) != wanted:
                manager.set(wanted)
                links["updated"] += 1
            else:
                links["unchanged"] += 1
    return duties


DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>"
    b"endobj\n4 0 obj<</Length 70>>stream\nBT /F1 18 Tf 72 760 Td (Certifications - Atlantique Connect) Tj ET\n"
    b"endstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _demo_document(tenant_id: int, ref: str, code: str) -> str:
    """The demo evidence, written once at a fixed name (a second load finds it and writes nothing)."""
    name = f"tenants/{tenant_id}/duties/demo-{ref.lower()}-{code}.pdf"
    storage = private_storage()
    if not storage.exists(name):
        storage.save(name, ContentFile(DEMO_PDF))
    return name


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


# Dates the demo's story is told against, fixed (the demo's "today" is late November 2026).
ANCHOR = dt.date(2026, 11, 15)
HELD_DUE = dt.date(2026, 5, 1)


def _held_partner(context: DemoContext, current: dict[int, PartnerTier]) -> str | None:
    """The first Dstny-style partner (by reference) whose revenue already clears a higher tier than its
    current one: the one an overdue charter will hold back at the next evaluation."""
    for ref in sorted(context.partners):
        partner = context.partners[ref]
        if ref.endswith(("00001", "00002", "00003")) or partner.pk not in current:
            continue
        status = partner_status(partner=partner)
        if status and status.projected_tier.rank > current[partner.pk].tier.rank:
            return ref
    return None


def _row(f: DutyFulfilment, **values) -> dict:
    base = {
        "tenant": f.tenant,
        "partner": f.partner,
        "duty": f.duty,
        "period": f.period,
        "period_end": f.period_end,
        "due_date": f.due_date,
        "state": FulfilmentState.TO_DO,
        "reason": "",
        "submitted_by": None,
        "submitted_at": None,
        "decided_by": None,
        "decided_at": None,
        "trainee": None,
        "course": "",
        "completed_on": None,
        "document": "",
        "document_name": "",
        "document_type": "",
    }
    return {**base, **values}


def _decided(f, state, manager, admin, *, reason="", document=None, trainee=None) -> dict:
    day = min(f.due_date, ANCHOR) - dt.timedelta(days=6)
    extra = {}
    if f.duty.evidence == EvidenceKind.TRAINING and trainee is not None:
        extra = {"trainee": trainee, "course": f.duty.title, "completed_on": day - dt.timedelta(days=3)}
    if document:
        extra.update(document=document, document_name=f"{f.duty.code}.pdf", document_type="application/pdf")
    submitted = state in (FulfilmentState.SUBMITTED, FulfilmentState.APPROVED, FulfilmentState.REFUSED)
    return _row(
        f,
        state=state,
        reason=reason,
        submitted_by=admin if submitted else None,
        submitted_at=_at(day) if submitted else None,
        decided_by=manager if state != FulfilmentState.SUBMITTED else None,
        decided_at=_at(day + dt.timedelta(days=2), 15) if state != FulfilmentState.SUBMITTED else None,
        **extra,
    )


REFUSAL = "Le document est illisible : merci d'envoyer un scan complet et signé."
WAIVER = "Dispensé : formation suivie chez un autre éditeur, reconnue par votre commercial."


@demo.register("obligations", after=("tiers.evaluations",))
def obligations_demo_load(context: DemoContext) -> str:
    tenant, tally = context.tenant, context.tally
    duties = _sync_catalogue(context)
    before = DutyFulfilment.objects.filter(tenant=tenant).count()
    # Partners graded before the catalogue existed get their tiers' duties (set-based), then the current
    # periods of the recurring ones; both write nothing the second time.
    duties_sync(tenant=tenant)
    duty_periods_roll(tenant=tenant, today=tenant.today())
    opened = DutyFulfilment.objects.filter(tenant=tenant).count() - before
    tally["dutyfulfilment"]["created"] += opened

    manager = context.users[context.spec.manager_email]
    current = {pt.partner_id: pt for pt in PartnerTier.objects.filter(tenant=tenant).select_related("tier")}
    admins = {}
    for ref, partner in context.partners.items():
        member = partner.memberships.order_by("role", "pk").first()
        admins[ref] = member.user if member else None
    held = _held_partner(context, current) if context.spec.slug == "dstny" else None
    rng = random.Random(f"{context.spec.seed}:duties")
    fulfilments = (
        DutyFulfilment.objects.filter(tenant=tenant)
        .exclude(state=FulfilmentState.CLOSED)
        .select_related("partner", "duty", "tenant")
        .order_by("partner__external_ref", "duty__position", "period")
    )
    rows = []
    for f in fulfilments:
        ref, code = f.partner.external_ref, f.duty.code
        admin = admins.get(ref)
        draw = rng.randrange(100)
        if f.duty.evidence == EvidenceKind.FORECAST and ref in PLANS and f.period <= ANCHOR:
            rows.append(
                _decided(f, FulfilmentState.APPROVED, None, admin)
            )  # the portal's forecast is the proof
        elif f.due_date > ANCHOR or f.duty.evidence == EvidenceKind.FORECAST:
            # Not due yet, or fulfilled by a forecast in the portal: left as the daily roll left it.
            rows.append(
                _row(f, state=f.state if f.state == FulfilmentState.EXPIRED else FulfilmentState.TO_DO)
            )
        elif ref == held and code == "charte":
            rows.append(_row(f, due_date=HELD_DUE))
        elif (
            ref.endswith("00003")
            and context.spec.slug == "dstny"
            and code == "certifications"
            and f.period_end >= ANCHOR
        ):
            document = _demo_document(tenant.pk, ref, code)
            rows.append(_decided(f, FulfilmentState.SUBMITTED, manager, admin, document=document))
        elif ref.endswith("00001") and context.spec.slug == "dstny" and code == "en-ligne-admin":
            rows.append(_decided(f, FulfilmentState.REFUSED, manager, admin, reason=REFUSAL, trainee=admin))
        elif ref.endswith("00001") and context.spec.slug == "dstny" and code == "en-ligne-sales-sip-trunk":
            rows.append(_decided(f, FulfilmentState.SUBMITTED, manager, admin, trainee=admin))
        elif f.duty.blocking or ref.endswith(("00001", "00002", "00003")) or draw < 70:
            rows.append(_decided(f, FulfilmentState.APPROVED, manager, admin, trainee=admin))
        elif draw < 80 and f.duty.evidence == EvidenceKind.TRAINING:
            rows.append(_decided(f, FulfilmentState.WAIVED, manager, admin, reason=WAIVER))
        elif draw < 88 and f.duty.evidence == EvidenceKind.TRAINING and admin is not None:
            rows.append(_decided(f, FulfilmentState.SUBMITTED, manager, admin, trainee=admin))
        else:
            # Still to do, so overdue; or expired, a recurring period that ended unfulfilled.
            rows.append(
                _row(f, state=f.state if f.state == FulfilmentState.EXPIRED else FulfilmentState.TO_DO)
            )
    synced = sync(
        DutyFulfilment.objects.filter(tenant=tenant),
        key=("partner", "duty", "period"),
        rows=rows,
        tally=tally,
    )
    tally["dutyfulfilment"]["unchanged"] -= opened  # counted as created above

    plans = _sync_plans(context, admins)
    waiting = sum(1 for f in synced.values() if f.state == FulfilmentState.SUBMITTED)
    line = f"duties: {len(duties)} in the catalogue, {len(rows)} fulfilments ({waiting} waiting for review)"
    line += f", {plans} plans"
    if held:
        line += f"; {held} is held back at the next evaluation (charter overdue since {HELD_DUE})"
    return line


# Quarterly objectives and forecasts per product line, € over the quarter (about the partner's revenue).
PLANS = {
    "DST-00001": {"sip_trunk": 900, "metacentrex": 650, "data": 300},
    "DST-00003": {"sip_trunk": 24000, "metacentrex": 18000, "data": 9000},
}
PLAN_YEAR = 2026


def _sync_plans(context: DemoContext, admins: dict) -> int:
    tenant, tally, count = context.tenant, context.tally, 0
    for ref, base in PLANS.items():
        partner = context.partners.get(ref)
        if partner is None:
            continue
        by = admins.get(ref)
        plan = sync(
            DevelopmentPlan.objects.filter(tenant=tenant),
            key=("partner", "year"),
            rows=[
                {
                    "tenant": tenant,
                    "partner": partner,
                    "year": PLAN_YEAR,
                    "notes": "Développer le Trunk SIP chez les PME du secteur ; deux salons régionaux ; "
                    "proposer MetaCentrex à chaque renouvellement.",
                    "updated_by": by,
                }
            ],
            tally=tally,
        )[(partner, PLAN_YEAR)]
        # Objectives grow 5 % a quarter; forecasts land a little under or over them.
        sync(
            PlanObjective.objects.filter(tenant=tenant),
            key=("plan", "quarter", "product_line"),
            rows=[
                {
                    "tenant": tenant,
                    "plan": plan,
                    "quarter": q,
                    "product_line": line,
                    "amount": Decimal(amount * (100 + 5 * (q - 1)) // 100),
                }
                for q in range(1, 5)
                for line, amount in base.items()
            ],
            tally=tally,
        )
        sync(
            SalesForecast.objects.filter(tenant=tenant),
            key=("partner", "quarter_start", "product_line"),
            rows=[
                {
                    "tenant": tenant,
                    "partner": partner,
                    "quarter_start": dt.date(PLAN_YEAR, 3 * q - 2, 1),
                    "product_line": line,
                    "amount": Decimal(amount * (96 + 3 * q) // 100),
                    "submitted_by": by,
                }
                for q in range(1, 5)
                for line, amount in base.items()
            ],
            tally=tally,
        )
        count += 1
    return count
