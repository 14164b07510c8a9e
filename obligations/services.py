"""Writes of the duties app: opening and closing duties with the tiers, evidence, decisions, reminders,
plans and forecasts. Views, admin actions, tasks and the demo all call these."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerportal.emails import partner_admin_emails, partner_emails
from partnerportal.history import history_record_update
from partnerportal.models import Membership, Partner, Tenant
from tiers.models import PartnerTier, Tier

from .models import (
    OPEN_STATES,
    UNDONE_STATES,
    DevelopmentPlan,
    Duty,
    DutyFulfilment,
    EvidenceKind,
    FulfilmentState,
    PlanObjective,
    Recurrence,
    SalesForecast,
    new_document_name,
    quarter_start,
)
from .selectors import duty_rules
from .signals import duties_decided
from .storage import private_storage
from .uploads import display_name, evidence_check

BULK_BATCH = 5000

# --- tier entry and exit -------------------------------------------------------------------------------


def _period_and_due(duty: Duty, entered: dt.date) -> tuple[dt.date, dt.date | None, dt.date]:
    """The period in force on ``entered`` and its due date: ``due_days`` after the later of the entry and
    the period's start (a partner entering on 1 July has until 1 July + delay for this year's plan), and
    never after the period's end."""
    start, end = duty.period_for(entered)
    return start, end, duty.due_date_for(entry=max(entered, start), period_end=end)


def _portal_evidence(duty: Duty, period: dt.date, end: dt.date | None) -> Exists | None:
    """What already proves a plan or forecast duty for (``period``, ``end``), for the fulfilment's partner
    (``OuterRef("partner_id")``): the same rule as ``_fulfil_by_portal`` (a plan counts for the period
    containing 1 January of its year, a forecast for the one containing its quarter). None for other duties.
    """
    if duty.evidence == EvidenceKind.PLAN:
        first_year = period.year if (period.month, period.day) == (1, 1) else period.year + 1
        found = DevelopmentPlan.objects.filter(partner_id=OuterRef("partner_id"), year__gte=first_year)
        return Exists(found.filter(year__lte=end.year) if end else found)
    if duty.evidence == EvidenceKind.FORECAST:
        found = SalesForecast.objects.filter(partner_id=OuterRef("partner_id"), quarter_start__gte=period)
        return Exists(found.filter(quarter_start__lte=end) if end else found)
    return None


def _approve_by_portal(fulfilments: QuerySet[DutyFulfilment], *, duty: Duty, period, end) -> int:
    """A plan or forecast duty opened for a period whose plan or forecast is already in the portal (saved
    ahead) is approved at once, as saving it then would have done: one update with an ``Exists``."""
    evidence = _portal_evidence(duty, period, end)
    if evidence is None:
        return 0
    now = timezone.now()
    return fulfilments.filter(evidence, duty=duty, period=period, state=FulfilmentState.TO_DO).update(
        state=FulfilmentState.APPROVED, submitted_at=now, decided_at=now, reason=""
    )


