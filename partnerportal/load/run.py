"""``make load`` (``python -m partnerportal.load``): data, stack, locust, figures.

1. The database: ``DATABASE_URL`` when it is PostgreSQL, else ``pp_load`` on 127.0.0.1 (created when
   missing, and said). Migrated; the demo loaded when Dstny is missing; Dstny brought to ``--partners``
   partners by bench_pages' builder (copies of its own partners with all their rows; reused by later runs,
   ``--rebuild`` makes them again); ``--people`` of the copies' administrators and ``--managers`` managers
   given a password made for this run.
2. The stack: the Procfile's lines under honcho (partnerportal/stack.py) on 127.0.0.1 and a free port,
   production settings apart from TLS; one trusted proxy (the load's X-Forwarded-For gives each person an
   address); managers' MFA off (the scenario measures the pages, not a TOTP step).
   gunicorn gets ``--web-workers`` sync workers (WEB_CONCURRENCY; twice the CPUs by default).
3. locust, headless: the people start at ``--spawn-rate`` per second and sign in; once all have, the
   measured window of ``--seconds`` opens (locustfile._arrive; the sign-ins are reported apart, their
   errors counted). Then SIGINT to honcho, as Ctrl-C would, and a check that every process it started is
   gone.
4. Each endpoint's figures on stderr, the slowest first, and on stdout the one line
   ``load: R req/s, p50 A ms, p95 B ms, p99 C ms, errors E`` (errors: failed requests and exceptions in the
   scenario). The exit status is 1 when there were errors.
"""

import argparse
import csv
import dataclasses
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from partnerportal import stack
from partnerportal.load.summary import (
    LOCAL_HOST,
    aggregated,
    assert_local,
    endpoint_table,
    load_line,
    stats_from_csv,
)

FALLBACK_DATABASE = "postgres://postgres@127.0.0.1:5432/pp_load"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
POSTGRES = ("postgres", "postgresql", "pgsql", "postgis")


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def database_url(environ) -> str:
    url = environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme in POSTGRES:
        return url
    say(f"DATABASE_URL is not PostgreSQL ({url or 'unset'}): using {FALLBACK_DATABASE}")
    return FALLBACK_DATABASE


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((LOCAL_HOST, 0))
        return probe.getsockname()[1]


def documents_without_file(tenant) -> int:
    """How many distinct files the tenant's documents name that the documents storage does not have."""
    from django.apps import apps
    from django_scopes import scopes_disabled

    if not apps.is_installed("documents"):
        return 0
    Document = apps.get_model("documents", "Document")
    with scopes_disabled():
        names = set(Document.objects.filter(tenant=tenant).exclude(file="").values_list("file", flat=True))
    storage = Document._meta.get_field("file").storage
    return sum(1 for name in names if not storage.exists(name))


def prepare_data(*, env: dict, options) -> dict:
    """The tenant at scale and the people who sign in; returns what the locustfile reads (LOAD_ACCOUNTS)."""
    # This process builds the data with the stack's database and folders (the demo's documents land where
    # the stack serves them from); tasks run in-process, so that the copies see the demo's documents.
    for name in ("DATABASE_URL", "MEDIA_ROOT", "PRIVATE_MEDIA_ROOT"):
        os.environ[name] = env[name]
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ENV"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "partnerportal.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from partnerportal.bench import data
    from partnerportal.demo import demo_load
    from partnerportal.models import Tenant

    call_command("migrate", verbosity=0, interactive=False)
    tenant = Tenant.objects.filter(slug=options.tenant).first()
    if tenant is None:
        say(f"no tenant {options.tenant!r}: loading the demo first (with its documents, half a minute)")
        demo_load()
        tenant = Tenant.objects.get(slug=options.tenant)
    try:
        data.bench_tenant_ensure(tenant=tenant, partners=options.partners, rebuild=options.rebuild, say=say)
        password = secrets.token_urlsafe(18)
        partners, managers = data.bench_sign_ins(
            tenant=tenant, partners=options.people, managers=options.managers, password=password
        )
    except data.BenchDataError as exc:
        sys.exit(f"load: {exc}")
    missing = documents_without_file(tenant)
    if tenant.logo and not tenant.logo.storage.exists(tenant.logo.name):
        missing += 1
    if missing:
        sys.exit(
            f"load: {missing} of the tenant's documents and logo have no file in {env['PRIVATE_MEDIA_ROOT']} or "
            f"{env['MEDIA_ROOT']} (the database was built with another stack folder, PARTNERPORTAL_STACK_DIR): "
            "they would answer 404. Restore those folders, or drop the database to build it again."
        )
    host = tenant.domains.get(is_primary=True).host
    connections.close_all()
    return {"host": host, "password": password, "partners": partners, "managers": managers}


