"""Reads of Experts Zen: the programme, a partner's checklist per speciality, the directory, the test's
attempts and the assignments' timeliness."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from obligations.models import DONE_STATES, Duty, DutyFulfilment
from partnerportal.models import Membership, Partner, Tenant
from tiers.models import PartnerTier, Tier

from .models import (
    Assignment,
    AssignmentState,
    Attempt,
    CertificationTest,
    Expert,
    ExpertProgramme,
    ExpertSpeciality,
    Speciality,
    SpecialityGroup,
    certification_expiry,
)


def programme_get(*, tenant: Tenant) -> ExpertProgramme | None:
    """The tenant's programme, with its minimum tier and the entry tier's rank and name (``entry_rank``,
    ``entry_name``: where a partner never assessed stands) read along."""
    entry = Tier.objects.filter(tenant=OuterRef("tenant")).order_by("rank")
    return (
        ExpertProgramme.objects.filter(tenant=tenant)
        .select_related("min_tier", "charter_duty")
        .annotate(
            entry_rank=Subquery(entry.values("rank")[:1]), entry_name=Subquery(entry.values("name")[:1])
        )
        .first()
    )


def current_tier(*, partner: Partner) -> Tier | None:
    """The partner's current tier: its PartnerTier row, else the entry tier (never assessed yet)."""
    row = PartnerTier.objects.filter(partner=partner).select_related("tier").first()
    if row is not None:
        return row.tier
    return Tier.objects.filter(tenant_id=partner.tenant_id).order_by("rank").first()


def tier_ok_expression(programme: ExpertProgramme, partner_ref: str = "partner"):
    """An SQL expression: the partner (``partner_ref`` from the row) is at or above the minimum tier."""
    entry = Tier.objects.filter(tenant_id=programme.tenant_id).order_by("rank").values("rank").first()
    if entry is not None and programme.min_tier.rank <= entry["rank"]:
        return Value(True)
    return Exists(
        PartnerTier.objects.filter(partner_id=OuterRef(partner_ref), tier__rank__gte=programme.min_tier.rank)
    )


def speciality_list(*, tenant: Tenant) -> QuerySet[Speciality]:
    """The open specialities, grouped in the seed's order."""
    group_order = Case(
        *(When(group=code, then=Value(i)) for i, code in enumerate(SpecialityGroup.values)),
        output_field=IntegerField(),
    )
    return (
        Speciality.objects.filter(tenant=tenant, is_active=True)
        .annotate(group_order=group_order)
        .order_by("group_order", "position", "name")
    )


def expert_get(*, partner: Partner) -> Expert | None:
    """The partner's expert record with its zone, and its current tier in the same query (``tier_of``)."""
    return (
        Expert.objects.filter(partner=partner)
        .select_related("partner__current_tier__tier")
        .prefetch_related("zones")
        .first()
    )


def partner_tier(
    *, programme: ExpertProgramme, partner: Partner, expert: Expert | None = None
) -> Tier | None:
    """The partner's current tier: the one ``expert_get`` read along (no query), else its PartnerTier row;
    without a row, the entry tier as ``programme_get`` read it (an unsaved Tier with its rank and name)."""
    if expert is not None:
        try:
            return expert.partner.current_tier.tier
        except PartnerTier.DoesNotExist:
            row = None
    else:
        row = PartnerTier.objects.filter(partner=partner).select_related("tier").first()
    if row is not None:
        return row.tier
    if getattr(programme, "entry_rank", None) is None:
        return current_tier(partner=partner)
    return Tier(tenant_id=programme.tenant_id, rank=programme.entry_rank, name=programme.entry_name)


# --- the checklist ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    code: str
    label: str
    met: bool
    missing: str = ""  # what is missing, for the partner


@dataclass(frozen=True)
class Facts:
    """What the checklist reads about a partner once for all specialities: its tier and its required duties."""

    tier: Tier | None
    offers_missing: list[str]
    training_missing: list[str]
    charter: str | None  # the charter duty's title, None when not required
    charter_done: bool


def _done_duty(partner: Partner, today: dt.date):
    """A current fulfilment done (approved or waived): a once-only duty's, or one of a period not ended."""
    return Exists(
        DutyFulfilment.objects.filter(partner=partner, duty=OuterRef("pk"), state__in=DONE_STATES).filter(
            Q(period_end__isnull=True) | Q(period_end__gte=today)
        )
    )


