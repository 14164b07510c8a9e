"""Writes of Experts Zen: the expert's profile and price grid, applications and certification, the test's
attempts, the directory's tier flag, and assignments.

A certification is granted by ``speciality_certify`` only, when every condition of the checklist holds; it
lasts ``validity_months`` from the test's pass. Assignments move mandated → accepted | refused → done, each
step a guarded ``update()`` on the state it starts from, so a double click or two people change it once.
"""

import datetime as dt
import random

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerportal.geography import BY_CODE
from partnerportal.models import Membership, Partner, Tenant, User

from . import selectors
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
    certification_expiry,
)
from .tasks import notify_mandate

# Draws are unpredictable: a person must not replay a seed to know the order in advance.
_draw = random.SystemRandom()


class ExpertError(ValidationError):
    """A step the programme's rules refuse; its message is for the person who asked."""


def _programme(tenant: Tenant) -> ExpertProgramme:
    programme = selectors.programme_get(tenant=tenant)
    if programme is None:
        raise ExpertError(_("The Experts Zen programme is not open yet."))
    return programme


# --- the tier flag ---------------------------------------------------------------------------------------


def experts_tier_sync(*, tenant_id: int, partner_ids: list[int] | None = None) -> int:
    """Set ``tier_ok`` of the experts among ``partner_ids`` (all the tenant's when None) from their current
    tier, in one UPDATE: an expert below the minimum tier leaves the directory at once, and one back at it
    returns (its certifications permitting)."""
    programme = ExpertProgramme.objects.filter(tenant_id=tenant_id).select_related("min_tier").first()
    experts = Expert.objects.filter(tenant_id=tenant_id)
    if partner_ids is not None:
        experts = experts.filter(partner_id__in=partner_ids)
    if programme is None:
        return experts.update(tier_ok=False)
    return experts.update(tier_ok=selectors.tier_ok_expression(programme, "partner_id"))


# --- the expert's profile --------------------------------------------------------------------------------


def _expert_for(partner: Partner) -> Expert:
    expert, created = Expert.objects.get_or_create(
        partner=partner,
        defaults={
            "tenant_id": partner.tenant_id,
            "contact_email": partner.email,
            "contact_phone": partner.phone,
        },
    )
    if created:
        experts_tier_sync(tenant_id=partner.tenant_id, partner_ids=[partner.pk])
        expert.refresh_from_db()
    return expert


@transaction.atomic
def expert_profile_save(
    *,
    partner: Partner,
    departements: list[str],
    intervention_hours: int,
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
) -> Expert:
    """Save the partner's zone (replacing it), guaranteed time and contact; creates its expert record."""
    _programme(partner.tenant)
    unknown = [code for code in departements if code not in BY_CODE]
    if unknown or not departements:
        raise ExpertError(_("Choose at least one département of the list."))
    expert = _expert_for(partner)
    expert.intervention_hours = intervention_hours
    expert.contact_name = contact_name
    expert.contact_email = contact_email
    expert.contact_phone = contact_phone
    expert.full_clean(exclude=["tenant", "partner"])
    expert.save()
    expert_zone_set(expert=expert, departements=departements)
    return expert


@transaction.atomic
def expert_zone_set(*, expert: Expert, departements: list[str]) -> None:
    """Make the expert's zone exactly ``departements`` (unknown codes are ignored)."""
    wanted = {code for code in departements if code in BY_CODE}
    expert.zones.exclude(departement__in=wanted).delete()
    have = set(expert.zones.values_list("departement", flat=True))
    ExpertZone.objects.bulk_create(
        [
            ExpertZone(tenant_id=expert.tenant_id, expert=expert, departement=code)
            for code in sorted(wanted - have)
        ]
    )


@transaction.atomic
def price_grid_accept(*, partner: Partner, by: User, now: dt.datetime | None = None) -> Expert:
    """Record that ``by`` accepted the current Zen price grid for the partner."""
    programme = _programme(partner.tenant)
    expert = _expert_for(partner)
    expert.price_grid_version = programme.price_grid_version
    expert.price_grid_accepted_at = now or timezone.now()
    expert.price_grid_accepted_by = by
    expert.save(update_fields=["price_grid_version", "price_grid_accepted_at", "price_grid_accepted_by"])
    return expert


# --- applications and certification ----------------------------------------------------------------------


@transaction.atomic
def speciality_apply(
    *, partner: Partner, speciality: Speciality, now: dt.datetime | None = None
) -> ExpertSpeciality:
    """Apply for a speciality (again: a renewal); certified at once when every condition holds."""
    _programme(partner.tenant)
    if not speciality.is_active or speciality.tenant_id != partner.tenant_id:
        raise ExpertError(_("This speciality is not open to applications."))
    expert = _expert_for(partner)
    application, _created = ExpertSpeciality.objects.get_or_create(
        expert=expert, speciality=speciality, defaults={"tenant_id": partner.tenant_id}
    )
    return speciality_certify(application=application, now=now)


