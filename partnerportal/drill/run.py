"""``make drill``: faults against the real topology, each checked for lost or doubled work.

Starts its own PostgreSQL cluster (port 55432) and Redis server (56379) in a temporary folder, prepares the
data (the demo, its Dstny tenant enlarged with cloned partners), then runs the Procfile's ``worker`` and
``web`` lines with the production settings (``DJANGO_ENV=production``) apart from TLS, and these scenarios:

1. a Celery worker killed (SIGKILL, with its pool) in the middle of a regrade;
2. PostgreSQL restarted (``pg_ctl restart -m immediate``) in the middle of a revenue import;
3. Redis stopped while a partner browses and claims a benefit (which queues an e-mail);
4. the documents storage failing under a PDF task (a planted fault: partnerportal/drill/storage.py).

One line per scenario says what was checked; the last line is ``drill: N scenarios, lost L``. The exit
code is non-zero when a scenario fails or something was lost. Everything started is stopped and the
folder removed at the end, also on an error or Ctrl-C (``--keep`` keeps the folder and its logs).
"""

import argparse
import csv
import datetime as dt
import email
import http.client
import os
import secrets
import signal
import subprocess
import sys
import time
import traceback
from collections import Counter
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

from .infra import BASE_DIR, WEB_PORT, DrillError, Infra, wait_for_port

PARTNERS = 1000  # cloned into Dstny: enough for a regrade and an import to be caught mid-way
REGRADE_CHUNK = 100  # partners per committed chunk of the drill's regrade
WAIT = 180  # seconds at most for the system to settle after a fault


class ScenarioFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise ScenarioFailed(message)