def facts_for(
    *, programme: ExpertProgramme, partner: Partner, today: dt.date, expert: Expert | None = None
) -> Facts:
    """One query for the required duties (their role and whether the partner did them); the tier from
    ``partner_tier`` (no query more with an expert from ``expert_get``)."""
    offers = ExpertProgramme.offer_duties.through.objects.filter(
        expertprogramme=programme, duty=OuterRef("pk")
    )
    trainings = ExpertProgramme.training_duties.through.objects.filter(
        expertprogramme=programme, duty=OuterRef("pk")
    )
    rows = list(
        Duty.objects.annotate(
            is_offer=Exists(offers), is_training=Exists(trainings), done=_done_duty(partner, today)
        )
        .filter(Q(is_offer=True) | Q(is_training=True) | Q(pk=programme.charter_duty_id or 0))
        .order_by("position", "pk")
        .values("pk", "title", "is_offer", "is_training", "done")
    )
    charter = next((row for row in rows if row["pk"] == programme.charter_duty_id), None)
    return Facts(
        tier=partner_tier(programme=programme, partner=partner, expert=expert),
        offers_missing=[row["title"] for row in rows if row["is_offer"] and not row["done"]],
        training_missing=[row["title"] for row in rows if row["is_training"] and not row["done"]],
        charter=charter["title"] if charter else None,
        charter_done=bool(charter and charter["done"]),
    )


def validity_start(programme: ExpertProgramme, now: dt.datetime) -> dt.datetime:
    """The earliest pass that still certifies now: ``validity_months`` back, to the day."""
    start = certification_expiry(timezone.localdate(now), -programme.validity_months)
    return timezone.make_aware(dt.datetime.combine(start, dt.time.min))


def passed_attempt(*, partner: Partner, speciality: Speciality, since: dt.datetime) -> Attempt | None:
    """The latest passed attempt of anyone of the partner at the speciality's test since ``since``."""
    return (
        Attempt.objects.filter(
            partner=partner, test__speciality=speciality, passed=True, submitted_at__gte=since
        )
        .order_by("-submitted_at")
        .first()
    )


def speciality_rows(
    *, tenant: Tenant, partner: Partner, expert: Expert | None, since: dt.datetime
) -> QuerySet[Speciality]:
    """The open specialities in the seed's order, each with its test (``test``, or a missing relation), the
    partner's application (``applied``, ``expires_on``) and whether someone of the partner passed its test
    since ``since`` (``passed``): one query."""
    applications = ExpertSpeciality.objects.filter(expert=expert, speciality=OuterRef("pk"))
    return (
        speciality_list(tenant=tenant)
        .select_related("test")
        .annotate(
            applied=Exists(applications) if expert is not None else Value(False),
            expires_on=Subquery(applications.values("expires_on")[:1])
            if expert is not None
            else Value(None, output_field=DateField()),
            passed=Exists(
                Attempt.objects.filter(
                    partner=partner, test__speciality=OuterRef("pk"), passed=True, submitted_at__gte=since
                )
            ),
        )
    )


def checklist_of(
    *, programme: ExpertProgramme, facts: Facts, expert: Expert | None, speciality: Speciality
) -> list[Requirement]:
    """The seed's conditions of listing ("Référencement"), in its order, for a row of ``speciality_rows``."""
    tier = facts.tier
    rows = [
        Requirement(
            "tier",
            _("Be a %(tier)s partner or above") % {"tier": programme.min_tier.name},
            tier is not None and tier.rank >= programme.min_tier.rank,
            _("Your tier is %(tier)s.") % {"tier": tier.name if tier else "—"},
        )
    ]
    for code, label, missing in (
        ("offers", _("Be certified on the vendor's offers"), facts.offers_missing),
        ("training", _("Attend the certification training"), facts.training_missing),
    ):
        rows.append(
            Requirement(
                code,
                label,
                not missing,
                _("Still to do in My duties: %(duties)s.") % {"duties": ", ".join(missing)},
            )
        )
    grid_ok = expert is not None and expert.price_grid_version == programme.price_grid_version
    rows.append(
        Requirement("grid", _("Accept the Zen installation price grid"), grid_ok, _("Not accepted yet."))
    )
    zone_ok = expert is not None and expert.intervention_hours is not None and bool(list(expert.zones.all()))
    rows.append(
        Requirement(
            "zone",
            _("Define your zone and a guaranteed intervention time"),
            zone_ok,
            _("Choose at least one département and your guaranteed time in hours."),
        )
    )
    if facts.charter is not None:
        rows.append(
            Requirement(
                "charter",
                _("Sign the Experts Zen charter"),
                facts.charter_done,
                _("Send the signed charter in My duties: %(duty)s.") % {"duty": facts.charter},
            )
        )
    test = getattr(speciality, "test", None)
    open_test = test is not None and test.is_active
    rows.append(
        Requirement(
            "test",
            _("Pass the certification test"),
            speciality.passed,
            _("Not passed yet.") if open_test else _("The test is not open yet."),
        )
    )
    return rows