def duties_apply_tier_changes(
    *,
    tenant: Tenant,
    evaluation_date: dt.date,
    changes: list[tuple[int, int | None, int]],
    duty_ids: list[int] | None = None,
) -> dict[str, int]:
    """Open the duties of each partner's new tier and close those that no longer apply; set-based.

    ``changes`` is ``[(partner_id, old_tier_id, new_tier_id), …]`` for one chunk of an evaluation (or any
    set of partners and the tier they are in since ``evaluation_date``). For the whole set: one query for
    the partners, four for the catalogue, two counts over the chunk's partners, then per distinct (tier,
    partner type, plan) — a handful, bounded by the catalogue, not by the partners — one update that
    closes, one that reopens, and the inserts of the missing fulfilments in batches (``ignore_conflicts``
    on the (partner, duty, period) constraint, so a replayed task or an overlapping run writes nothing
    twice). A plan or forecast duty whose plan or forecast is already saved opens approved.

    Closing sets "no longer required" on what the partner still had to do (to do, refused, submitted);
    what was approved, waived or expired stays as history. Reopening brings a closed duty back to "to do"
    with a new due date when the partner re-enters a tier where it applies. ``duty_ids`` limits all of this
    to those duties (the catalogue's admin action on selected duties).
    """
    if not changes:
        return {"opened": 0, "reopened": 0, "closed": 0}
    new_tier = {partner_id: new for partner_id, _old, new in changes}
    rules = duty_rules(tenant=tenant)
    if duty_ids is not None:
        chosen = set(duty_ids)
        rules = [r for r in rules if r.duty.pk in chosen]
    groups: dict[tuple, list[int]] = defaultdict(list)
    for pk, type_id, plan_id in Partner.objects.filter(tenant=tenant, pk__in=list(new_tier)).values_list(
        "pk", "partner_type_id", "operator_plan_id"
    ):
        groups[(new_tier[pk], type_id, plan_id)].append(pk)
    # Counted over the chunk's partners only (the partner index), never the tenant's millions of rows.
    chunk = DutyFulfilment.objects.filter(partner_id__in=[pk for ids in groups.values() for pk in ids])
    reopened = closed = 0
    with transaction.atomic():
        before = chunk.count()
        for (tier_id, type_id, plan_id), partner_ids in groups.items():
            applicable = [
                r.duty for r in rules if r.applies(tier_id=tier_id, type_id=type_id, plan_id=plan_id)
            ]
            closing = DutyFulfilment.objects.filter(partner_id__in=partner_ids, state__in=UNDONE_STATES)
            if duty_ids is not None:
                closing = closing.filter(duty_id__in=duty_ids)
            closed += closing.exclude(duty__in=applicable).update(state=FulfilmentState.CLOSED)
            if not applicable:
                continue
            periods = {duty.pk: _period_and_due(duty, evaluation_date) for duty in applicable}
            # One update reopens, whatever the duties: the due date is picked per duty in SQL.
            reopen = Q()
            for duty_id, (period, _end, _due) in periods.items():
                reopen |= Q(duty_id=duty_id, period=period)
            reopened += DutyFulfilment.objects.filter(
                reopen, partner_id__in=partner_ids, state=FulfilmentState.CLOSED
            ).update(
                state=FulfilmentState.TO_DO,
                due_date=Case(*(When(duty_id=pk, then=Value(due)) for pk, (_p, _e, due) in periods.items())),
                reminded_at=None,
                overdue_notified_at=None,
            )
            rows = [
                DutyFulfilment(
                    tenant=tenant, partner_id=pk, duty_id=duty_id, period=period, period_end=end, due_date=due
                )
                for duty_id, (period, end, due) in periods.items()
                for pk in partner_ids
            ]
            DutyFulfilment.objects.bulk_create(rows, batch_size=BULK_BATCH, ignore_conflicts=True)
            for duty in applicable:
                period, end, _due = periods[duty.pk]
                _approve_by_portal(
                    DutyFulfilment.objects.filter(partner_id__in=partner_ids),
                    duty=duty,
                    period=period,
                    end=end,
                )
        opened = chunk.count() - before
    return {"opened": opened, "reopened": reopened, "closed": closed}


SYNC_CHUNK = 5000


def duties_sync(*, tenant: Tenant, duty_ids: list[int] | None = None) -> dict[str, int]:
    """Bring every graded partner's duties in line with its current tier (after a catalogue change, or for
    partners graded before the duties existed): ``duties_apply_tier_changes`` per date of entry, over
    chunks of ``SYNC_CHUNK`` partners (by id), each its own transaction. ``duty_ids``: only those duties.
    Run by the ``sync_duties`` task (the catalogue's admin action queues it)."""
    totals = {"opened": 0, "reopened": 0, "closed": 0}
    last = 0
    while True:
        rows = list(
            PartnerTier.objects.filter(tenant=tenant, partner_id__gt=last)
            .order_by("partner_id")
            .values_list("partner_id", "tier_id", "since")[:SYNC_CHUNK]
        )
        if not rows:
            return totals
        last = rows[-1][0]
        by_since: dict[dt.date, list[tuple[int, None, int]]] = defaultdict(list)
        for partner_id, tier_id, since in rows:
            by_since[since].append((partner_id, None, tier_id))
        for since, changes in sorted(by_since.items()):
            result = duties_apply_tier_changes(
                tenant=tenant, evaluation_date=since, changes=changes, duty_ids=duty_ids
            )
            for key, value in result.items():
                totals[key] += value


