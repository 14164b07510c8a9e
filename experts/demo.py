"""Demo Experts Zen for Dstny (seed 002, "Le Programme Experts Zen"): the programme's settings, the seed's
specialities, certification tests in French with real VoIP/SIP/3CX/Asterisk questions, experts in several
départements (premium@dstny.demo's company among them, and one whose certification has lapsed), an
application still missing conditions (partner@dstny.demo's), and assignments in every state.

Idempotent: rows are synced on natural keys; attempts and assignments are created once (keyed on their
person and test, their expert and client) with dates fixed in the past, or, for the ones still open, set
from the day they are created and never rewritten.
"""

import datetime as dt

from django.utils import timezone

from obligations.models import Category, Duty, DutyFulfilment, EvidenceKind, FulfilmentState
from obligations.services import duties_sync
from partnerportal import demo
from partnerportal.demo import DemoContext, sync
from partnerportal.geography import BY_CODE, departement_of_postal_code, departements_of
from partnerportal.models import Membership
from tiers.models import PartnerTier, Tier

from .models import (
    Assignment,
    AssignmentState,
    Attempt,
    CertificationTest,
    Choice,
    Expert,
    ExpertProgramme,
    ExpertSpeciality,
    ExpertZone,
    Question,
    Speciality,
    SpecialityGroup,
    certification_expiry,
)
from .services import experts_tier_sync

G = SpecialityGroup
SPECIALITIES = [
    ("metacentrex", "MetaCentrex", G.METACENTREX),
    ("trunk-sip", "Trunk SIP", G.VOIP),
    *(
        (code, name, G.IPBX)
        for code, name in (
            ("3cx", "3CX"),
            ("alcatel-oxo-oxe", "Alcatel OXO/OXE"),
            ("asterisk", "Asterisk"),
            ("avaya-ip-office", "Avaya – IP Office"),
            ("beronet", "BeroNet"),
            ("cisco-ipbx", "Cisco"),
            ("epygi", "Epygi"),
            ("fpbx", "FPBX"),
            ("mitel", "Mitel"),
            ("panasonic", "Panasonic"),
            ("patton", "Patton"),
            ("vodia-snom", "Vodia – Snom"),
            ("wildix", "Wildix"),
            ("xivo", "XiVO"),
        )
    ),
    *(
        (code, name, G.NETWORK)
        for code, name in (
            ("bintek", "Bintek"),
            ("cisco-reseau", "Cisco"),
            ("d-link", "D-Link"),
            ("fortinet", "Fortinet"),
            ("peplink", "Peplink"),
            ("pfsense", "pfSense"),
            ("stormshield", "Stormshield"),
            ("ubiquiti", "Ubiquiti"),
            ("watchguard", "Watchguard"),
            ("zyxel", "Zyxel"),
        )
    ),
]

PRICE_GRID = """Mise en service d'un Trunk SIP (jusqu'à 10 canaux) : 180 € HT
Installation d'un IPBX jusqu'à 20 postes : 450 € HT, puis 15 € HT par poste
Paramétrage MetaCentrex (par site, jusqu'à 20 utilisateurs) : 250 € HT
Configuration d'un routeur ou pare-feu : 150 € HT
Déplacement dans la zone garantie : inclus ; hors zone : 0,50 € HT / km
Intervention urgente (moins de 4 h) : majoration de 30 %"""

