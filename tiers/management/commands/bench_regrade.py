"""Benchmark of the re-grading job against a straightforward per-partner ORM loop.

Builds synthetic data in the configured database (a tenant ``bench-regrade`` that is replaced on every
run), times ``manage.py regrade`` in a child process (its peak RSS is the job's peak memory), then times
the per-partner loop on a sample and scales it. Ends with the line the issue names:
``regrade: N partners, set-based S s, per-partner loop L s, ratio Rx, peak memory P MB``.
"""

import datetime as dt
import os
import re
import resource
import subprocess
import sys
import time
from decimal import ROUND_HALF_UP, Decimal

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django_scopes import scopes_disabled
from rich.console import Console

from partnerportal.models import Partner, PartnerType, Tenant
from partnerportal.tenancy import tenant_owned_paths, tenant_scope
from tiers.calendar import add_months, months_between, window_for
from tiers.hooks import bench_data
from tiers.models import Assessment, Evaluation, PartnerTier, RevenueEntry, Threshold, Tier

SLUG = "bench-regrade"
EVALUATION_DATE = dt.date(2026, 7, 1)
# Monthly thresholds of the Dstny programme (PROGRAM.md): Ambassadeurs, Opérateurs.
TIERS = [
    ("starter", "Starter", 0, 0),
    ("access", "Access", 500, 1000),
    ("business", "Business", 1000, 2000),
    ("premium", "Premium", 10000, 20000),
]
CATEGORIES = ["recurring", "access_fees", "usage"]