LATE_ENTRY_DAYS = 31


def duty_periods_roll(*, tenant: Tenant, today: dt.date) -> dict[str, int]:
    """The daily roll: expire the periods that ended unfulfilled, open what is missing for the current one.

    Expired: a yearly or quarterly period whose last day is past with the duty still to do or refused
    (evidence submitted in time stays for review). A *missed* once-only duty is never expired: it stays
    "to do" and shows as overdue until it is done, waived or no longer required.

    Opened: for each duty (a handful), the partners whose current tier it applies to and who have no
    fulfilment for the period containing ``today`` (one select read in chunks, inserts flushed every
    ``BULK_BATCH`` rows). This opens the new periods of recurring duties, the duties of partners whose first
    assessment kept them at the entry tier (no tier change, so no ``tier_changed``), the entry tier's duties
    of active partners never assessed (from the day they joined), and duties added to the catalogue. Due ``due_days`` after the later of the partner's tier entry and the period's start (a
    period's due date does not move because it was opened late), never after the period's end; for a
    once-only duty entered more than a month ago (a duty new to the catalogue), after today, so that nobody
    is overdue the day a duty is created. A plan or forecast duty whose plan or forecast was saved ahead
    opens approved.
    """
    with transaction.atomic():
        expired = DutyFulfilment.objects.filter(
            tenant=tenant, period_end__lt=today, state__in=OPEN_STATES
        ).update(state=FulfilmentState.EXPIRED)
        opened = 0
        entry_tier_id = (
            Tier.objects.filter(tenant=tenant).order_by("rank").values_list("pk", flat=True).first()
        )
        for rule in duty_rules(tenant=tenant):
            duty = rule.duty
            period, end = duty.period_for(today)
            partners = PartnerTier.objects.filter(tenant=tenant, tier_id__in=rule.tier_ids).exclude(
                Exists(
                    DutyFulfilment.objects.filter(partner_id=OuterRef("partner_id"), duty=duty, period=period)
                )
            )
            if rule.type_ids:
                partners = partners.filter(partner__partner_type_id__in=rule.type_ids)
            if rule.plan_ids:
                partners = partners.filter(partner__operator_plan_id__in=rule.plan_ids)
            sources = [partners.values_list("partner_id", "since")]
            if entry_tier_id in rule.tier_ids:
                # Active partners never assessed are at the entry tier since they joined (an applicant
                # accepted, a partner added between two evaluations): their entry duties open now, not at
                # their first evaluation.
                unassessed = Partner.objects.filter(
                    tenant=tenant, status=Partner.Status.ACTIVE, current_tier__isnull=True
                ).exclude(
                    Exists(DutyFulfilment.objects.filter(partner_id=OuterRef("pk"), duty=duty, period=period))
                )
                if rule.type_ids:
                    unassessed = unassessed.filter(partner_type_id__in=rule.type_ids)
                if rule.plan_ids:
                    unassessed = unassessed.filter(operator_plan_id__in=rule.plan_ids)
                sources.append(unassessed.values_list("pk", "date_joined"))
            rows = []
            for pk, since in (row for source in sources for row in source.iterator(chunk_size=BULK_BATCH)):
                entry = max(since, period)
                if duty.recurrence == Recurrence.ONCE and entry < today - dt.timedelta(days=LATE_ENTRY_DAYS):
                    entry = today
                rows.append(
                    DutyFulfilment(
                        tenant=tenant,
                        partner_id=pk,
                        duty=duty,
                        period=period,
                        period_end=end,
                        due_date=duty.due_date_for(entry=entry, period_end=end),
                    )
                )
                if len(rows) == BULK_BATCH:
                    opened += _insert(rows)
                    rows = []
            opened += _insert(rows)
            _approve_by_portal(
                DutyFulfilment.objects.filter(tenant=tenant), duty=duty, period=period, end=end
            )
    return {"expired": expired, "opened": opened}


