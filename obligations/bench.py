"""Synthetic duties for ``bench_regrade`` (tiers.hooks.register_bench_data): set-based SQL, no loop."""

import datetime as dt

from django.db import connection
from django.utils import timezone

from partnerportal.models import Partner
from tiers.models import Tier

from .models import ONCE_PERIOD, Category, Duty, DutyFulfilment, EvidenceKind, FulfilmentState

# The Starter documents of the seeds; the charter is blocking.
BENCH_DUTIES = (
    ("qualification", "Fiche de qualification", False),
    ("charte", "Charte partenaire", True),
    ("contrat", "Contrat de partenariat", False),
)
OVERDUE_ONE_IN = 10


def bench_duties(*, tenant, evaluation_date: dt.date) -> str:
    """Every partner has the three Starter documents: approved, except one partner in ten whose blocking
    charter is still to do and 30 days overdue at ``evaluation_date``. One INSERT … SELECT per duty."""
    tiers = list(Tier.objects.filter(tenant=tenant))
    duties = []
    for position, (code, title, blocking) in enumerate(BENCH_DUTIES):
        duty = Duty.objects.create(
            tenant=tenant,
            code=code,
            title=title,
            category=Category.DOCUMENT,
            blocking=blocking,
            evidence=EvidenceKind.DOCUMENT,
            position=position,
        )
        duty.tiers.set(tiers)
        duties.append(duty)
    ops = connection.ops
    table, partners = DutyFulfilment._meta.db_table, Partner._meta.db_table
    overdue_due = ops.adapt_datefield_value(evaluation_date - dt.timedelta(days=30))
    done_due = ops.adapt_datefield_value(evaluation_date - dt.timedelta(days=60))
    now = ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        for duty in duties:
            overdue = f"p.id %% {OVERDUE_ONE_IN} = 0" if duty.blocking else "1 = 0"
            cursor.execute(
                f"""
                INSERT INTO {table} (tenant_id, partner_id, duty_id, period, due_date, state, document,
                    document_name, document_type, course, reason, created_at)
                SELECT %s, p.id, %s, %s,
                       CASE WHEN {overdue} THEN %s ELSE %s END,
                       CASE WHEN {overdue} THEN %s ELSE %s END,
                       '', '', '', '', '', %s
                FROM {partners} p WHERE p.tenant_id = %s
                """,
                [
                    tenant.pk,
                    duty.pk,
                    ops.adapt_datefield_value(ONCE_PERIOD),
                    overdue_due,
                    done_due,
                    FulfilmentState.TO_DO.value,
                    FulfilmentState.APPROVED.value,
                    now,
                    tenant.pk,
                ],
            )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")
    total = DutyFulfilment.objects.filter(tenant=tenant).count()
    held = DutyFulfilment.objects.filter(
        tenant=tenant, state=FulfilmentState.TO_DO, duty__blocking=True
    ).count()
    return f"duties: {len(duties)} in the catalogue, {total} fulfilments, {held} overdue and blocking"