# (question, [(answer, correct), …]) — one or more right answers each.
TESTS = {
    "trunk-sip": (
        "QCM de certification Trunk SIP",
        [
            (
                "Quel port est utilisé par défaut par la signalisation SIP non chiffrée ?",
                [("5060", True), ("5061", False), ("443", False), ("1720", False)],
            ),
            (
                "Quel protocole transporte le flux audio d'un appel SIP ?",
                [("RTP", True), ("SIP", False), ("H.245", False), ("SNMP", False)],
            ),
            (
                "Quelles méthodes SIP existent ? (plusieurs réponses)",
                [("INVITE", True), ("REGISTER", True), ("BYE", True), ("CONNECT", False)],
            ),
            (
                "Quelle réponse SIP indique qu'une authentification est requise par le serveur d'enregistrement ?",
                [
                    ("401 Unauthorized", True),
                    ("200 OK", False),
                    ("486 Busy Here", False),
                    ("180 Ringing", False),
                ],
            ),
            (
                "Quel codec offre une qualité « téléphonie fixe » à 64 kbit/s sans compression ?",
                [("G.711", True), ("G.729", False), ("Opus à 6 kbit/s", False), ("GSM", False)],
            ),
            (
                "Derrière un NAT, que faut-il vérifier pour éviter un appel sans audio ?",
                [
                    ("Que le SIP ALG du routeur est désactivé ou maîtrisé", True),
                    ("Que les ports RTP sont ouverts ou que le trunk gère le NAT traversal", True),
                    ("Que le DNS du poste répond en IPv6", False),
                    ("Que le codec est G.722", False),
                ],
            ),
            (
                "Un client veut 8 appels simultanés : combien de canaux faut-il sur le Trunk SIP ?",
                [("8", True), ("4", False), ("16", False), ("1 par numéro SDA", False)],
            ),
            (
                "Quel mécanisme transmet les touches DTMF hors bande dans le flux RTP ?",
                [
                    ("RFC 2833 / RFC 4733", True),
                    ("SIP INFO uniquement", False),
                    ("T.38", False),
                    ("SRTP", False),
                ],
            ),
        ],
    ),
    "3cx": (
        "QCM de certification 3CX",
        [
            (
                "Où déclare-t-on un Trunk SIP dans 3CX ?",
                [
                    ("Dans la rubrique « Trunks SIP » de la console d'administration", True),
                    ("Dans le client web de l'utilisateur", False),
                    ("Dans le fichier hosts du serveur", False),
                ],
            ),
            (
                "Quelles règles faut-il créer pour qu'un appel entrant sonne sur un groupe ?",
                [
                    ("Une règle entrante (DID) vers le groupe d'appel", True),
                    ("Une règle sortante", False),
                    ("Une règle de pare-feu uniquement", False),
                ],
            ),
            (
                "Quel outil 3CX vérifie que les ports nécessaires sont ouverts ?",
                [
                    ("Le test du pare-feu (Firewall Checker)", True),
                    ("Le journal des appels", False),
                    ("Le tableau de bord des files", False),
                ],
            ),
            (
                "Quels éléments permettent le provisioning automatique d'un poste ? (plusieurs réponses)",
                [
                    ("L'adresse MAC du poste", True),
                    ("Le modèle du poste", True),
                    ("Le numéro de série de la licence Windows", False),
                ],
            ),
            (
                "Quel type de licence 3CX limite le nombre d'appels simultanés ?",
                [
                    ("L'édition et le nombre d'appels simultanés de la licence", True),
                    ("Le nombre de SDA", False),
                    ("Le nombre de postes provisionnés", False),
                ],
            ),
        ],
    ),
    "asterisk": (
        "QCM de certification Asterisk",
        [
            (
                "Dans quel fichier décrit-on le plan de numérotation d'Asterisk ?",
                [
                    ("extensions.conf", True),
                    ("sip.conf", False),
                    ("modules.conf", False),
                    ("voicemail.conf", False),
                ],
            ),
            (
                "Quelle pile SIP est recommandée dans les versions actuelles d'Asterisk ?",
                [("PJSIP (chan_pjsip)", True), ("chan_sip", False), ("chan_h323", False)],
            ),
            (
                "Quelle commande CLI recharge la configuration PJSIP ?",
                [("pjsip reload", True), ("core restart now", False), ("dialplan show", False)],
            ),
            (
                "Quelles applications du dialplan existent ? (plusieurs réponses)",
                [("Dial()", True), ("Playback()", True), ("Voicemail()", True), ("Transfer2SIP()", False)],
            ),
        ],
    ),
    "metacentrex": (
        "QCM de certification MetaCentrex",
        [
            (
                "MetaCentrex est :",
                [
                    ("Un service de téléphonie hébergée (Centrex IP)", True),
                    ("Un IPBX à installer chez le client", False),
                    ("Un routeur 4G", False),
                ],
            ),
            (
                "Que faut-il vérifier sur le réseau du client avant un déploiement de téléphonie hébergée ? (plusieurs réponses)",
                [
                    ("La bande passante montante disponible par appel", True),
                    ("La priorisation (QoS) de la voix", True),
                    ("La couleur des câbles", False),
                ],
            ),
            (
                "Où un partenaire commande-t-il et configure-t-il les services Dstny ?",
                [
                    ("Dans MyDstny", True),
                    ("Par e-mail au support uniquement", False),
                    ("Sur le poste de l'utilisateur", False),
                ],
            ),
        ],
    ),
}