def _insert(rows: list[DutyFulfilment]) -> int:
    if rows:
        DutyFulfilment.objects.bulk_create(rows, batch_size=BULK_BATCH, ignore_conflicts=True)
    return len(rows)


# --- evidence --------------------------------------------------------------------------------------------


def _check_can_submit(fulfilment: DutyFulfilment, kind: str) -> None:
    if fulfilment.state not in OPEN_STATES:
        raise ValidationError(
            _("This duty is %(state)s: nothing to send.") % {"state": fulfilment.get_state_display()}
        )
    if fulfilment.duty.evidence != kind:
        raise ValidationError(_("This duty is not proven this way."))


@transaction.atomic
def fulfilment_submit_document(*, fulfilment: DutyFulfilment, upload: UploadedFile, by) -> DutyFulfilment:
    """Store ``upload`` as the evidence of an open duty and submit it for review.

    The content is checked (PDF, PNG or JPEG by its first bytes, at most 10 MB) before anything is
    written; the file is saved in the private storage under a generated name in the tenant's folder, and
    the person's file name is kept only to show, without any directory. A previous (refused) document is
    deleted once the new one is saved.
    """
    _check_can_submit(fulfilment, EvidenceKind.DOCUMENT)
    content_type, extension = evidence_check(upload)
    storage = private_storage()
    old = fulfilment.document.name
    name = storage.save(new_document_name(fulfilment.tenant_id, extension), upload)
    transaction.on_commit(lambda: old and storage.delete(old))
    fulfilment.document.name = name
    fulfilment.document_name = display_name(upload.name or "")
    fulfilment.document_type = content_type
    return _submitted(fulfilment, by, ["document", "document_name", "document_type"])


@transaction.atomic
def fulfilment_submit_training(
    *, fulfilment: DutyFulfilment, trainee, course: str, completed_on: dt.date, by
) -> DutyFulfilment:
    """Declare a training done: by whom (a person of the partner), which course, which day (not ahead)."""
    _check_can_submit(fulfilment, EvidenceKind.TRAINING)
    errors = {}
    if not Membership.objects.filter(partner_id=fulfilment.partner_id, user=trainee).exists():
        errors["trainee"] = _("Choose a person of your company.")
    if completed_on > fulfilment.partner.tenant.today():
        errors["completed_on"] = _("A training is declared once it has taken place.")
    if not course.strip():
        errors["course"] = _("Name the course.")
    if errors:
        raise ValidationError(errors)
    fulfilment.trainee, fulfilment.course, fulfilment.completed_on = trainee, course.strip(), completed_on
    return _submitted(fulfilment, by, ["trainee", "course", "completed_on"])


def _submitted(fulfilment: DutyFulfilment, by, fields: list[str]) -> DutyFulfilment:
    fulfilment.state = FulfilmentState.SUBMITTED
    fulfilment.submitted_by, fulfilment.submitted_at = by, timezone.now()
    fulfilment.reason = ""
    fulfilment.save(update_fields=[*fields, "state", "submitted_by", "submitted_at", "reason"])
    return fulfilment


# --- decisions -------------------------------------------------------------------------------------------

DECIDABLE = (FulfilmentState.TO_DO, FulfilmentState.SUBMITTED, FulfilmentState.REFUSED)


def _decide(fulfilments: QuerySet[DutyFulfilment], *, state: str, by, reason: str, notify: bool) -> int:
    rows = list(fulfilments.filter(state__in=DECIDABLE).values_list("pk", "tenant_id"))
    if not rows:
        return 0
    ids = [pk for pk, _tenant_id in rows]
    DutyFulfilment.objects.filter(pk__in=ids).update(
        state=state,
        decided_by=by,
        decided_at=timezone.now(),
        reason=reason,
        decision_notified_at=None,
    )
    history_record_update(model=DutyFulfilment, ids=ids, by=by)  # update() leaves no history of its own
    if notify:
        # One signal per tenant: the superuser's unscoped queue may mix tenants, and each e-mail task
        # opens one tenant's scope. The e-mails are queued by a receiver (receivers.py), after commit.
        by_tenant: dict[int, list[int]] = defaultdict(list)
        for pk, tenant_id in rows:
            by_tenant[tenant_id].append(pk)
        for tenant_id, tenant_ids in by_tenant.items():
            transaction.on_commit(
                lambda t=tenant_id, i=tenant_ids: duties_decided.send(
                    sender=DutyFulfilment, tenant_id=t, fulfilment_ids=i
                )
            )
    return len(ids)