def speciality_certify(*, application: ExpertSpeciality, now: dt.datetime | None = None) -> ExpertSpeciality:
    """Certify the application when the checklist is complete: it lasts ``validity_months`` from the latest
    pass of the test. Leaves it as it is otherwise (a certification still valid stays until it expires)."""
    now = now or timezone.now()
    expert = application.expert
    programme = _programme(expert.partner.tenant)
    rows = selectors.checklist(
        programme=programme, partner=expert.partner, expert=expert, speciality=application.speciality, now=now
    )
    if not all(row.met for row in rows):
        return application
    attempt = selectors.passed_attempt(
        partner=expert.partner,
        speciality=application.speciality,
        since=selectors.validity_start(programme, now),
    )
    passed_on = timezone.localdate(attempt.submitted_at)
    application.attempt = attempt
    application.certified_on = timezone.localdate(now)
    application.expires_on = certification_expiry(passed_on, programme.validity_months)
    application.save(update_fields=["attempt", "certified_on", "expires_on"])
    # The checklist just read the tier: the directory's flag follows it (one UPDATE).
    experts_tier_sync(tenant_id=expert.tenant_id, partner_ids=[expert.partner_id])
    return application


# --- the test --------------------------------------------------------------------------------------------


@transaction.atomic
def attempt_start(
    *, membership: Membership, test: CertificationTest, now: dt.datetime | None = None
) -> Attempt:
    """Start an attempt: draw its questions and their choices' order here, on the server.

    An open attempt of the person is given back instead of a new draw (reloading must not reshuffle until a
    question one likes comes up). Each start counts against ``max_attempts`` per ``attempt_period_days``.
    """
    now = now or timezone.now()
    programme = _programme(membership.tenant)
    if not test.is_active:
        raise ExpertError(_("This test is closed."))
    # Serialise one person's starts: two clicks must not both pass the count below.
    list(Membership.objects.select_for_update(of=("self",)).filter(pk=membership.pk).order_by().values("pk"))
    recent = selectors.attempts_in_period(programme=programme, membership=membership, test=test, now=now)
    open_attempt = recent.filter(submitted_at__isnull=True, expires_at__gt=now).first()
    if open_attempt is not None:
        return open_attempt
    if recent.count() >= programme.max_attempts:
        first = recent.order_by("started_at").first()
        next_on = timezone.localdate(first.started_at + dt.timedelta(days=programme.attempt_period_days))
        raise ExpertError(
            _("You have used your %(count)d attempts of the last %(days)d days; next attempt from %(date)s.")
            % {"count": programme.max_attempts, "days": programme.attempt_period_days, "date": next_on}
        )
    question_ids = list(Question.objects.filter(test=test).values_list("pk", flat=True))
    if not question_ids:
        raise ExpertError(_("This test has no questions yet."))
    drawn_ids = _draw.sample(question_ids, min(test.questions_per_attempt, len(question_ids)))
    choices: dict[int, list[int]] = {pk: [] for pk in drawn_ids}
    for choice_id, question_id in Choice.objects.filter(question_id__in=drawn_ids).values_list(
        "pk", "question_id"
    ):
        choices[question_id].append(choice_id)
    drawn = []
    for question_id in drawn_ids:
        order = choices[question_id]
        _draw.shuffle(order)
        drawn.append([question_id, order])
    return Attempt.objects.create(
        tenant_id=membership.tenant_id,
        partner_id=membership.partner_id,
        membership=membership,
        test=test,
        drawn=drawn,
        started_at=now,
        expires_at=now + dt.timedelta(minutes=programme.attempt_minutes),
    )


@transaction.atomic
def attempt_submit(
    *, attempt: Attempt, answers: dict[int, list[int]], now: dt.datetime | None = None
) -> Attempt:
    """Score an attempt once: a question counts when the choices ticked are exactly its correct ones.

    Refused: a second submission, one after the time allowed, a choice that was not drawn for its question.
    A pass certifies the partner's application for the speciality when the rest of the checklist holds.
    """
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.submitted_at is not None:
        raise ExpertError(_("This attempt is already submitted."))
    if attempt.expires_at < now:
        raise ExpertError(_("The time for this attempt is over: start a new one."))
    shown = {question_id: set(order) for question_id, order in attempt.drawn}
    for question_id, picked in answers.items():
        if question_id not in shown or not set(picked) <= shown[question_id]:
            raise ExpertError(_("These answers do not match the questions you were given."))
    correct: dict[int, set[int]] = {question_id: set() for question_id in shown}
    for choice_id, question_id in Choice.objects.filter(question_id__in=shown, is_correct=True).values_list(
        "pk", "question_id"
    ):
        correct[question_id].add(choice_id)
    right = sum(1 for question_id in shown if set(answers.get(question_id, ())) == correct[question_id])
    attempt.answers = {str(question_id): sorted(picked) for question_id, picked in answers.items()}
    attempt.submitted_at = now
    attempt.score = right * 100 // len(shown) if shown else 0
    attempt.passed = attempt.score >= attempt.test.pass_mark
    attempt.save(update_fields=["answers", "submitted_at", "score", "passed"])
    if attempt.passed:
        application = ExpertSpeciality.objects.filter(
            expert__partner_id=attempt.partner_id, speciality_id=attempt.test.speciality_id
        ).first()
        if application is not None:
            speciality_certify(application=application, now=now)
    return attempt