class Command(BaseCommand):
    help = "Benchmark the regrade job against a per-partner ORM loop on synthetic data."

    def add_arguments(self, parser):
        parser.add_argument("--partners", type=int, default=200_000)
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument(
            "--sample", type=int, default=5000, help="Partners timed in the per-partner loop."
        )
        parser.add_argument("--keep", action="store_true", help="Keep the synthetic tenant afterwards.")

    def handle(self, *args, partners, months, sample, keep, **options):
        console = Console(stderr=True, highlight=False)
        console.print(f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}")
        started = time.perf_counter()
        tenant = self._build(partners, months, console)
        console.print(f"data built in {time.perf_counter() - started:.1f} s")

        job_seconds, peak_mb = self._time_job(console)
        loop_seconds, sampled = self._time_loop(tenant, sample)
        scaled = loop_seconds * partners / sampled if sampled else 0.0
        note = f" (timed on {sampled} partners, scaled)" if sampled < partners else ""
        console.print(f"per-partner loop: {loop_seconds:.2f} s for {sampled} partners{note}")
        if not keep:
            _drop_tenant()
        ratio = scaled / job_seconds if job_seconds else 0.0
        self.stdout.write(
            f"regrade: {partners} partners, set-based {job_seconds:.2f} s, per-partner loop {scaled:.2f} s, "
            f"ratio {ratio:.1f}x, peak memory {peak_mb:.0f} MB"
        )

    # -- data -------------------------------------------------------------------------------------------

    def _build(self, partners: int, months: int, console) -> Tenant:
        _drop_tenant()
        tenant = Tenant.objects.create(name="Bench", slug=SLUG, evaluation_months=[1, 7])
        with tenant_scope(tenant):
            types = [
                PartnerType.objects.create(
                    tenant=tenant, code="ambassadeur", name="Ambassadeur", grading_basis="RRM"
                ),
                PartnerType.objects.create(
                    tenant=tenant, code="operateur", name="Opérateur", grading_basis="CA"
                ),
            ]
            for rank, (code, name, amb, op) in enumerate(TIERS, start=1):
                tier = Tier.objects.create(tenant=tenant, code=code, name=name, rank=rank)
                Threshold.objects.create(tenant=tenant, tier=tier, partner_type=types[0], minimum_monthly=amb)
                Threshold.objects.create(tenant=tenant, tier=tier, partner_type=types[1], minimum_monthly=op)
            first_month = add_months(EVALUATION_DATE, -months)
            batch = []
            for i in range(partners):
                # Most partners joined before the data starts; one in ten joined during it.
                joined = add_months(first_month, -(i % 24)) if i % 10 else add_months(first_month, i % months)
                batch.append(
                    Partner(
                        tenant=tenant,
                        external_ref=f"B{i:07d}",
                        legal_name=f"Partenaire {i}",
                        partner_type=types[i % 5 == 0],
                        status=Partner.Status.ACTIVE,
                        date_joined=joined,
                    )
                )
                if len(batch) == 10_000:
                    Partner.objects.bulk_create(batch)
                    batch = []
            Partner.objects.bulk_create(batch)
            console.print(f"{partners} partners created")
            self._revenue(tenant, first_month, months)
            console.print(f"{partners * months * len(CATEGORIES)} revenue rows created")
            # What the engine joins besides the ledger (the duties that hold promotions back), from the apps.
            for line in bench_data(tenant=tenant, evaluation_date=EVALUATION_DATE):
                console.print(line)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # Fresh statistics, and nothing left for autovacuum to do while the job is timed.
                    cursor.execute("VACUUM ANALYZE")
        return tenant

    def _revenue(self, tenant: Tenant, first_month: dt.date, months: int) -> None:
        """N × M × 3 ledger rows in one SQL statement: far faster than building millions of objects."""
        ledger = RevenueEntry._meta.db_table
        partner_table = Partner._meta.db_table
        # A partner's level spreads partners over the tiers; each month varies around it.
        level = "((p.id * 7919) %% 1000) * ((p.id * 7919) %% 1000) / 40.0"
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"""
                    INSERT INTO {ledger} (tenant_id, partner_id, month, category, amount)
                    SELECT %s, p.id, (%s::date + make_interval(months => m))::date, c.code,
                           round(({level} * (0.8 + random() * 0.4) * c.share)::numeric, 2)
                    FROM {partner_table} p
                    CROSS JOIN generate_series(0, %s - 1) AS m
                    CROSS JOIN (VALUES ('recurring', 1.0), ('access_fees', 0.2), ('usage', 0.3)) AS c(code, share)
                    WHERE p.tenant_id = %s
                    """,
                    [tenant.pk, first_month, months, tenant.pk],
                )
            else:
                month_values = ", ".join(
                    f"('{add_months(first_month, m).isoformat()}')" for m in range(months)
                )
                cursor.execute(
                    f"""
                    INSERT INTO {ledger} (tenant_id, partner_id, month, category, amount)
                    SELECT %s, p.id, mo.column1, c.column1,
                           round({level} * (0.8 + (abs(random()) %% 1000) / 2500.0) * c.column2, 2)
                    FROM {partner_table} p
                    CROSS JOIN (VALUES {month_values}) AS mo
                    CROSS JOIN (VALUES ('recurring', 1.0), ('access_fees', 0.2), ('usage', 0.3)) AS c
                    WHERE p.tenant_id = %s
                    """,
                    [tenant.pk, tenant.pk],
                )

    # -- timings ----------------------------------------------------------------------------------------

    def _time_job(self, console) -> tuple[float, float]:
        """Run the real command in a child process; its RUSAGE_CHILDREN max RSS is the job's peak memory."""
        command = [
            sys.executable,
            "manage.py",
            "regrade",
            "--tenant",
            SLUG,
            "--as-of",
            EVALUATION_DATE.isoformat(),
        ]
        # As in production, the work a tier change queues (partners' e-mails, their new duties) goes to the
        # worker through the broker; here an in-memory broker that no worker reads, so the figure is the job.
        env = {**os.environ, "CELERY_BROKER_URL": "memory://", "CELERY_RESULT_BACKEND": "cache+memory://"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        wall = time.perf_counter()
        completed = subprocess.run(
            command, capture_output=True, text=True, cwd=settings.BASE_DIR, env=env, check=False
        )
        wall = time.perf_counter() - wall
        if completed.returncode:
            raise SystemExit(f"regrade failed:\n{completed.stdout}\n{completed.stderr}")
        console.print(completed.stdout.strip())
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        match = re.search(r"seconds ([0-9.]+)", completed.stdout)
        job_seconds = float(match.group(1)) if match else wall
        console.print(f"regrade process: {wall:.2f} s wall clock including start-up")
        return job_seconds, max(peak_kb, before) / 1024

    def _time_loop(self, tenant: Tenant, sample: int) -> tuple[float, int]:
        """The straightforward way: for each partner, sum its revenue, read its tier, write an assessment.

        Runs for a different evaluation date inside a transaction that is rolled back, so it leaves nothing.
        """
        evaluation_date = add_months(EVALUATION_DATE, 6)
        window = window_for(evaluation_date, 6)
        with tenant_scope(tenant), transaction.atomic():
            evaluation = Evaluation.objects.create(
                tenant=tenant,
                evaluation_date=evaluation_date,
                window_start=window.start,
                window_end=window.end,
            )
            thresholds = {}
            for t in Threshold.objects.select_related("tier").order_by("-minimum_monthly"):
                thresholds.setdefault(t.partner_type_id, []).append(t)
            partners = list(Partner.objects.order_by("pk")[:sample])
            started = time.perf_counter()
            for partner in partners:
                revenue = RevenueEntry.objects.filter(
                    partner=partner, month__gte=window.start, month__lte=window.end, category="recurring"
                ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
                current = PartnerTier.objects.filter(partner=partner).select_related("tier").first()
                months = min(6, months_between(partner.date_joined, evaluation_date))
                tier = next(
                    (
                        t.tier
                        for t in thresholds[partner.partner_type_id]
                        if revenue >= t.minimum_monthly * months
                    ),
                    thresholds[partner.partner_type_id][-1].tier,
                )
                Assessment.objects.create(
                    tenant=tenant,
                    partner=partner,
                    evaluation=evaluation,
                    evaluation_date=evaluation_date,
                    window_start=window.start,
                    window_end=window.end,
                    months_counted=months,
                    revenue=revenue,
                    basis=(revenue / months).quantize(Decimal("0.01"), ROUND_HALF_UP),
                    previous_tier=current.tier if current else None,
                    computed_tier=tier,
                    applied_tier=tier,
                    reason="computed",
                    movement="same",
                    applied_at=timezone.now(),
                )
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return elapsed, len(partners)


def _drop_tenant() -> None:
    """Delete the bench tenant with set-based SQL (Django's cascade would load millions of rows).

    Foreign keys are checked at commit (Django makes them deferrable on PostgreSQL and SQLite), so parents
    may go before children within the transaction, as long as each child's rows are found first.
    """
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is None:
        return
    with transaction.atomic(), scopes_disabled():  # the bench's own tenant, by its id, in every table
        for model, path in tenant_owned_paths():
            model._base_manager.filter(**{path: tenant.pk})._raw_delete(connection.alias)
        # History records (simple-history) keep a nullable tenant with no database link, so the paths above
        # miss them; the run records its tier changes there (PartnerTier's history).
        for model in apps.get_models():
            if hasattr(model, "instance_type") and any(f.name == "tenant" for f in model._meta.fields):
                model._base_manager.filter(tenant_id=tenant.pk)._raw_delete(connection.alias)
        tenant.delete()
