import argparse
import csv
import datetime as dt
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from partnerportal.models import Partner
from partnerportal.tenancy import tenant_scope
from tiers.calendar import latest_due_date
from tiers.engine import DEFAULT_CHUNK_SIZE
from tiers.grading import GRADED_STATUSES, RegradeError, Row
from tiers.locks import RegradeInProgress
from tiers.services import evaluation_run

from ._common import tenant_from_slug


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


REPORT_COLUMNS = ["partner_ref", "partner", "type", "basis", "previous_tier", "new_tier", "movement"]


class Command(BaseCommand):
    help = "Re-grade a tenant's partners for an evaluation date (default: the latest due one)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's slug, e.g. dstny.")
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            help="The evaluation date, YYYY-MM-DD: a 1 January or 1 July (the tenant's evaluation months), "
            "past or future. Default: the latest due one.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Compute and report; write nothing.")
        parser.add_argument(
            "--report", metavar="FILE.csv", help="Write one row per partner to this CSV file."
        )
        parser.add_argument(
            "--chunk-size",
            type=positive_int,
            default=DEFAULT_CHUNK_SIZE,
            help=f"Partners per chunk and transaction (default {DEFAULT_CHUNK_SIZE}).",
        )

    def handle(self, *args, tenant, as_of, dry_run, report, chunk_size, verbosity=1, **options):
        tenant = tenant_from_slug(tenant)
        evaluation_date = as_of or latest_due_date(tenant)
        report_file = open(report, "w", newline="", encoding="utf-8") if report else None  # noqa: SIM115
        writer = csv.writer(report_file) if report_file else None
        if writer:
            writer.writerow(REPORT_COLUMNS)

        def on_row(row: Row):
            writer.writerow(
                [
                    row.partner_ref,
                    row.partner_name,
                    row.partner_type,
                    f"{row.basis:.2f}",
                    row.previous_tier.name if row.previous_tier else "",
                    row.applied_tier.name,
                    row.movement,
                ]
            )

        err = Console(stderr=True, highlight=False)
        with tenant_scope(tenant):
            total = Partner.objects.filter(
                status__in=GRADED_STATUSES, date_joined__lt=evaluation_date
            ).count()
            progress = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                disable=verbosity == 0 or not sys.stderr.isatty(),
            )
            try:
                # A refusal (RegradeError, RegradeInProgress) is worded in the tenant's language.
                with progress, translation.override(tenant.default_language):
                    task = progress.add_task(f"Grading {tenant.slug} at {evaluation_date}", total=total)
                    result = evaluation_run(
                        tenant=tenant,
                        evaluation_date=evaluation_date,
                        dry_run=dry_run,
                        chunk_size=chunk_size,
                        on_row=on_row if writer else None,
                        on_chunk=lambda n: progress.advance(task, n),
                    )
            except (RegradeError, RegradeInProgress) as exc:
                if report_file:
                    report_file.close()
                    os.remove(report)  # no half-written report of a run that did not happen
                raise CommandError(str(exc)) from exc
            finally:
                if report_file:
                    report_file.close()
        if verbosity:
            window = result.window
            mode = " (dry run: nothing written)" if dry_run else ""
            if result.already_done:
                mode = " (already done: nothing new written)"
            elif result.proposed:
                mode = " (review mode: stored as a proposal, no tier changed until it is approved)"
            self.stdout.write(
                f"{tenant.slug} evaluation {evaluation_date} over {window.start:%Y-%m}..{window.end:%Y-%m}{mode}"
            )
            self.stdout.write(result.summary())
            if held := result.held_line():
                self.stdout.write(held)
            if report:
                self.stdout.write(f"report: {report}")
