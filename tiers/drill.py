"""The tiers app's scenarios of ``make drill`` (partnerportal/drill): a worker killed mid-regrade, and
PostgreSQL restarted mid-import."""

import csv
import datetime as dt
import subprocess
import sys
import time
from decimal import Decimal

from django.db import connections
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Coalesce
from django_scopes import scopes_disabled

from partnerportal.drill.infra import BASE_DIR
from partnerportal.drill.run import WAIT, Drill, ScenarioFailed, check, wait_until
from partnerportal.drill.scenarios import register
from partnerportal.models import Membership, Partner, Tenant
from tiers.calendar import next_evaluation_date
from tiers.models import Assessment, Evaluation, RevenueEntry, RevenueImport, RevenueImportRow, Tier
from tiers.tasks import regrade_tenant

REGRADE_CHUNK = 100  # partners per committed chunk of the drill's regrade


@register(order=10)
def worker_killed_mid_regrade(drill: Drill) -> tuple[str, int]:
    tenant = Tenant.objects.get(slug="dstny")
    day = next_evaluation_date(tenant)
    mail_before = drill.mail_files()
    with scopes_disabled():
        assessments = Assessment.objects.filter(tenant=tenant, evaluation_date=day)
        evaluation = Evaluation.objects.filter(tenant=tenant, evaluation_date=day)
        regrade_tenant.apply_async((tenant.pk, day.isoformat()), {"chunk_size": REGRADE_CHUNK})
        wait_until(assessments.exists, every=0.02, what="the regrade's first chunk")
        check(
            evaluation.filter(status=Evaluation.Status.RUNNING).exists(),
            "the regrade finished before the worker could be killed: clone more partners",
        )
        drill.kill_worker()
        at_kill = assessments.count()
        drill.start_worker()  # the message comes back after the visibility timeout (10 s)
        wait_until(
            lambda: evaluation.exclude(status=Evaluation.Status.RUNNING).exists(),
            what="the redelivered regrade to finish",
        )
        drill.settle()
        finished = evaluation.get()
        check(finished.status == Evaluation.Status.FINISHED, f"the evaluation ended {finished.status}")
        total = assessments.count()
        once = assessments.values("partner_id").distinct().count()
        check(total == once == finished.partners, f"{total} assessments for {once} partners")
        check(at_kill < total, "nothing was left to do after the kill")
        # The engine's rule: a change is a tier other than the previous one (the lowest for a first one).
        lowest = Tier.objects.filter(tenant=tenant).order_by("rank").values_list("pk", flat=True)[0]
        changed = assessments.exclude(applied_tier_id=Coalesce("previous_tier_id", Value(lowest)))
        admins = Membership.objects.filter(
            partner_id=OuterRef("partner_id"), role=Membership.Role.ADMIN, user__is_active=True
        )
        unnotified = changed.filter(Exists(admins), notified_at__isnull=True).count()
    new = drill.messages(drill.mail_files() - mail_before)
    doubled = drill.duplicates(new)
    check(doubled == 0, f"{doubled} e-mails sent twice")
    lost = unnotified
    return (
        f"worker SIGKILLed mid-regrade ({at_kill} of {total} partners assessed): the redelivered task finished "
        f"the evaluation of {day}, each partner assessed once ({total}), {changed.count()} tier changes, "
        f"{len(new)} e-mails, 0 sent twice, {unnotified} changes not e-mailed",
        lost,
    )


@register(order=20)
def postgres_restarted_mid_import(drill: Drill) -> tuple[str, int]:
    tenant = Tenant.objects.get(slug="dstny")

    def ledger() -> dict:
        with scopes_disabled():
            rows = RevenueEntry.objects.filter(tenant=tenant).values_list(
                "partner_id", "month", "category", "amount"
            )
            return {(p, m, c): a for p, m, c, a in rows}

    with scopes_disabled():
        refs = dict(Partner.objects.filter(tenant=tenant).values_list("external_ref", "pk"))
        categories = sorted(
            set(RevenueEntry.objects.filter(tenant=tenant).values_list("category", flat=True))
        )
    before = ledger()
    path = drill.infra.root / "revenue.csv"
    wanted = {}
    months = [dt.date(year, month, 1) for year in (2025, 2026) for month in range(1, 13)]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["partner_ref", "month", "category", "amount"])
        for n, (ref, pk) in enumerate(sorted(refs.items())):
            for month in months:
                for category in categories:
                    amount = Decimal(100 + (n * 7 + month.month * 13) % 900) + Decimal("0.25")
                    writer.writerow([ref, f"{month:%Y-%m}", category, f"{amount}"])
                    wanted[pk, month, category] = amount
    lines = len(wanted)
    manage = [sys.executable, "manage.py", "import_revenue", "--tenant", tenant.slug, str(path)]
    importer = subprocess.Popen(
        manage, cwd=BASE_DIR, env=drill.infra.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        with scopes_disabled():
            records = RevenueImport.objects.filter(tenant=tenant, filename=path.name)
            record = wait_until(records.first, every=0.05, what="the import to start")
        time.sleep(1.0)  # well into the staging of its lines
        connections.close_all()
        with scopes_disabled():
            check(
                RevenueImport.objects.get(pk=record.pk).status == RevenueImport.Status.RUNNING,
                "the import finished before PostgreSQL could be restarted: make the file bigger",
            )
        connections.close_all()
        drill.infra.postgres.restart("immediate")
        output, _ = importer.communicate(timeout=WAIT)
    finally:
        if importer.poll() is None:
            importer.kill()
    connections.close_all()
    after = ledger()
    with scopes_disabled():
        record = RevenueImport.objects.get(pk=record.pk)
        staged = RevenueImportRow.objects.filter(batch=record).count()
    check(staged == 0, f"{staged} staged lines left behind")
    if after == {**before, **wanted}:
        outcome, lost = f"completed: all {lines} lines in the ledger", 0
        check(
            record.status == RevenueImport.Status.IMPORTED,
            f"the ledger has the file but the record says {record.status}",
        )
    elif after == before:
        outcome, lost = "left nothing: the ledger is as before", 0
        check(
            record.status == RevenueImport.Status.REJECTED,
            f"nothing was imported but the record still says {record.get_status_display()!r} "
            f"(the command said: {output.strip().splitlines()[-1] if output.strip() else 'nothing'})",
        )
    else:
        changed = sum(1 for key, value in after.items() if before.get(key) != value)
        raise ScenarioFailed(f"half an import: {changed} ledger rows changed out of {lines}")
    errors = record.errors[0] if record.errors else {}
    return (
        f"PostgreSQL restarted (immediate) mid-import of {lines} lines: the import {outcome}; "
        f"the record says {record.status}" + (f" ({errors.get('code', errors)})" if errors else ""),
        lost,
    )
