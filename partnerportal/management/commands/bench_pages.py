"""``manage.py bench_pages``: requests per second on a signed-in partner's home against a bare view.

Runs on PostgreSQL: with another ``DATABASE_URL`` it creates (once) and uses ``pp_bench_pages`` on the local
server instead, and says so. The tenant (the demo's Dstny, loaded first when missing) is brought to
``--partners`` partners by copying its own with all their rows (partnerportal/bench/data.py); a later run
reuses them, ``--rebuild`` makes them again. Then gunicorn serves the app in production mode and wrk loads
the home page and the bare view in turns (partnerportal/bench/serve.py). Ends with the line the issue names
(stdout; everything else goes to stderr): ``pages: home R req/s, bare B req/s, ratio X``.
"""

import os
import subprocess
import sys
import tempfile
import time
from html import escape
from pathlib import Path

import environ
import psycopg2
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from partnerportal.bench import data, serve
from partnerportal.demo import demo_load
from partnerportal.models import Membership, Partner, Tenant, User

FALLBACK_DATABASE = "postgres://postgres@127.0.0.1:5432/pp_bench_pages"


class Command(BaseCommand):
    help = "Requests per second on a signed-in partner's home page against a bare view (gunicorn, wrk)."

    def add_arguments(self, parser):
        parser.add_argument("--partners", type=int, default=50_000, help="Partners of the tenant in all.")
        parser.add_argument("--tenant", default="dstny")
        parser.add_argument("--user", default="partner@dstny.demo", help="The signed-in partner's person.")
        parser.add_argument("--rebuild", action="store_true", help="Make the bench partners again.")
        parser.add_argument("--seconds", type=float, default=10, help="Measured seconds per page.")
        parser.add_argument("--warm-up", type=float, default=3, help="Unmeasured seconds per page first.")
        parser.add_argument(
            "--rounds", type=int, default=2, help="Turns per page (the machine's speed drifts)."
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--threads", type=int, default=1, help="wrk threads (it shares the CPUs).")
        parser.add_argument("--profile", action="store_true", help="Profile the home page in-process first.")
        parser.add_argument("--profile-requests", type=int, default=200)
        parser.add_argument("--profile-path", default="", help="Where the profile goes (.html and .txt).")
        parser.add_argument(
            "--database-url", default=FALLBACK_DATABASE, help="Used when DATABASE_URL is not PostgreSQL."
        )

    def handle(self, *args, **options):
        self.console = Console(stderr=True, highlight=False)
        self.say = self.console.print
        self.quiet = options["verbosity"] == 0
        if connection.vendor != "postgresql":
            return self._on_postgresql(options)
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        name = settings.DATABASES["default"]["NAME"]
        self.say(f"database: postgresql {name}; CPUs: {os.cpu_count()}; load average: {load}")
        call_command("migrate", verbosity=0, interactive=False)

        tenant = self._tenant(options["tenant"])
        self._data(tenant, options["partners"], options["rebuild"])
        user, partner = self._signed_in(tenant, options["user"])
        host = tenant.domains.get(is_primary=True).host
        cookie = serve.session_cookie(user=user, tenant=tenant)
        # Collected outside the project: a staticfiles/ left in it would be served (WhiteNoise) by the
        # developer's later test runs and live servers instead of the current static files.
        static_root = Path(tempfile.gettempdir()) / "partnerportal-bench-static"
        env = serve.server_environment(hosts=[host, "127.0.0.1"], static_root=str(static_root))
        self.say("collecting static files (production storage)")
        try:
            serve.collect_static(env)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if options["profile"]:
            self._profile(host=host, cookie=cookie, partner=partner, **options)
        wrk = serve.ensure_wrk(self.say)
        if wrk is None:
            self.say(
                "[bold]wrk is not installed and cannot be[/bold]: the fallback Python client makes the load"
            )
        # What the served (production) settings use: the URL's conn_max_age, else CONN_MAX_AGE, else 60.
        url = env.get("DATABASE_URL", "")
        if "conn_max_age=" in url:
            max_age = int(url.split("conn_max_age=")[1].split("&")[0] or 0)
        else:
            max_age = int(os.environ.get("CONN_MAX_AGE", "60"))
        self.say(
            f"database connections: kept {max_age} s (CONN_MAX_AGE of the production settings)"
            if max_age
            else "database connections: one per request (CONN_MAX_AGE 0)"
        )
        try:
            with serve.gunicorn(env=env, workers=options["workers"], say=self.say) as base:
                results = self._measure(
                    base, host=host, cookie=cookie, partner=partner, wrk=wrk, options=options
                )
        except RuntimeError as exc:  # gunicorn that does not start, wrk that gives no result
            raise CommandError(str(exc)) from exc
        home, bare = results["home"], results["bare"]
        for label, result in results.items():
            self.say(
                f"{label}: {result.requests} requests in {result.seconds:.1f} s ({result.tool}), "
                f"{result.per_second:.1f} req/s, {result.socket_errors} socket errors"
            )
        self.stdout.write(serve.pages_line(home=home.per_second, bare=bare.per_second))

    # -- database and data ----------------------------------------------------------------------------

    def _on_postgresql(self, options) -> None:
        """Run this command again on the PostgreSQL fallback database (created when missing)."""
        url = options["database_url"]
        self.say(f"DATABASE_URL is not PostgreSQL ({connection.vendor}): using {url}")
        config = environ.Env.db_url_config(url)
        server = {
            k: v
            for k, v in (
                ("host", config["HOST"]),
                ("port", config["PORT"]),
                ("user", config["USER"]),
                ("password", config["PASSWORD"]),
            )
            if v
        }
        admin = psycopg2.connect(dbname="postgres", **server)
        admin.autocommit = True  # CREATE DATABASE cannot run in a transaction
        try:
            with admin.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
                    self.say(f"database {config['NAME']} created")
        finally:
            admin.close()
        forwarded = []
        for option in (
            "partners",
            "tenant",
            "user",
            "seconds",
            "warm_up",
            "rounds",
            "workers",
            "connections",
            "threads",
            "profile_requests",
            "profile_path",
        ):
            forwarded += [f"--{option.replace('_', '-')}", str(options[option])]
        forwarded += [f"--{flag}" for flag in ("rebuild", "profile") if options[flag]]
        completed = subprocess.run(
            [sys.executable, "manage.py", "bench_pages", *forwarded, "-v", str(options["verbosity"])],
            cwd=settings.BASE_DIR,
            env={**os.environ, "DATABASE_URL": url},
            check=False,
        )
        if completed.returncode:
            raise CommandError(f"bench_pages on {url} failed (status {completed.returncode})")

    def _tenant(self, slug: str) -> Tenant:
        if not Tenant.objects.filter(slug=slug).exists():
            self.say(f"no tenant {slug!r}: loading the demo data (without its PDFs) into this database first")
            with override_settings(DEMO_DOCUMENTS=False):
                demo_load()
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant {slug!r}, even after loading the demo.")
        return tenant

    def _data(self, tenant: Tenant, partners: int, rebuild: bool) -> None:
        own = (
            Partner._base_manager.filter(tenant=tenant)
            .exclude(external_ref__startswith=data.REF_PREFIX)
            .count()
        )
        wanted = max(partners - own, 0)
        present = data.bench_partner_count(tenant=tenant)
        if present == wanted and not rebuild:
            self.say(
                f"{own + present} partners in {tenant.slug}, {present} of them bench copies: reused (--rebuild to make them again)"
            )
            return
        self.say(
            f"making {wanted} bench partners in {tenant.slug}, copies of its {own} own with all their rows"
        )
        started = time.perf_counter()
        try:
            counts = data.bench_tenant_build(tenant=tenant, partners=wanted, say=self.say)
        except data.BenchDataError as exc:
            raise CommandError(str(exc)) from exc
        self.say(f"data built in {time.perf_counter() - started:.1f} s: {sum(counts.values())} rows")

    def _signed_in(self, tenant: Tenant, email: str) -> tuple[User, Partner]:
        membership = (
            Membership._base_manager.filter(tenant=tenant, user__email=email, partner__isnull=False)
            .select_related("user", "partner")
            .first()
        )
        if membership is None:
            raise CommandError(f"{email} is no partner's person in {tenant.slug}.")
        self.say(f"signed in as {email}, of {membership.partner} ({membership.partner.external_ref})")
        return membership.user, membership.partner

    # -- measuring ------------------------------------------------------------------------------------

    def _check(self, base: str, path: str, *, host: str, cookie: str, expect: str) -> None:
        status, body = serve.fetch(base + path, host=host, cookie=cookie)
        if status != 200 or expect not in body:
            raise CommandError(
                f"{path} answered {status} without {expect!r}: nothing worth measuring. The start of the answer:\n"
                f"{body[:600]}"
            )

    def _measure(self, base, *, host, cookie, partner, wrk, options) -> dict:
        urls = {"home": serve.HOME_PATH, "bare": serve.BARE_PATH}
        self._check(base, serve.HOME_PATH, host=host, cookie=cookie, expect=escape(str(partner)))
        self._check(base, serve.BARE_PATH, host=host, cookie=cookie, expect="bare")
        rounds = max(options["rounds"], 1)
        turn = options["seconds"] / rounds
        plan = [(label, options["warm_up"], False) for label in urls]
        plan += [(label, turn, True) for _ in range(rounds) for label in urls]
        results: dict[str, serve.LoadResult] = {}
        columns = [TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
        with Progress(*columns, console=self.console, disable=self.quiet) as progress:
            for label, seconds, counted in plan:
                if seconds <= 0:
                    continue
                task = progress.add_task(f"{'' if counted else 'warm-up '}{label}", total=seconds)
                result = self._load(
                    base + urls[label], host=host, cookie=cookie, seconds=seconds, wrk=wrk, options=options
                )
                progress.update(task, completed=seconds)
                if result.not_ok:
                    raise CommandError(
                        f"{urls[label]} answered {result.not_ok} of {result.requests} requests with something other "
                        "than 200: the figure would measure error pages."
                    )
                if counted:
                    before = results.get(label)
                    if before is not None:
                        result = serve.LoadResult(
                            requests=before.requests + result.requests,
                            seconds=before.seconds + result.seconds,
                            not_ok=0,
                            socket_errors=before.socket_errors + result.socket_errors,
                            tool=result.tool,
                        )
                    results[label] = result
        return results

    def _load(self, url, *, host, cookie, seconds, wrk, options) -> serve.LoadResult:
        if wrk:
            return serve.run_wrk(
                wrk, url, host=host, cookie=cookie, seconds=seconds,
                connections=options["connections"], threads=options["threads"],
            )  # fmt: skip
        return serve.run_python(
            url, host=host, cookie=cookie, seconds=seconds, connections=options["connections"]
        )

    # -- profiling ------------------------------------------------------------------------------------

    def _profile(self, *, host: str, cookie: str, partner: Partner, **options) -> None:
        """pyinstrument over the home page rendered in this process with DEBUG off (the test client, the
        same session), after a few unmeasured requests; writes HTML and text."""
        from pyinstrument import Profiler

        count = options["profile_requests"]
        path = options["profile_path"] or os.path.join(
            os.environ.get("TMPDIR", "/tmp"), f"bench-pages-profile-{time.strftime('%Y%m%d-%H%M%S')}"
        )
        path = path.removesuffix(".html").removesuffix(".txt")
        with override_settings(DEBUG=False, ALLOWED_HOSTS=[host]):
            client = Client(HTTP_HOST=host)
            client.cookies.load(cookie)
            for _ in range(5):
                response = client.get(serve.HOME_PATH)
                if response.status_code != 200 or escape(str(partner)) not in response.content.decode():
                    raise CommandError(
                        f"the home page answered {response.status_code} in-process: nothing to profile"
                    )
            profiler = Profiler(interval=0.0005)
            started = time.perf_counter()
            profiler.start()
            for _ in range(count):
                client.get(serve.HOME_PATH)
            profiler.stop()
            elapsed = time.perf_counter() - started
        with open(f"{path}.html", "w") as html:
            html.write(profiler.output_html())
        with open(f"{path}.txt", "w") as text:
            text.write(profiler.output_text(unicode=True, color=False, show_all=False))
        self.say(
            f"profile: {count} home pages in-process, {elapsed / count * 1000:.1f} ms each (profiler on)"
        )
        self.say(f"profile written to {path}.html and {path}.txt")
