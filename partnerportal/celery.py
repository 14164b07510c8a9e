"""The Celery app. Without a broker (demo, tests) settings make tasks run eagerly in-process.

Every task of the project is a ``PortalTask``: when the broker cannot be reached, ``apply_async`` (and so
``delay`` and ``delay_on_commit``) writes the message to an outbox folder instead of failing, and a
background thread of the same process publishes it once the broker answers again (a worker publishes the
outbox too as it starts). The work was committed before it was queued (``delay_on_commit``): failing the
request then would tell the person their change failed when it did not, and lose the task. The tasks are
idempotent (or acknowledged early) so that a message published twice — a crash between publishing and
removing its file — does no harm. The outbox is a folder of JSON files (``CELERY_OUTBOX_DIR``, by default
``PRIVATE_MEDIA_ROOT/task-outbox``) rather than a table: the database may be what is down as well, and the
folder needs no migration; it is per machine, which is where the processes that wrote it run.
"""

import datetime as dt
import functools
import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.signals import worker_ready
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerportal.settings")

logger = logging.getLogger("partnerportal.tasks")

# What a broker (or a Redis result backend) that is down or unreachable raises while a message is sent.
try:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    BROKER_DOWN: tuple[type[BaseException], ...] = (
        BrokerError,
        OSError,
        RedisConnectionError,
        RedisTimeoutError,
    )
except ImportError:  # pragma: no cover - redis is a dependency
    BROKER_DOWN = (BrokerError, OSError)

# The options of apply_async an outbox message keeps (the others are the caller's objects: producer, link…).
KEPT_OPTIONS = ("task_id", "queue", "priority", "retries", "ignore_result")
FLUSH_DELAY_MAX = 60  # seconds between two attempts of the outbox thread, once backed off


class PortalTask(DjangoTask):
    """A task whose message is kept in the outbox when the broker is down (see the module's docstring)."""

    def apply_async(self, args=None, kwargs=None, task_id=None, **options):
        if self.app.conf.task_always_eager or options.get("producer") is not None:
            return super().apply_async(args, kwargs, task_id=task_id, **options)
        task_id = task_id or str(uuid.uuid4())
        try:
            result = super().apply_async(args, kwargs, task_id=task_id, **options)
        except (*BROKER_DOWN, RuntimeError) as exc:
            # The Redis result backend gives up reconnecting with a RuntimeError ("Retry limit exceeded while
            # trying to reconnect to the Celery result store"); any other RuntimeError is not ours to keep.
            if isinstance(exc, RuntimeError) and "result store" not in str(exc):
                raise
            outbox_put(self.name, args, kwargs, {**options, "task_id": task_id}, error=exc)
            return self.AsyncResult(task_id)
        if outbox_waiting():
            outbox_kick()  # the broker answers again: publish what waited
        return result

    def delay_on_commit(self, *args, **kwargs) -> None:
        """``delay`` after commit, without a result: nobody can ask for it (this returns None), so the
        result backend is neither subscribed to nor written."""
        transaction.on_commit(functools.partial(self.apply_async, args, kwargs, ignore_result=True))


app = Celery("partnerportal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def outbox_dir() -> Path:
    from django.conf import settings

    return Path(
        getattr(settings, "CELERY_OUTBOX_DIR", None) or Path(settings.PRIVATE_MEDIA_ROOT) / "task-outbox"
    )


def outbox_put(name: str, args, kwargs, options: dict, *, error: BaseException | None = None) -> Path:
    """Write one message to the outbox (atomically: a reader never sees half a file) and start the thread
    that publishes it when the broker is back."""
    eta = options.get("eta")
    if eta is None and options.get("countdown"):
        eta = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=float(options["countdown"]))
    message = {
        "task": name,
        "args": list(args or ()),
        "kwargs": dict(kwargs or {}),
        "options": {key: options[key] for key in KEPT_OPTIONS if options.get(key) is not None},
        "eta": eta.isoformat() if isinstance(eta, dt.datetime) else None,
        "spooled_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    directory = outbox_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{time.time_ns()}-{message['options']['task_id']}.json"
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(message))
    os.replace(partial, path)
    logger.warning("broker unreachable (%s): %s %s kept in the outbox %s", error, name, path.stem, directory)
    outbox_kick()
    return path


def outbox_waiting() -> bool:
    try:
        return any(entry.name.endswith(".json") for entry in os.scandir(outbox_dir()))
    except FileNotFoundError:
        return False


def outbox_flush() -> int:
    """Publish the outbox's messages, oldest first, each removed once sent; stops at the first broker
    failure. Returns how many messages are left."""
    directory = outbox_dir()
    if not directory.is_dir():
        return 0
    _outbox_recover(directory)
    for path in sorted(directory.glob("*.json")):
        sending = path.with_name(f"{path.name}.{os.getpid()}.sending")
        try:
            os.rename(path, sending)  # one publisher per message, across processes
        except FileNotFoundError:
            continue
        try:
            message = json.loads(sending.read_text())
        except ValueError:  # not ours or damaged: set aside, named, rather than retried for ever
            os.rename(sending, path.with_suffix(".bad"))
            logger.error("outbox: %s is not a message; renamed .bad", path)
            continue
        options = dict(message["options"])
        if message.get("eta"):
            options["eta"] = dt.datetime.fromisoformat(message["eta"])
        try:
            app.send_task(message["task"], args=message["args"], kwargs=message["kwargs"], **options)
        except BROKER_DOWN:
            os.rename(sending, path)
            break
        sending.unlink()
        logger.info("outbox: %s %s published", message["task"], options.get("task_id"))
    return sum(1 for _ in directory.glob("*.json"))


def _outbox_recover(directory: Path) -> None:
    """Put back the messages a process that died was sending (its pid no longer runs)."""
    for path in directory.glob("*.sending"):
        pid = int(path.suffixes[-2].lstrip("."))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os.replace(path, path.with_name(path.name.rsplit(".", 2)[0]))
        except PermissionError:
            pass


_flusher: threading.Thread | None = None
_flusher_lock = threading.Lock()


def outbox_kick() -> None:
    """Start this process's outbox thread unless it runs: it retries with back-off until the outbox is empty."""
    global _flusher
    with _flusher_lock:
        if _flusher is not None and _flusher.is_alive():
            return
        _flusher = threading.Thread(target=_flush_until_empty, name="task-outbox", daemon=True)
        _flusher.start()


def _flush_until_empty() -> None:
    delay = 1.0
    while True:
        try:
            if outbox_flush() == 0:
                return
        except Exception:  # a damaged file must not stop the thread for the others
            logger.exception("outbox: flush failed")
        time.sleep(delay)
        delay = min(delay * 2, FLUSH_DELAY_MAX)


@worker_ready.connect
def _publish_outbox_at_start(**kwargs) -> None:
    """A worker that starts is connected to the broker: publish what a web process left in the outbox."""
    if outbox_waiting():
        outbox_kick()
