"""Reads of Experts Zen: the programme, a partner's checklist per speciality, the directory, the test's
attempts and the assignments' timeliness."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
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
    return ExpertProgramme.objects.filter(tenant=tenant).select_related("min_tier", "charter_duty").first()


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
    return Expert.objects.filter(partner=partner).prefetch_related("zones").first()


# --- the checklist ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    code: str
    label: str
    met: bool
    missing: str = ""  # what is missing, for the partner


def _duties_missing(partner: Partner, duties: list[Duty], today: dt.date) -> list[Duty]:
    """The duties of ``duties`` without a current fulfilment done (approved or waived): a once-only duty's,
    or one of a period that has not ended."""
    if not duties:
        return []
    done = set(
        DutyFulfilment.objects.filter(partner=partner, duty__in=duties, state__in=DONE_STATES)
        .filter(Q(period_end__isnull=True) | Q(period_end__gte=today))
        .values_list("duty_id", flat=True)
    )
    return [duty for duty in duties if duty.pk not in done]


def passed_attempt(*, partner: Partner, speciality: Speciality, since: dt.datetime) -> Attempt | None:
    """The latest passed attempt of anyone of the partner at the speciality's test since ``since``."""
    return (
        Attempt.objects.filter(
            partner=partner, test__speciality=speciality, passed=True, submitted_at__gte=since
        )
        .order_by("-submitted_at")
        .first()
    )


def validity_start(programme: ExpertProgramme, now: dt.datetime) -> dt.datetime:
    """The earliest pass that still certifies now: ``validity_months`` back, to the day."""
    start = certification_expiry(timezone.localdate(now), -programme.validity_months)
    return timezone.make_aware(dt.datetime.combine(start, dt.time.min))


def checklist(
    *, programme: ExpertProgramme, partner: Partner, expert: Expert | None, speciality: Speciality, now=None
) -> list[Requirement]:
    """The seed's conditions of listing ("Référencement"), each from the portal's data, in the seed's order."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    tier = current_tier(partner=partner)
    rows = [
        Requirement(
            "tier",
            _("Be a %(tier)s partner or above") % {"tier": programme.min_tier.name},
            tier is not None and tier.rank >= programme.min_tier.rank,
            _("Your tier is %(tier)s.") % {"tier": tier.name if tier else "—"},
        )
    ]
    for code, label, duties in (
        ("offers", _("Be certified on the vendor's offers"), list(programme.offer_duties.all())),
        ("training", _("Attend the certification training"), list(programme.training_duties.all())),
    ):
        missing = _duties_missing(partner, duties, today)
        rows.append(
            Requirement(
                code,
                label,
                not missing,
                _("Still to do in My duties: %(duties)s.") % {"duties": ", ".join(d.title for d in missing)},
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
    if programme.charter_duty_id:
        missing = _duties_missing(partner, [programme.charter_duty], today)
        rows.append(
            Requirement(
                "charter",
                _("Sign the Experts Zen charter"),
                not missing,
                _("Send the signed charter in My duties: %(duty)s.") % {"duty": programme.charter_duty.title},
            )
        )
    test = CertificationTest.objects.filter(speciality=speciality, is_active=True).first()
    attempt = passed_attempt(partner=partner, speciality=speciality, since=validity_start(programme, now))
    rows.append(
        Requirement(
            "test",
            _("Pass the certification test"),
            attempt is not None,
            _("Not passed yet.") if test is not None else _("The test is not open yet."),
        )
    )
    return rows


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