# The experts: (partner ref or None for the n-th Business/Premium partner, hours, [(speciality, passed on)]).
EXPERTS = [
    (
        "DST-00003",
        4,
        [("trunk-sip", dt.date(2026, 3, 12)), ("3cx", dt.date(2026, 3, 19)), ("fortinet", None)],
    ),
    (1, 8, [("trunk-sip", dt.date(2025, 11, 4)), ("asterisk", dt.date(2025, 11, 18))]),
    (2, 24, [("3cx", dt.date(2026, 5, 6)), ("metacentrex", dt.date(2026, 5, 7))]),
    (3, 12, [("trunk-sip", dt.date(2026, 9, 2)), ("metacentrex", dt.date(2026, 9, 2))]),
    (4, 48, [("asterisk", dt.date(2025, 2, 10))]),
    # Certified in 2024 on two years: lapsed in 2026, out of the directory though still Business.
    (5, 6, [("3cx", dt.date(2024, 6, 3))]),
]


def _programme(context: DemoContext, tiers: dict[str, Tier]) -> ExpertProgramme:
    tenant = context.tenant
    charter = sync(
        Duty.objects.filter(tenant=tenant),
        key=("code",),
        rows=[
            {
                "tenant": tenant,
                "code": "charte-experts-zen",
                "title": "Charte des Experts Zen signée",
                "description": "Pour les partenaires Business et Premium qui demandent leur référencement Experts Zen.",
                "category": Category.DOCUMENT,
                "evidence": EvidenceKind.DOCUMENT,
                "due_days": 90,
                "position": 200,
            }
        ],
        tally=context.tally,
    )["charte-experts-zen"]
    wanted_tiers = {tiers["business"].pk, tiers["premium"].pk}
    if set(charter.tiers.values_list("pk", flat=True)) != wanted_tiers:
        charter.tiers.set(wanted_tiers)
        duties_sync(tenant=tenant, duty_ids=[charter.pk])
    programme = sync(
        ExpertProgramme.objects.filter(tenant=tenant),
        key=("tenant",),
        rows=[
            {
                "tenant": tenant,
                "min_tier": tiers["business"],
                "charter_duty": charter,
                "price_grid": PRICE_GRID,
                "price_grid_version": 1,
                "max_attempts": 3,
                "attempt_period_days": 30,
                "attempt_minutes": 45,
                "validity_months": 24,
                "response_hours": 48,
            }
        ],
        tally=context.tally,
    )[tenant]
    duties = {d.code: d for d in Duty.objects.filter(tenant=tenant)}
    for field, codes in (
        ("offer_duties", ["en-ligne-technical-sip-trunk", "en-ligne-technical-metacentrex"]),
        ("training_duties", ["presentiel-referent-technical"]),
    ):
        wanted = {duties[c].pk for c in codes if c in duties}
        manager = getattr(programme, field)
        if set(manager.values_list("pk", flat=True)) != wanted:
            manager.set(wanted)
    return programme


def _tests(context: DemoContext, specialities: dict[str, Speciality]) -> dict[str, CertificationTest]:
    tenant = context.tenant
    tests = sync(
        CertificationTest.objects.filter(tenant=tenant),
        key=("speciality",),
        rows=[
            {
                "tenant": tenant,
                "speciality": specialities[code],
                "title": title,
                "instructions": "Les questions et l'ordre de leurs réponses sont tirés au hasard à chaque tentative.",
                "pass_mark": 80,
                "questions_per_attempt": min(5, len(questions)),
            }
            for code, (title, questions) in TESTS.items()
        ],
        tally=context.tally,
    )
    for code, (_title, questions) in TESTS.items():
        test = tests[specialities[code]]
        stored = sync(
            Question.objects.filter(test=test),
            key=("position",),
            rows=[
                {"tenant": tenant, "test": test, "text": text, "position": position}
                for position, (text, _answers) in enumerate(questions, start=1)
            ],
            tally=context.tally,
        )
        for position, (_text, answers) in enumerate(questions, start=1):
            question = stored[position]
            if list(question.choices.values_list("text", "is_correct")) != answers:
                question.choices.all().delete()
                Choice.objects.bulk_create(
                    [Choice(tenant=tenant, question=question, text=t, is_correct=ok) for t, ok in answers]
                )
                context.tally["choice"]["created"] += len(answers)
    return {code: tests[specialities[code]] for code in TESTS}


