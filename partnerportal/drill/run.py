"""``make drill``: faults against the real topology, each checked for lost or doubled work.

Starts its own PostgreSQL cluster (port 55432) and Redis server (56379) in a temporary folder, prepares the
data (the demo, its Dstny tenant enlarged with cloned partners), then runs the Procfile's ``worker`` and
``web`` lines with the production settings (``DJANGO_ENV=production``) apart from TLS, and the scenarios
that the apps register from their ``drill`` modules (scenarios.py), in their order:

1. a Celery worker killed (SIGKILL, with its pool) in the middle of a regrade (tiers);
2. PostgreSQL restarted (``pg_ctl restart -m immediate``) in the middle of a revenue import (tiers);
3. Redis stopped while a partner browses and claims a benefit, which queues an e-mail (benefits);
4. the documents storage failing under a PDF task (documents; a planted fault: documents/drill_storage.py).

This module holds what they share: the running system (``Drill``) and ``check``/``wait_until``.

One line per scenario says what was checked; the last line is ``drill: N scenarios, lost L``. The exit
code is non-zero when a scenario fails or something was lost. Everything started is stopped and the
folder removed at the end, also on an error or Ctrl-C (``--keep`` keeps the folder and its logs).
"""

import argparse
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
from pathlib import Path
from urllib.parse import urlencode

from .infra import BASE_DIR, WEB_PORT, DrillError, Infra, wait_for_port
from .scenarios import scenarios

PARTNERS = 1000  # cloned into Dstny: enough for a regrade and an import to be caught mid-way
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
            found = scenarios()
            for scenario in found:  # what the web and worker processes need for a scenario (a planted fault)
                if scenario.environ is not None:
                    infra.env.update(scenario.environ(infra))
            drill = Drill(infra)
            drill.start_worker()
            drill.start_web()
            print(
                f"drill: ready in {time.monotonic() - started:.0f} s ({infra.root})",
                file=sys.stderr,
                flush=True,
            )
            for scenario in found:
                name = scenario.name
                try:
                    line, lost = scenario.run(drill)
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