def wait_until(predicate, *, timeout: float = WAIT, every: float = 0.2, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise ScenarioFailed(f"gave up after {timeout:.0f} s waiting for {what}")


class Drill:
    """The running system and what the scenarios need to look at it."""

    def __init__(self, infra: Infra):
        self.infra = infra
        self.worker = None
        self.web = None

    # -- processes ---------------------------------------------------------------------------------------

    def start_worker(self) -> None:
        log = self.infra.root / "worker.log"
        offset = log.stat().st_size if log.exists() else 0
        self.worker = self.infra.start_procfile("worker")
        wait_until(
            lambda: b" ready." in log.read_bytes()[offset:] if log.exists() else False,
            timeout=60,
            what="the Celery worker to be ready",
        )

    def kill_worker(self) -> None:
        self.worker.kill(signal.SIGKILL)  # the main process and its pool, at once
        self.infra.processes.remove(self.worker)

    def start_web(self) -> None:
        self.web = self.infra.start_procfile("web")
        wait_for_port(WEB_PORT, timeout=60)

    def restore(self) -> None:
        """Redis and a worker running again, whatever the last scenario left."""
        if self.infra.redis is None:
            self.infra.start_redis()
        if self.worker is None or not self.worker.running:
            self.start_worker()

    # -- Redis's view of the queue -------------------------------------------------------------------------

    def broker(self):
        import redis

        return redis.Redis.from_url(self.infra.env["REDIS_URL"], socket_timeout=2)

    def drained(self) -> bool:
        """No message waiting nor held by a worker (unacked: running, or waiting for its countdown)."""
        try:
            broker = self.broker()
            return broker.llen("celery") == 0 and broker.hlen("unacked") == 0
        except Exception:
            return False

    def settle(self, timeout: float = WAIT) -> None:
        wait_until(
            lambda: self.drained() and (time.sleep(1) or self.drained()), timeout=timeout, what="the queue"
        )

    # -- mail ----------------------------------------------------------------------------------------------

    def mail_files(self) -> set[Path]:
        return set(self.infra.mail.glob("*")) if self.infra.mail.exists() else set()

    @staticmethod
    def messages(files) -> list[email.message.Message]:
        """The messages of the file backend's files (one file per connection, messages separated)."""
        separator = b"\n" + b"-" * 79 + b"\n"
        found = []
        for path in files:
            for chunk in path.read_bytes().split(separator):
                if chunk.strip():
                    found.append(email.message_from_bytes(chunk))
        return found

    @staticmethod
    def duplicates(messages) -> int:
        """Identical messages (recipients, subject, text) sent more than once."""
        keys = Counter((m["To"], m["Subject"], _text(m)) for m in messages)
        return sum(n - 1 for n in keys.values() if n > 1)

    # -- HTTP as a signed-in partner ------------------------------------------------------------------------

    def session(self, user, tenant) -> dict[str, str]:
        from partnerportal.bench.serve import session_cookie

        csrf = secrets.token_hex(16)  # 32 characters: Django takes an unmasked secret as the token
        return {
            "Cookie": f"{session_cookie(user=user, tenant=tenant)}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
        }

    def request(self, method: str, path: str, *, host: str, headers: dict, body: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", WEB_PORT, timeout=30)
        try:
            data = urlencode(body) if body is not None else None
            extra = {"Content-Type": "application/x-www-form-urlencoded"} if data is not None else {}
            connection.request(method, path, body=data, headers={"Host": host, **headers, **extra})
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            connection.close()


def _text(message) -> str:
    part = message.get_payload(0) if message.is_multipart() else message
    return part.get_payload(decode=True).decode("utf-8", "replace")


# -- the scenarios ----------------------------------------------------------------------------------------


def worker_killed_mid_regrade(drill: Drill) -> tuple[str, int]:
    from django.db.models import Exists, OuterRef, Value
    from django.db.models.functions import Coalesce
    from django_scopes import scopes_disabled

    from partnerportal.models import Membership, Tenant
    from tiers.calendar import next_evaluation_date
    from tiers.models import Assessment, Evaluation, Tier
    from tiers.tasks import regrade_tenant

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


def postgres_restarted_mid_import(drill: Drill) -> tuple[str, int]:
    from django.db import connections
    from django_scopes import scopes_disabled

    from partnerportal.models import Partner, Tenant
    from tiers.models import RevenueEntry, RevenueImport, RevenueImportRow

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


def redis_down_while_browsing(drill: Drill) -> tuple[str, int]:
    from django_scopes import scopes_disabled

    from benefits.models import Claim
    from benefits.selectors import entitlement_overview
    from partnerportal.models import Membership, Partner, Tenant
    from partnerportal.tenancy import tenant_scope

    tenant = Tenant.objects.get(slug="dstny")
    host = f"{tenant.primary_host}:{WEB_PORT}"
    with tenant_scope(tenant):
        candidates = Partner.objects.filter(tenant=tenant, status=Partner.Status.ACTIVE).exclude(
            external_ref__startswith="BENCH-"
        )
        for partner in candidates.order_by("pk"):
            overview = entitlement_overview(partner=partner, day=tenant.today())
            free = [
                e.benefit
                for e in overview.entitlements
                if e.claimable and e.remaining and not e.expired and not e.benefit.requires_approval
            ]
            admin = (
                Membership.objects.filter(partner=partner, role=Membership.Role.ADMIN, user__is_active=True)
                .select_related("user")
                .first()
            )
            if free and admin:
                break
        else:
            raise ScenarioFailed("no demo partner has a benefit to claim without approval")
    benefit, user = free[0], admin.user
    headers = drill.session(user, tenant)
    pages = ["/", "/benefits/", "/documents/"]

    def browse() -> list[tuple[str, int]]:
        return [(page, drill.request("GET", page, host=host, headers=headers)[0]) for page in pages]

    drill.settle()
    up = browse()
    check(all(status == 200 for _, status in up), f"with Redis up: {up}")
    mail_before = drill.mail_files()
    outbox = Path(drill.infra.env["PRIVATE_MEDIA_ROOT"]) / "task-outbox"
    drill.infra.stop_redis()
    try:
        started = time.monotonic()
        down = browse()
        seconds = time.monotonic() - started
        check(all(status == 200 for _, status in down), f"with Redis down the pages answered {down}")
        status, _, _ = drill.request(
            "POST", f"/benefits/{benefit.pk}/claim/", host=host, headers=headers, body={"note": "drill"}
        )
        check(status in (200, 302), f"the claim answered {status} with Redis down")
        with scopes_disabled():
            claim = Claim.objects.filter(partner=partner, benefit=benefit, note="drill").first()
        check(claim is not None and claim.state == Claim.State.APPROVED, "the claim was not recorded")
        waiting = len(list(outbox.glob("*.json*")))  # .sending while its thread tries
        check(waiting >= 1, "the claim's e-mail task is neither queued nor in the outbox")
        time.sleep(3)
    finally:
        drill.infra.start_redis()

    def notified():
        with scopes_disabled():
            return Claim.objects.filter(pk=claim.pk, notified_state=Claim.State.APPROVED).exists()

    try:
        wait_until(notified, timeout=90, what="the claim's e-mail after Redis came back")
        drill.settle()
        lost = 0
    except ScenarioFailed:
        lost = 1
    new = drill.messages(drill.mail_files() - mail_before)
    to_user = [m for m in new if user.email in (m["To"] or "")]
    check(lost or to_user, f"the claim is marked notified but no e-mail reached {user.email}")
    check(drill.duplicates(new) == 0, "an e-mail was sent twice")
    check(not list(outbox.glob("*.json*")), "messages left in the outbox")
    return (
        f"Redis stopped while a partner browsed: {len(pages)} pages answered 200 ({seconds:.1f} s), the claim "
        f"was recorded and its e-mail task kept in the outbox ({waiting}), published when Redis came back and "
        f"e-mailed once ({len(to_user)} to the claimer)",
        lost,
    )


def pdf_task_failing(drill: Drill) -> tuple[str, int]:
    from django_scopes import scopes_disabled

    from documents import services
    from documents.models import Document
    from documents.tasks import document_issue
    from partnerportal.models import Membership, Partner, Tenant
    from partnerportal.tenancy import tenant_scope
    from tiers.models import PartnerTier

    tenant = Tenant.objects.get(slug="dstny")
    host = f"{tenant.primary_host}:{WEB_PORT}"
    with tenant_scope(tenant):
        row = (
            PartnerTier.objects.filter(
                tenant=tenant,
                tier__awards_diploma=True,
                partner__status=Partner.Status.ACTIVE,
                partner__memberships__role=Membership.Role.ADMIN,
            )
            .exclude(partner__external_ref__startswith="BENCH-")
            .select_related("partner", "partner__tenant")
            .first()
        )
        check(row is not None, "no demo partner holds a tier that awards a diploma")
        partner = row.partner
        admin = Membership.objects.filter(partner=partner, role=Membership.Role.ADMIN).select_related("user")[
            0
        ]
        previous = services.document_issue(partner=partner, kind=Document.Kind.DIPLOMA, notify=False)
    headers = drill.session(admin.user, tenant)
    download = f"/documents/{previous.pk}/download/"
    status, kind, body = drill.request("GET", download, host=host, headers=headers)
    check(
        status == 200 and body.startswith(b"%PDF"),
        f"the diploma did not download before the fault ({status})",
    )

    failures = 3
    attempts = Path(f"{drill.infra.fault}.attempts")
    attempts.unlink(missing_ok=True)
    drill.infra.fault.write_text(str(failures))
    document_issue.delay(tenant.pk, partner.pk, Document.Kind.DIPLOMA)

    def tries() -> list[float]:
        return [float(line) for line in attempts.read_text().split()] if attempts.exists() else []

    kept = 0
    with scopes_disabled():
        newer = Document.objects.filter(partner=partner, kind=Document.Kind.DIPLOMA, pk__gt=previous.pk)
        deadline = time.monotonic() + WAIT
        while not newer.exists():
            check(time.monotonic() < deadline, f"no new diploma after {WAIT} s ({len(tries())} attempts)")
            if tries():  # failing: the previous diploma stays valid and downloadable meanwhile
                status, _, body = drill.request("GET", download, host=host, headers=headers)
                valid = Document.objects.filter(pk=previous.pk, revoked_at__isnull=True).exists()
                if not newer.exists():
                    check(
                        status == 200 and body.startswith(b"%PDF") and valid, "the previous diploma went away"
                    )
                    kept += 1
            time.sleep(0.3)
        current = newer.get()
        previous.refresh_from_db()
    drill.settle()
    times = tries()
    check(len(times) == failures + 1, f"{len(times)} attempts for {failures} failures")
    check(previous.revocation == Document.Revocation.REPLACED, "the previous diploma was not replaced")
    status, _, body = drill.request("GET", f"/documents/{current.pk}/download/", host=host, headers=headers)
    check(status == 200 and body.startswith(b"%PDF"), f"the new diploma does not download ({status})")
    gaps = ", ".join(f"{b - a:.1f}" for a, b in zip(times, times[1:], strict=False))
    return (
        f"PDF task failing ({failures} storage errors): retried with back-off (gaps {gaps} s), the previous "
        f"diploma downloadable {kept} times meanwhile, replaced once the new one was kept",
        0,
    )


SCENARIOS = [
    worker_killed_mid_regrade,
    postgres_restarted_mid_import,
    redis_down_while_browsing,
    pdf_task_failing,
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make drill", description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=PARTNERS, help="Partners cloned into Dstny.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder (logs, data).")
    options = parser.parse_args(argv)
    # SIGTERM (a CI stopping the job) cleans up as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    say = lambda line: print(line, flush=True)  # noqa: E731
    started = time.monotonic()
    results: list[tuple[str, int]] = []
    failed = 0
    try:
        with Infra(keep=options.keep) as infra:
            infra.start_servers()
            # The manifest the production static storage needs, collected while the data is prepared.
            static = infra.start(
                "collectstatic", [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
            )
            prepare = subprocess.run(
                [sys.executable, "-m", "partnerportal.drill.prepare", str(options.partners)],
                cwd=BASE_DIR,
                # Eagerly, without the broker: the demo's own tasks are not the drill's.
                env={**infra.env, "REDIS_URL": "", "CACHE_URL": "locmemcache://"},
                capture_output=True,
                text=True,
                check=False,
            )
            if prepare.returncode:
                raise DrillError(f"preparing the data failed:\n{prepare.stderr[-3000:]}")
            if static.popen.wait() != 0:
                raise DrillError(f"collectstatic failed:\n{infra.log_tail('collectstatic')}")
            os.environ.update(infra.env)
            import django

            django.setup()
            drill = Drill(infra)
            drill.start_worker()
            drill.start_web()
            print(
                f"drill: ready in {time.monotonic() - started:.0f} s ({infra.root})",
                file=sys.stderr,
                flush=True,
            )
            for scenario in SCENARIOS:
                name = scenario.__name__.replace("_", " ")
                try:
                    line, lost = scenario(drill)
                except ScenarioFailed as exc:
                    failed += 1
                    line, lost = f"FAILED {name}: {exc}", 0
                except Exception as exc:
                    failed += 1
                    traceback.print_exc()
                    line, lost = f"FAILED {name}: {type(exc).__name__}: {exc}", 0
                results.append((line, lost))
                say(line)
                drill.restore()  # a failed scenario must not fail the next one
    except DrillError as exc:
        say(f"drill: {exc}")
        return 2
    except KeyboardInterrupt:
        say("drill: interrupted; everything it started is stopped")
        return 130
    lost = sum(n for _, n in results)
    say(f"drill: {len(results)} scenarios, lost {lost}")
    return 1 if failed or lost else 0


if __name__ == "__main__":
    sys.exit(main())