def _passed_attempt(test: CertificationTest, membership: Membership, on: dt.date, tally) -> Attempt:
    at = timezone.make_aware(dt.datetime.combine(on, dt.time(10, 30)))
    attempt = Attempt.objects.filter(membership=membership, test=test, started_at=at).first()
    if attempt is not None:
        return attempt
    drawn = [
        [q.pk, list(q.choices.values_list("pk", flat=True))]
        for q in Question.objects.filter(test=test).order_by("position")[: test.questions_per_attempt]
    ]
    answers = {
        str(question_id): sorted(
            Choice.objects.filter(question_id=question_id, is_correct=True).values_list("pk", flat=True)
        )
        for question_id, _order in drawn
    }
    tally["attempt"]["created"] += 1
    return Attempt.objects.create(
        tenant_id=test.tenant_id,
        partner_id=membership.partner_id,
        membership=membership,
        test=test,
        drawn=drawn,
        answers=answers,
        started_at=at,
        expires_at=at + dt.timedelta(minutes=45),
        submitted_at=at + dt.timedelta(minutes=18),
        score=100,
        passed=True,
    )


@demo.register("experts", after=("tiers.evaluations", "obligations"))
def experts_demo_load(context: DemoContext) -> str:
    if context.spec.slug != "dstny":
        return "Experts Zen: no programme (the OpenIP seed lists none)"
    tenant, tally = context.tenant, context.tally
    tiers = {t.code: t for t in Tier.objects.filter(tenant=tenant)}
    programme = _programme(context, tiers)
    specialities = sync(
        Speciality.objects.filter(tenant=tenant),
        key=("code",),
        rows=[
            {"tenant": tenant, "code": code, "name": name, "group": group, "position": position}
            for position, (code, name, group) in enumerate(SPECIALITIES, start=1)
        ],
        tally=tally,
    )
    tests = _tests(context, specialities)

    # Business and Premium active partners, the showcase's first; the n-th of the others by reference.
    high = set(
        PartnerTier.objects.filter(tenant=tenant, tier__rank__gte=tiers["business"].rank).values_list(
            "partner_id", flat=True
        )
    )
    others = [
        p
        for ref, p in sorted(context.partners.items())
        if p.pk in high and p.status == p.Status.ACTIVE and ref != "DST-00003"
    ]
    experts = []
    for who, hours, certifications in EXPERTS:
        if isinstance(who, str):
            partner = context.partners.get(who)
        else:
            partner = others[(who - 1) % len(others)] if others else None
        if partner is None:
            continue
        if any(e.partner_id == partner.pk for e, _c in experts):
            continue
        home = departement_of_postal_code(partner.postal_code) or "75"
        zone = [home, *[c for c in departements_of(BY_CODE[home].region) if c != home][:2]]
        expert = sync(
            Expert.objects.filter(tenant=tenant),
            key=("partner",),
            rows=[
                {
                    "tenant": tenant,
                    "partner": partner,
                    "intervention_hours": hours,
                    "contact_name": "Hélène Guérin" if who == "DST-00003" else f"Support technique {partner}",
                    "contact_email": partner.email,
                    "contact_phone": partner.phone,
                    "price_grid_version": programme.price_grid_version,
                    "price_grid_accepted_at": timezone.make_aware(dt.datetime(2026, 2, 2, 9, 0)),
                }
            ],
            tally=tally,
        )[partner]
        have = set(expert.zones.values_list("departement", flat=True))
        ExpertZone.objects.bulk_create(
            [ExpertZone(tenant=tenant, expert=expert, departement=c) for c in zone if c not in have]
        )
        experts.append((expert, certifications))
    # The experts' charter is signed (approved); the rest of their duties is the obligations demo's.
    DutyFulfilment.objects.filter(
        partner_id__in=[e.partner_id for e, _c in experts], duty=programme.charter_duty
    ).exclude(state=FulfilmentState.APPROVED).update(
        state=FulfilmentState.APPROVED, decided_at=timezone.now()
    )
    experts_tier_sync(tenant_id=tenant.pk, partner_ids=[e.partner_id for e, _c in experts])

    for expert, certifications in experts:
        membership = expert.partner.memberships.order_by("role", "pk").first()
        for code, passed_on in certifications:
            application, created = ExpertSpeciality.objects.get_or_create(
                expert=expert,
                speciality=specialities[code],
                defaults={
                    "tenant": tenant,
                    "applied_at": timezone.make_aware(dt.datetime(2026, 1, 15, 9, 0)),
                },
            )
            tally["expertspeciality"]["created" if created else "unchanged"] += 1
            if passed_on is None:
                continue  # applied, not certified yet: its checklist shows what is missing
            # Partners without people in the demo were certified before the portal: no attempt recorded.
            attempt = None
            if code in tests and membership is not None:
                attempt = _passed_attempt(tests[code], membership, passed_on, tally)
            expires = certification_expiry(passed_on, programme.validity_months)
            if application.expires_on != expires:
                application.attempt = attempt
                application.certified_on = passed_on
                application.expires_on = expires
                application.save(update_fields=["attempt", "certified_on", "expires_on"])

    # partner@dstny.demo's company applied for MetaCentrex: its checklist shows what it still lacks.
    armor = context.partners.get("DST-00001")
    if armor is not None:
        expert = sync(
            Expert.objects.filter(tenant=tenant),
            key=("partner",),
            rows=[
                {"tenant": tenant, "partner": armor, "intervention_hours": 24, "contact_email": armor.email}
            ],
            tally=tally,
        )[armor]
        if not expert.zones.exists():
            ExpertZone.objects.bulk_create([ExpertZone(tenant=tenant, expert=expert, departement="35")])
        experts_tier_sync(tenant_id=tenant.pk, partner_ids=[armor.pk])
        ExpertSpeciality.objects.get_or_create(
            expert=expert, speciality=specialities["metacentrex"], defaults={"tenant": tenant}
        )

    _assignments(context, experts, specialities)
    listed = Expert.objects.filter(tenant=tenant, tier_ok=True).count()
    return f"Experts Zen: {len(specialities)} specialities, {len(tests)} tests, {listed} experts at the tier"