@transaction.atomic
def fulfilment_approve_many(*, fulfilments: QuerySet[DutyFulfilment], by) -> int:
    """Approve the given duties still to decide (to do, submitted, refused): a manager's confirmation is an
    approval too. The partners' administrators are e-mailed after commit. Returns how many changed."""
    return _decide(fulfilments, state=FulfilmentState.APPROVED, by=by, reason="", notify=True)


def fulfilment_approve(*, fulfilment: DutyFulfilment, by) -> bool:
    return fulfilment_approve_many(fulfilments=DutyFulfilment.objects.filter(pk=fulfilment.pk), by=by) == 1


@transaction.atomic
def fulfilment_refuse(*, fulfilment: DutyFulfilment, by, reason: str) -> bool:
    """Refuse submitted evidence with a reason (required: the partner must know what to fix); e-mailed."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why, so that the partner knows what to send instead.")})
    queryset = DutyFulfilment.objects.filter(pk=fulfilment.pk, state=FulfilmentState.SUBMITTED)
    return _decide(queryset, state=FulfilmentState.REFUSED, by=by, reason=reason.strip(), notify=True) == 1


@transaction.atomic
def fulfilment_waive(*, fulfilment: DutyFulfilment, by, reason: str) -> bool:
    """Excuse a partner from a duty (it counts as done); the reason is required and shown to the partner."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the partner is excused.")})
    queryset = DutyFulfilment.objects.filter(pk=fulfilment.pk)
    return _decide(queryset, state=FulfilmentState.WAIVED, by=by, reason=reason.strip(), notify=True) == 1


