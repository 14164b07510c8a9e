"""The PDF bench behind ``manage.py bench_pdf``: rendering times, then diplomas through a real Celery worker.

Rendering is timed on a realistic partner, the demo's (its tier, benefits, duties, promotions and
contacts): the demo is loaded into the bench database if it is not there. Each document is built and
rendered as a task does (``services.document_pdf``: context, template, WeasyPrint), unsaved.

The Celery part builds a synthetic tenant, ``bench-pdf`` (replaced at every run and dropped afterwards),
whose partners all move from Access to Business, and sends those tier changes in chunks to the task the
``tier_changed`` receiver queues, ``documents_for_tier_changes``: the production path (revoke, render,
store, record). A worker is started as a child process (``celery -A partnerportal worker``, one process
per CPU, on a queue of the bench's own so that no other worker takes its tasks), against Redis; the time
runs from the first message sent to the last result. Without a broker, the same tasks run eagerly in this
process, and the bench says so.
"""

import datetime as dt
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection, transaction
from django_scopes import scopes_disabled

from partnerportal.models import Partner, PartnerType, Tenant, TenantDomain
from partnerportal.tenancy import tenant_owned_paths, tenant_scope
from tiers.calendar import latest_due_date
from tiers.models import PartnerTier, Tier

from . import services, tasks
from .models import Document, documents_storage

SLUG = "bench-pdf"
QUEUE = "bench-pdf"
# A Redis database of the bench's own when the settings name no broker (the tests use 14).
DEFAULT_BROKER = "redis://127.0.0.1:6379/12"
WARM_UP = 2  # renders not counted: templates compiled, fonts loaded into the cached configuration


# -- rendering ---------------------------------------------------------------------------------------


def showcase_partner(*, tenant_slug: str, load: Callable[[], None]) -> Partner:
    """The tenant's active partner at the highest tier (the demo's Premium showcase); ``load`` fills the
    database first when the tenant is missing."""
    if not Tenant.objects.filter(slug=tenant_slug).exists():
        load()
    tenant = Tenant.objects.get(slug=tenant_slug)
    with tenant_scope(tenant):
        best = (
            PartnerTier.objects.filter(tenant=tenant, partner__status=Partner.Status.ACTIVE)
            .order_by("-tier__rank", "partner__external_ref")
            .values_list("partner_id", flat=True)
            .first()
        )
        queryset = Partner.objects.filter(status=Partner.Status.ACTIVE).select_related(
            "tenant", "partner_type"
        )
        partner = queryset.filter(pk=best).first() if best else queryset.order_by("external_ref").first()
    if partner is None:
        raise ValueError(f"The tenant {tenant_slug!r} has no active partner to render documents for.")
    return partner


def render_times(
    *, partner: Partner, kinds: list[str], count: int, tick: Callable[[str], None]
) -> dict[str, list[float]]:
    """Seconds per render of ``count`` unsaved documents of each of ``kinds`` for ``partner`` (after a
    warm-up), the kinds taken in turn: these machines' speed drifts for seconds at a time, and taking turns
    lets every kind's median span the same stretch of time instead of one kind getting a slow one."""
    with tenant_scope(partner.tenant):
        current = PartnerTier.objects.filter(partner=partner).select_related("tier").first()
        tier = current.tier if current else None
        tiers = {kind: tier for kind in kinds}
        if not (tier and tier.awards_diploma):  # a diploma needs a tier that awards one
            tiers[Document.Kind.DIPLOMA] = (
                Tier.objects.filter(tenant=partner.tenant, awards_diploma=True).order_by("rank").first()
            )
        today = partner.tenant.today()
        seconds = {kind: [] for kind in kinds}
        for i in range(WARM_UP + count):
            for kind in kinds:
                document = services.document_draft(partner=partner, kind=kind, tier=tiers[kind], today=today)
                started = time.perf_counter()
                services.document_pdf(document)
                if i >= WARM_UP:
                    seconds[kind].append(time.perf_counter() - started)
                    tick(kind)
    return seconds


def median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000 if seconds else 0.0


# -- the bench tenant --------------------------------------------------------------------------------


@dataclass
class BenchTenant:
    tenant: Tenant
    changes: list[list[int]]  # [partner_id, Access id, Business id]
    evaluation_date: dt.date


def bench_tenant_build(*, partners: int, logo_from: Tenant | None) -> BenchTenant:
    """``bench-pdf`` with the Dstny ladder and ``partners`` active partners (one bulk insert: no welcome
    pack is queued), each about to move from Access to Business, which awards a diploma."""
    bench_tenant_drop()
    with transaction.atomic():
        tenant = Tenant.objects.create(
            name="Bench PDF",
            slug=SLUG,
            legal_name="Bench PDF SAS",
            primary_colour=logo_from.primary_colour if logo_from else "#2b1a64",
            accent_colour=logo_from.accent_colour if logo_from else "#e4007c",
            evaluation_months=[1, 7],
        )
        if logo_from is not None and logo_from.logo:
            tenant.logo.name = logo_from.logo.name  # the same file, read only; not deleted with the tenant
            tenant.save(update_fields=["logo"])
        TenantDomain.objects.create(tenant=tenant, host=f"{SLUG}.localhost", is_primary=True)
        with tenant_scope(tenant):
            partner_type = PartnerType.objects.create(
                tenant=tenant,
                code="ambassadeur",
                name="Ambassadeur",
                grading_basis="revenu récurrent mensuel",
            )
            ladder = {}
            for rank, (code, name, diploma, booster) in enumerate(
                [
                    ("starter", "Starter", False, False),
                    ("access", "Access", False, True),
                    ("business", "Business", True, False),
                    ("premium", "Premium", True, False),
                ],
                start=1,
            ):
                ladder[code] = Tier.objects.create(
                    tenant=tenant,
                    code=code,
                    name=name,
                    rank=rank,
                    colour="#7a3fb0" if diploma else "#1f62b5",
                    awards_diploma=diploma,
                    awards_booster_pack=booster,
                )
            Partner.objects.bulk_create(
                [
                    Partner(
                        tenant=tenant,
                        external_ref=f"PDF-{i:05d}",
                        legal_name=f"Partenaire Banc d'essai {i:04d} SAS",
                        partner_type=partner_type,
                        status=Partner.Status.ACTIVE,
                        date_joined=dt.date(2024, 1, 15),
                    )
                    for i in range(1, partners + 1)
                ],
                batch_size=1000,
            )
            ids = list(Partner.objects.order_by("pk").values_list("pk", flat=True))
    access, business = ladder["access"].pk, ladder["business"].pk
    return BenchTenant(
        tenant=tenant,
        changes=[[pk, access, business] for pk in ids],
        evaluation_date=latest_due_date(tenant),
    )