def _assignments(context: DemoContext, experts, specialities) -> None:
    tenant, tally = context.tenant, context.tally
    manager = context.users.get(context.spec.manager_email)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    if not experts:
        return
    premium = experts[0][0]
    second = experts[1][0] if len(experts) > 1 else premium
    third = experts[2][0] if len(experts) > 2 else premium
    fixed = timezone.make_aware
    rows = [
        # (expert, client, speciality, place, state, mandated, answered after h, done after h)
        (
            premium,
            "Clinique vétérinaire des Alizés",
            "trunk-sip",
            "Nantes",
            AssignmentState.MANDATED,
            now - dt.timedelta(hours=3),
            None,
            None,
        ),
        (
            premium,
            "Cabinet Le Floch Avocats",
            "3cx",
            "Saint-Herblain",
            AssignmentState.ACCEPTED,
            now - dt.timedelta(hours=2),
            1,
            None,
        ),
        (
            premium,
            "Boulangerie Morel",
            "trunk-sip",
            "Rezé",
            AssignmentState.DONE,
            fixed(dt.datetime(2026, 10, 6, 9, 0)),
            1,
            3,
        ),
        (
            premium,
            "Hôtel de la Plage",
            "3cx",
            "La Baule",
            AssignmentState.DONE,
            fixed(dt.datetime(2026, 10, 20, 14, 0)),
            2,
            9,
        ),
        (
            second,
            "Garage Central",
            "trunk-sip",
            "",
            AssignmentState.REFUSED,
            fixed(dt.datetime(2026, 11, 3, 8, 0)),
            5,
            None,
        ),
        (
            second,
            "Mairie annexe",
            "asterisk",
            "",
            AssignmentState.DONE,
            fixed(dt.datetime(2026, 9, 14, 10, 0)),
            3,
            30,
        ),
        (
            third,
            "Pharmacie du Port",
            "3cx",
            "",
            AssignmentState.MANDATED,
            fixed(dt.datetime(2026, 11, 2, 9, 0)),
            None,
            None,
        ),
    ]
    for expert, client, code, place, state, mandated, answered, done in rows:
        if Assignment.objects.filter(expert=expert, client=client).exists():
            tally["assignment"]["unchanged"] += 1
            continue
        partner = expert.partner
        departement = expert.zones.values_list("departement", flat=True).first() or "44"
        Assignment.objects.create(
            tenant=tenant,
            expert=expert,
            speciality=specialities[code],
            client=client,
            place=place or partner.city,
            departement=departement,
            description="Mise en service et tests d'appels entrants et sortants avec le client.",
            deadline=mandated + dt.timedelta(days=3),
            state=state,
            guaranteed_hours=expert.intervention_hours,
            mandated_at=mandated,
            mandated_by=manager,
            respond_by=mandated + dt.timedelta(hours=48),
            intervene_by=mandated + dt.timedelta(hours=expert.intervention_hours),
            answered_at=mandated + dt.timedelta(hours=answered) if answered else None,
            refusal_reason="Technicien indisponible cette semaine."
            if state == AssignmentState.REFUSED
            else "",
            done_at=mandated + dt.timedelta(hours=done) if done else None,
        )
        tally["assignment"]["created"] += 1