# --- assignments -----------------------------------------------------------------------------------------


@transaction.atomic
def assignment_mandate(
    *,
    expert: Expert,
    speciality: Speciality,
    client: str,
    place: str,
    departement: str,
    deadline: dt.datetime,
    by: User | None,
    description: str = "",
    now: dt.datetime | None = None,
) -> Assignment:
    """Mandate a listed expert certified on ``speciality``; its guaranteed time is copied from its profile.
    The expert is e-mailed after commit (``tasks.notify_mandate``)."""
    now = now or timezone.now()
    programme = _programme(expert.partner.tenant)
    listed = selectors.directory_list(
        tenant=expert.partner.tenant, today=timezone.localdate(now), speciality=speciality
    )
    if not listed.filter(pk=expert.pk).exists():
        raise ExpertError(
            _("%(expert)s is not a listed expert certified on %(speciality)s.")
            % {"expert": expert, "speciality": speciality}
        )
    assignment = Assignment(
        tenant_id=expert.tenant_id,
        expert=expert,
        speciality=speciality,
        client=client,
        place=place,
        departement=departement,
        description=description,
        deadline=deadline,
        guaranteed_hours=expert.intervention_hours,
        mandated_at=now,
        mandated_by=by,
        respond_by=now + dt.timedelta(hours=programme.response_hours),
        intervene_by=now + dt.timedelta(hours=expert.intervention_hours),
    )
    assignment.full_clean()
    assignment.save()
    notify_mandate.delay_on_commit(assignment.tenant_id, assignment.pk)
    return assignment


def _step(assignment: Assignment, *, from_state: str, error: str, **values) -> Assignment:
    changed = Assignment.objects.filter(pk=assignment.pk, state=from_state).update(**values)
    if not changed:
        raise ExpertError(error)
    assignment.refresh_from_db()
    return assignment


@transaction.atomic
def assignment_accept(*, assignment: Assignment, by: User, now: dt.datetime | None = None) -> Assignment:
    now = now or timezone.now()
    if assignment.state == AssignmentState.MANDATED and assignment.respond_by < now:
        raise ExpertError(_("The time to answer this mandate is over; your channel manager will call you."))
    return _step(
        assignment,
        from_state=AssignmentState.MANDATED,
        error=_("This assignment is no longer waiting for your answer."),
        state=AssignmentState.ACCEPTED,
        answered_at=now,
        answered_by=by,
    )


@transaction.atomic
def assignment_refuse(
    *, assignment: Assignment, by: User, reason: str, now: dt.datetime | None = None
) -> Assignment:
    now = now or timezone.now()
    if not reason.strip():
        raise ExpertError(_("Say why you refuse: the vendor finds another expert with it."))
    return _step(
        assignment,
        from_state=AssignmentState.MANDATED,
        error=_("This assignment is no longer waiting for your answer."),
        state=AssignmentState.REFUSED,
        answered_at=now,
        answered_by=by,
        refusal_reason=reason.strip(),
    )


@transaction.atomic
def assignment_done(*, assignment: Assignment, at: dt.datetime | None = None) -> Assignment:
    """Record the intervention done at ``at`` (now by default; never in the future nor before the mandate)."""
    now = timezone.now()
    at = at or now
    if at > now or at < assignment.mandated_at:
        raise ExpertError(_("The intervention's time must be between the mandate and now."))
    return _step(
        assignment,
        from_state=AssignmentState.ACCEPTED,
        error=_("Only an accepted assignment can be marked done."),
        state=AssignmentState.DONE,
        done_at=at,
    )


@transaction.atomic
def assignment_cancel(*, assignment: Assignment) -> Assignment:
    if assignment.state not in (AssignmentState.MANDATED, AssignmentState.ACCEPTED):
        raise ExpertError(_("Only an open assignment can be cancelled."))
    return _step(
        assignment,
        from_state=assignment.state,
        error=_("This assignment changed meanwhile."),
        state=AssignmentState.CANCELLED,
    )