def bench_diplomas(bench: BenchTenant) -> int:
    with tenant_scope(bench.tenant):
        return Document.objects.filter(tenant=bench.tenant, kind=Document.Kind.DIPLOMA).count()


def bench_tenant_drop() -> None:
    """Delete the bench tenant, its documents' files and every row that belongs to it, set-wise."""
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is None:
        return
    storage = documents_storage()
    with scopes_disabled():  # the bench's own tenant, by its id
        names = Document.objects.filter(tenant=tenant).values_list("file", flat=True)
        for name in names.iterator():
            storage.delete(name)
        with transaction.atomic():
            for model, path in tenant_owned_paths():
                model._base_manager.filter(**{path: tenant.pk})._raw_delete(connection.alias)
            Tenant.objects.filter(pk=tenant.pk)._raw_delete(connection.alias)


# -- Celery ------------------------------------------------------------------------------------------


def broker_url() -> tuple[str, bool]:
    """The broker to use (the settings' when it is a Redis one, else the local Redis) and whether it
    answers."""
    configured = settings.CELERY_BROKER_URL
    url = configured if configured.startswith(("redis://", "rediss://")) else DEFAULT_BROKER
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except (redis.RedisError, OSError):
        return url, False
    return url, True


@contextmanager
def celery_worker(*, broker: str, concurrency: int, say: Callable[[str], None]) -> Iterator[str]:
    """A ``celery worker`` child process on the bench's queue; yields its name once it answers a ping.

    The worker reads the same settings and database as this process (the environment is inherited) and
    is told the broker through ``CELERY_BROKER_URL``. It is stopped (warm shutdown) on the way out.
    """
    from partnerportal.celery import app

    app.conf.update(broker_url=broker, result_backend=broker, task_always_eager=False)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(QUEUE)  # messages an interrupted run left behind
    name = f"bench-pdf-{uuid.uuid4().hex[:8]}@%h"
    command = [
        sys.executable, "-m", "celery", "-A", "partnerportal", "--quiet", "worker",
        "--queues", QUEUE, "--concurrency", str(concurrency), "--pool", "prefork", "--hostname", name,
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {**os.environ, "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker}
    # The worker's own output (its warnings, a task's traceback) goes to a log, kept if something fails.
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-pdf-worker-", suffix=".log", delete=False)
    worker = subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    failed = True
    try:
        started, node = time.perf_counter(), None
        while node is None:
            if worker.poll() is not None:
                raise RuntimeError(
                    f"the Celery worker exited at start-up (status {worker.returncode}); see {log.name}"
                )
            if time.perf_counter() - started > 90:
                raise RuntimeError("the Celery worker did not answer within 90 s")
            replies = app.control.ping(timeout=0.5)
            node = next((n for reply in replies for n in reply if n.startswith(name.split("@")[0])), None)
        say(f"worker {node}: {concurrency} processes, ready in {time.perf_counter() - started:.1f} s")
        yield node
        failed = False
    finally:
        worker.send_signal(signal.SIGTERM)  # warm shutdown: the pool finishes and exits
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)  # the worker's own group (start_new_session): its pool too
            worker.wait()
        log.close()
        if failed:
            say(f"the worker's log: {log.name}")
        else:
            os.unlink(log.name)


def push_diplomas(
    bench: BenchTenant, *, chunk: int, eager: bool, progress: Callable[[int], None]
) -> tuple[float, int]:
    """Send the bench's tier changes, ``chunk`` per task; wait for every result (a failure raises).
    Returns the seconds and the diplomas in the database: a task retried after a transient error
    returns only what its last run issued."""
    chunks = [bench.changes[i : i + chunk] for i in range(0, len(bench.changes), chunk)]
    args = [(bench.tenant.pk, bench.evaluation_date.isoformat(), changes) for changes in chunks]
    started = time.perf_counter()
    if eager:
        trace = logging.getLogger("celery.app.trace")  # "Task … succeeded" for every chunk
        level = trace.level
        trace.setLevel(logging.WARNING)
        try:
            for arguments in args:
                tasks.documents_for_tier_changes.apply(arguments, throw=True)
                progress(bench_diplomas(bench))
        finally:
            trace.setLevel(level)
        return time.perf_counter() - started, bench_diplomas(bench)
    results = [tasks.documents_for_tier_changes.apply_async(arguments, queue=QUEUE) for arguments in args]
    while not all(result.ready() for result in results):
        progress(bench_diplomas(bench))
        time.sleep(0.25)
    seconds = time.perf_counter() - started
    for result in results:
        result.get(timeout=10)  # raises the first failure
    issued = bench_diplomas(bench)
    progress(issued)
    return seconds, issued