def _claim(queryset: QuerySet[DutyFulfilment], guard: str) -> list[DutyFulfilment]:
    """Take the rows whose ``guard`` is empty and set it, before sending: at most one e-mail per row, even
    if the task runs twice (the price: a crash between claim and send loses that e-mail)."""
    with transaction.atomic():
        ids = list(
            queryset.filter(**{f"{guard}__isnull": True})
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        DutyFulfilment.objects.filter(pk__in=ids).update(**{guard: timezone.now()})
    return list(
        DutyFulfilment.objects.filter(pk__in=ids).select_related(
            "duty", "partner", "partner__tenant", "decided_by"
        )
    )


def _emails(fulfilments: list[DutyFulfilment], template: str, **extra) -> list[EmailMultiAlternatives]:
    admins = partner_admin_emails(partner_ids={f.partner_id for f in fulfilments})
    return [
        message
        for fulfilment in fulfilments
        for recipient in admins[fulfilment.partner_id]
        for message in partner_emails(
            partner=fulfilment.partner,
            template=f"obligations/emails/{template}",
            context={"fulfilment": fulfilment, **extra},
            to=[recipient],
        )
    ]


def _send(messages: list[EmailMultiAlternatives]) -> int:
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(messages)


def decisions_notify(*, fulfilment_ids: list[int]) -> int:
    """E-mail the partners' administrators the decisions on these duties, once per decision."""
    claimed = _claim(
        DutyFulfilment.objects.filter(
            pk__in=fulfilment_ids,
            state__in=[FulfilmentState.APPROVED, FulfilmentState.REFUSED, FulfilmentState.WAIVED],
        ),
        "decision_notified_at",
    )
    return _send(_emails(claimed, "decision"))


REMINDER_DAYS = 7


def reminders_send(*, tenant: Tenant, today: dt.date) -> dict[str, int]:
    """The daily reminders, each at most once per duty (guards ``reminded_at``, ``overdue_notified_at``):

    - *soon*: a duty still to do or refused, due within the next 7 days (today included);
    - *missed*: a duty still to do or refused whose due date has passed (sent the first day it is missed,
      or the first run after it). A missed duty stays "to do": the partner can still fulfil it.
    """
    pending = DutyFulfilment.objects.filter(tenant=tenant, state__in=OPEN_STATES)
    soon = _claim(
        pending.filter(due_date__gte=today, due_date__lte=today + dt.timedelta(days=REMINDER_DAYS)),
        "reminded_at",
    )
    missed = _claim(pending.filter(due_date__lt=today), "overdue_notified_at")
    return {
        "soon": _send(_emails(soon, "reminder", missed=False)),
        "missed": _send(_emails(missed, "reminder", missed=True)),
    }


# --- plan and forecasts ----------------------------------------------------------------------------------


def _fulfil_by_portal(*, partner: Partner, kind: str, day: dt.date, by) -> int:
    """Saving the plan or the quarter's forecast in the portal fulfils the matching open duty of that
    period: the portal itself is the evidence, so it is approved at once (no manager to wait for)."""
    duties = list(Duty.objects.filter(tenant=partner.tenant, evidence=kind))
    duty_ids, periods = [d.pk for d in duties], {d.period_for(day)[0] for d in duties}
    return (
        DutyFulfilment.objects.filter(
            partner=partner, duty_id__in=duty_ids, period__in=periods, state__in=OPEN_STATES
        ).update(
            state=FulfilmentState.APPROVED,
            submitted_by=by,
            submitted_at=timezone.now(),
            decided_at=timezone.now(),
            reason="",
        )
        if duty_ids
        else 0
    )


@transaction.atomic
def plan_save(
    *, partner: Partner, year: int, objectives: dict[tuple[int, str], Decimal | None], notes: str, by
) -> DevelopmentPlan:
    """Create or update the partner's plan for ``year``: objectives per (quarter, product line); an empty
    amount removes that objective. Fulfils the year's open development-plan duty."""
    plan, _created = DevelopmentPlan.objects.update_or_create(
        partner=partner, year=year, defaults={"tenant": partner.tenant, "notes": notes, "updated_by": by}
    )
    keep = {key: amount for key, amount in objectives.items() if amount is not None}
    existing = {(o.quarter, o.product_line): o.pk for o in PlanObjective.objects.filter(plan=plan)}
    PlanObjective.objects.filter(pk__in=[pk for key, pk in existing.items() if key not in keep]).delete()
    # One upsert on the (plan, quarter, product line) constraint, on SQLite and PostgreSQL alike.
    PlanObjective.objects.bulk_create(
        [
            PlanObjective(tenant=partner.tenant, plan=plan, quarter=quarter, product_line=line, amount=amount)
            for (quarter, line), amount in keep.items()
        ],
        update_conflicts=True,
        unique_fields=["plan", "quarter", "product_line"],
        update_fields=["amount"],
    )
    _fulfil_by_portal(partner=partner, kind=EvidenceKind.PLAN, day=dt.date(year, 1, 1), by=by)
    return plan


@transaction.atomic
def forecast_submit(
    *, partner: Partner, quarter: dt.date, amounts: dict[str, Decimal], by
) -> list[SalesForecast]:
    """Submit (or correct) the forecast of ``quarter`` (its first day) per product line; only the current
    or a future quarter may be forecast. Fulfils that quarter's open forecast duty."""
    today = partner.tenant.today()
    if quarter != quarter_start(quarter):
        raise ValidationError({"quarter": _("Choose a quarter.")})
    if quarter < quarter_start(today):
        raise ValidationError({"quarter": _("A past quarter cannot be forecast any more.")})
    saved = [
        SalesForecast.objects.update_or_create(
            partner=partner,
            quarter_start=quarter,
            product_line=line,
            defaults={"tenant": partner.tenant, "amount": amount, "submitted_by": by},
        )[0]
        for line, amount in amounts.items()
    ]
    _fulfil_by_portal(partner=partner, kind=EvidenceKind.FORECAST, day=quarter, by=by)
    return saved