def checklist(
    *, programme: ExpertProgramme, partner: Partner, expert: Expert | None, speciality: Speciality, now=None
) -> list[Requirement]:
    """One speciality's checklist (``checklist_of`` with its own reads)."""
    now = now or timezone.now()
    facts = facts_for(programme=programme, partner=partner, today=timezone.localdate(now))
    row = (
        speciality_rows(
            tenant=partner.tenant, partner=partner, expert=expert, since=validity_start(programme, now)
        )
        .filter(pk=speciality.pk)
        .first()
    )
    if row is None:  # closed meanwhile: nothing certifies on it
        return [Requirement("open", _("This speciality is not open to applications."), False)]
    return checklist_of(programme=programme, facts=facts, expert=expert, speciality=row)


# --- the test --------------------------------------------------------------------------------------------


def attempts_in_period(*, programme: ExpertProgramme, membership: Membership, test: CertificationTest, now):
    since = now - dt.timedelta(days=programme.attempt_period_days)
    return Attempt.objects.filter(membership=membership, test=test, started_at__gte=since)


def attempt_list(*, partner: Partner) -> QuerySet[Attempt]:
    return Attempt.objects.filter(partner=partner).select_related("test", "membership__user")


def attempt_get(*, membership: Membership, pk: int) -> Attempt | None:
    """An attempt is its taker's: a colleague gets a 404 like anyone else."""
    return Attempt.objects.filter(membership=membership, pk=pk).select_related("test__speciality").first()


def test_list(*, tenant: Tenant) -> QuerySet[CertificationTest]:
    return CertificationTest.objects.filter(
        tenant=tenant, is_active=True, speciality__is_active=True
    ).select_related("speciality")


# --- the directory ---------------------------------------------------------------------------------------


def directory_list(
    *, tenant: Tenant, today: dt.date, speciality: Speciality | None = None, departement: str = ""
) -> QuerySet[Expert]:
    """Listed experts: active, at the minimum tier (``tier_ok``, kept on tier changes) and holding at least
    one certification valid today (of ``speciality`` if given), in ``departement``'s zone if given; fastest
    guaranteed time first. Three queries whatever the number: experts, their zones, their certifications."""
    valid = ExpertSpeciality.objects.filter(expires_on__gte=today).select_related("speciality")
    if speciality is not None:
        valid = valid.filter(speciality=speciality)
    experts = Expert.objects.filter(
        tenant=tenant,
        tier_ok=True,
        is_active=True,
        intervention_hours__isnull=False,
        partner__status=Partner.Status.ACTIVE,
    ).filter(Exists(valid.filter(expert=OuterRef("pk"))))
    if departement:
        experts = experts.filter(zones__departement=departement)
    return (
        experts.select_related("partner")
        .prefetch_related(
            "zones",
            Prefetch("specialities", queryset=valid.order_by("speciality__position"), to_attr="certified"),
        )
        .order_by("intervention_hours", "partner__legal_name")
        .distinct()
    )


# --- assignments -----------------------------------------------------------------------------------------


def assignments_with_timeliness(queryset: QuerySet[Assignment], *, now: dt.datetime) -> QuerySet[Assignment]:
    """``late``: done after the guaranteed time, or not done and past it; ``unanswered``: still mandated
    after the answer delay."""
    open_states = [AssignmentState.MANDATED, AssignmentState.ACCEPTED]
    return queryset.annotate(
        late=Case(
            When(state=AssignmentState.DONE, done_at__gt=F("intervene_by"), then=Value(True)),
            When(state__in=open_states, intervene_by__lt=now, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        unanswered=Case(
            When(state=AssignmentState.MANDATED, respond_by__lt=now, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def assignment_list(*, partner: Partner, now: dt.datetime | None = None) -> QuerySet[Assignment]:
    return assignments_with_timeliness(
        Assignment.objects.filter(expert__partner=partner).select_related("speciality"),
        now=now or timezone.now(),
    )