def wait_for_web(base: str, server: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    parts = urlsplit(base)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if server.poll() is not None:
            raise RuntimeError(f"the stack stopped at start-up (status {server.returncode}); see {log}")
        try:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            connection.request("GET", "/healthz", headers={"Host": LOCAL_HOST})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s; see {log}")


def stack_stop(server: subprocess.Popen, log: Path) -> list[int]:
    """SIGINT to honcho, as Ctrl-C; returns the process groups still alive afterwards (killed then)."""
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    # honcho starts each line in a process group of its own (gunicorn's workers, celery's pool too), and may
    # be gone while gunicorn still finishes its requests: the groups get graceful_timeout to end.
    groups = [int(pid) for pid in re.findall(r"started \(pid=(\d+)\)", log.read_text(errors="replace"))]
    deadline = time.monotonic() + 15
    while groups and time.monotonic() < deadline:
        groups = [pid for pid in groups if _group_alive(pid)]
        time.sleep(0.2)
    for pid in groups:
        os.killpg(pid, signal.SIGKILL)
    return groups


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def exceptions_count(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, newline="") as file:
        return sum(int(row.get("Count") or 0) for row in csv.DictReader(file))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="make load", description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=50_000, help="Partners of the tenant in all.")
    parser.add_argument("--people", type=int, default=50, help="Simulated partners (one person each).")
    parser.add_argument("--managers", type=int, default=5, help="Simulated managers.")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--spawn-rate", type=float, default=5, help="People starting per second.")
    parser.add_argument("--tenant", default="dstny")
    parser.add_argument("--rebuild", action="store_true", help="Make the bench partners again.")
    parser.add_argument(
        "--web-workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1)),
        help="gunicorn's sync workers (WEB_CONCURRENCY; default twice the CPUs: one waits on PostgreSQL "
        "while another computes).",
    )
    options = parser.parse_args(argv)

    directory = stack.state_dir() / "load"
    environ = {
        **os.environ,
        "DATABASE_URL": database_url(os.environ),
        "BIND": f"{LOCAL_HOST}:{free_port()}",
        "TRUSTED_PROXY_COUNT": "1",
        "MANAGER_MFA_REQUIRED": "false",
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": str(options.web_workers),
    }
    try:
        stack.database_ensure(environ["DATABASE_URL"])
        env = stack.stack_environment(
            environ=environ, directory=directory, secret_key=stack.secret_key_in(directory)
        )
    except stack.StackError as exc:
        sys.exit(f"load: {exc}")
    base = assert_local(f"http://{env['BIND']}")
    say(
        f"load: database {env['DATABASE_URL']}, Redis {env['REDIS_URL']}, {options.web_workers} gunicorn "
        f"workers; CPUs {os.cpu_count()}, "
        f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    accounts = prepare_data(env=env, options=options)
    env["ALLOWED_HOSTS"] = f"{accounts['host']},{LOCAL_HOST}"
    try:
        stack.stack_prepare(env, demo=False, say=say)
    except stack.StackError as exc:
        sys.exit(f"load: {exc}")

    work = Path(tempfile.mkdtemp(prefix="partnerportal-load-"))
    accounts_file = work / "accounts.json"
    accounts_file.write_text(json.dumps(accounts))
    accounts_file.chmod(0o600)
    log = work / "stack.log"
    say(f"load: the stack's log is {log}")
    with open(log, "w") as output:
        server = subprocess.Popen(
            stack.honcho_command(), env=env, cwd=stack.BASE_DIR, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_for_web(base, server, log)
        people = len(accounts["partners"]) + len(accounts["managers"])
        # The window is measured once everyone has signed in (locustfile._arrive); this bounds the wait.
        time_limit = int(people / options.spawn_rate) + 300 + options.seconds
        warm_up_file = work / "warm_up.json"
        say(
            f"load: {len(accounts['partners'])} partners and {len(accounts['managers'])} managers on "
            f"{accounts['host']} via {base} for {options.seconds} s"
        )
        locust = subprocess.run(
            [
                sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
                "-u", str(people), "-r", str(options.spawn_rate), "-t", f"{time_limit}s",
                "--host", base, "--csv", str(work / "locust"), "--loglevel", "WARNING", "--stop-timeout", "10",
            ],
            env={
                **os.environ,
                "LOAD_ACCOUNTS": str(accounts_file),
                "LOAD_SECONDS": str(options.seconds),
                "LOAD_WARM_UP": str(warm_up_file),
                "PYTHONPATH": str(stack.BASE_DIR),
            },
            cwd=stack.BASE_DIR, stdout=sys.stderr, check=False,
        )  # fmt: skip
        locust_ended = time.time()
    except RuntimeError as exc:
        sys.exit(f"load: {exc}")
    finally:
        left = stack_stop(server, log)
        say(
            f"load: stack stopped; {'processes left and killed: ' + str(left) if left else 'no process left'}"
        )
        accounts_file.unlink(missing_ok=True)
    stats_file = work / "locust_stats.csv"
    if not stats_file.exists():
        sys.exit(f"load: locust gave no statistics (status {locust.returncode})")
    warm_up_file = work / "warm_up.json"
    if not warm_up_file.exists():
        sys.exit(f"load: not every person signed in within {time_limit} s: nothing measured; see {work}")
    warm_up = json.loads(warm_up_file.read_text())
    window = locust_ended - warm_up["window_opened"]
    if window < options.seconds - 1:
        say(f"load: the time limit cut the measured window to {window:.0f} s (sign-ins too slow)")
    say(
        f"load: before the window: {warm_up['sign_ins']} sign-ins (p50 {warm_up['sign_in_p50']:.0f} ms, "
        f"p95 {warm_up['sign_in_p95']:.0f} ms; PBKDF2 by design), {warm_up['requests']} requests, "
        f"{warm_up['errors']} errors (counted below)"
    )
    rows = stats_from_csv(stats_file)
    for line in endpoint_table(rows):
        say(line)
    total = aggregated(rows)
    exceptions = exceptions_count(work / "locust_exceptions.csv")
    if exceptions:
        say(f"load: {exceptions} exceptions in the scenario: see {work / 'locust_exceptions.csv'}")
    total = dataclasses.replace(total, failures=total.failures + exceptions + warm_up["errors"])
    print(load_line(total), flush=True)
    if total.failures:
        say(f"load: failures are listed in {work / 'locust_failures.csv'}")
        sys.exit(1)
