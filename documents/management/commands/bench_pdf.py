"""``manage.py bench_pdf``: how fast diplomas and welcome packs render, and 1,000 diplomas through Celery.

Ends with the line the issue names (stdout; everything else goes to stderr):
``pdf: diploma median D ms, welcome pack median W ms, 1000 diplomas in T s``. See documents/bench.py.
"""

import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from documents import bench
from documents.models import Document
from partnerportal.demo import demo_load


class Command(BaseCommand):
    help = "Benchmark the PDF documents: render times, then diplomas issued through a Celery worker."

    def add_arguments(self, parser):
        parser.add_argument(
            "--documents",
            type=int,
            default=60,
            help="Diplomas and welcome packs timed (each, taking turns), after a warm-up.",
        )
        parser.add_argument("--celery", type=int, default=1000, help="Diplomas issued through Celery.")
        parser.add_argument("--chunk", type=int, default=25, help="Tier changes per task.")
        parser.add_argument("--tenant", default="dstny", help="Whose partner the timed documents are for.")
        parser.add_argument(
            "--concurrency", type=int, default=os.cpu_count() or 1, help="Worker processes (default: CPUs)."
        )
        parser.add_argument("--eager", action="store_true", help="Issue in this process, without a worker.")
        parser.add_argument("--keep", action="store_true", help="Keep the bench tenant and its documents.")

    def handle(self, *args, documents, celery, chunk, tenant, concurrency, eager, keep, **options):
        console = Console(stderr=True, highlight=False)
        say = console.print
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        say(f"database: {connection.vendor}; CPUs: {os.cpu_count()}; load average: {load}")

        def load_demo():
            say(f"no tenant {tenant!r}: loading the demo data into this database first")
            demo_load()

        try:
            partner = bench.showcase_partner(tenant_slug=tenant, load=load_demo)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        say(f"documents of {partner.legal_name} ({partner.external_ref})")
        kinds = [Document.Kind.DIPLOMA, Document.Kind.WELCOME_PACK]
        with self._progress(console, options["verbosity"]) as progress:
            tasks = {
                kind: progress.add_task(f"rendering {Document.Kind(kind).label.lower()}s", total=documents)
                for kind in kinds
            }
            times = bench.render_times(
                partner=partner, kinds=kinds, count=documents, tick=lambda kind: progress.advance(tasks[kind])
            )
        diploma, pack = (bench.median_ms(times[kind]) for kind in kinds)
        say(f"diploma: median {diploma:.0f} ms; welcome pack: median {pack:.0f} ms ({documents} each)")

        broker = None
        if eager:
            say("--eager: the diplomas are issued in this process (one core), not through a worker")
        elif not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
            # This process's Celery app was configured eager at start-up: it could not talk to a worker.
            say(
                "[bold]no broker configured[/bold] (REDIS_URL): the diplomas are issued eagerly in this process "
                "(one core); `make bench` sets REDIS_URL to time a real worker"
            )
        else:
            url, answers = bench.broker_url()
            broker = url if answers else None
            if not answers:
                say(
                    f"[bold]no broker[/bold]: Redis does not answer at {url}, so the diplomas are issued "
                    "eagerly in this process (one core), not through a worker"
                )
        started = time.perf_counter()
        built = bench.bench_tenant_build(partners=celery, logo_from=partner.tenant)
        say(
            f"bench tenant: {celery} partners moving from Access to Business ({time.perf_counter() - started:.1f} s)"
        )
        if connection.vendor == "sqlite" and broker:
            say(
                f"SQLite: the {concurrency} worker processes share one database file and wait on its write "
                "lock (20 s timeout); PostgreSQL (DATABASE_URL) is what production runs"
            )
        try:
            with self._progress(console, options["verbosity"]) as progress:
                task = progress.add_task("diplomas through Celery", total=celery)

                def advance(done: int) -> None:
                    progress.update(task, completed=done)

                if broker:
                    with bench.celery_worker(broker=broker, concurrency=concurrency, say=say):
                        seconds, issued = bench.push_diplomas(
                            built, chunk=chunk, eager=False, progress=advance
                        )
                else:
                    seconds, issued = bench.push_diplomas(built, chunk=chunk, eager=True, progress=advance)
            how = (
                f"by a worker of {concurrency} processes on {broker}"
                if broker
                else "eagerly, in this process"
            )
            say(f"{issued} diplomas issued {how}, in {seconds:.1f} s")
            if issued != celery:
                raise CommandError(f"{issued} diplomas issued instead of {celery}.")
        finally:
            if not keep:
                bench.bench_tenant_drop()
        self.stdout.write(
            f"pdf: diploma median {diploma:.0f} ms, welcome pack median {pack:.0f} ms, "
            f"{celery} diplomas in {seconds:.1f} s"
        )

    @staticmethod
    def _progress(console: Console, verbosity: int) -> Progress:
        return Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=verbosity == 0 or not console.is_terminal,
            transient=True,
        )
