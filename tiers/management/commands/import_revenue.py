import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

from partnerportal.tenancy import tenant_scope
from tiers.imports import revenue_import

from ._common import tenant_from_slug


class Command(BaseCommand):
    help = "Import a revenue CSV (partner_ref, month, category, amount) for a tenant: every line or none."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's slug, e.g. dstny.")
        parser.add_argument("file", help="The CSV file (; or , delimited; UTF-8, UTF-16 or Windows-1252).")

    def handle(self, *args, tenant, file, verbosity=1, **options):
        tenant = tenant_from_slug(tenant)
        if not os.path.isfile(file):
            raise CommandError(f"No such file: {file}")
        size = os.path.getsize(file)
        err = Console(stderr=True, highlight=False)
        show_progress = verbosity > 0 and sys.stderr.isatty()
        progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=not show_progress,
        )

        def on_error(error):
            progress.console.print(f"{file}: {error}", markup=False, soft_wrap=True)

        # The error lines are for the tenant's people, in its language; the summary lines below are the
        # command's contract with scripts and stay as they are.
        with (
            progress,
            open(file, "rb") as handle,
            tenant_scope(tenant),
            translation.override(tenant.default_language),
        ):
            task = progress.add_task(f"Importing {os.path.basename(file)}", total=size)
            result = revenue_import(
                tenant=tenant,
                stream=handle,
                filename=os.path.basename(file),
                size=size,
                on_bytes=lambda n: progress.advance(task, n),
                on_error=on_error,
            )
        if not result.ok:
            raise CommandError(
                f"{file}: rejected, nothing imported: {result.error_count} error(s) in {result.lines} line(s)."
            )
        if verbosity:
            self.stdout.write(f"{file}: imported {result.lines} line(s) for {tenant.slug}.")
