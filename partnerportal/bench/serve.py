"""Serving and loading for ``bench_pages``: gunicorn in production mode, a signed-in session, wrk.

The server is the deployment's: ``gunicorn partnerportal.wsgi`` with ``DJANGO_ENV=production`` and
``DEBUG=false`` (collected static files, the manifest storage, the security middleware), except for the TLS
redirect, which a plain-HTTP load would only measure as redirects, and the bench's settings module, which
adds the bare view. Both pages get the same request: the tenant's host and the signed-in partner's session
cookie, so the bare view pays what every signed-in request pays (session, user, membership) and the
difference is the page's own work.

wrk (Debian's package) makes the load; it counts any answer but 200 through a Lua script, since its own
count of errors lets redirects through (a lost session would measure the sign-in redirect). Without wrk, a
keep-alive Python client in threads does, which is slower than the server and says so.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils.module_loading import import_string

from partnerportal.middleware import SESSION_TENANT_KEY
from partnerportal.models import Tenant, User

HOME_PATH = "/"
BARE_PATH = "/bench/bare/"
BENCH_SETTINGS = "partnerportal.bench.settings"

# Counts every answer but 200 per thread and prints the total: wrk's own "Non-2xx or 3xx" lets 3xx through.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not_ok = 0 end
function response(status, headers, body) if status ~= 200 then not_ok = not_ok + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("not_ok") end
  io.write(string.format("not-200: %d\\n", total))
end
"""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    not_ok: int  # answers other than 200
    socket_errors: int
    tool: str

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def pages_line(*, home: float, bare: float) -> str:
    """The line the issue names: ``pages: home R req/s, bare B req/s, ratio X``."""
    ratio = home / bare if bare else 0.0
    return f"pages: home {_rate(home)} req/s, bare {_rate(bare)} req/s, ratio {ratio:.2f}"


def _rate(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


# -- the signed-in partner ------------------------------------------------------------------------------


def session_cookie(*, user: User, tenant: Tenant) -> str:
    """A session of ``user`` signed in on ``tenant``, as the sign-in makes it; returns the Cookie header."""
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SESSION_TENANT_KEY] = tenant.pk
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def fetch(url: str, *, host: str, cookie: str, timeout: float = 30) -> tuple[int, str]:
    match = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    connection = http.client.HTTPConnection(match[1], int(match[2]), timeout=timeout)
    try:
        connection.request("GET", match[3], headers={"Host": host, "Cookie": cookie})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


# -- the server -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(*, hosts: list[str], static_root: str) -> dict[str, str]:
    """The production settings (settings.py reads them), on this database, without the TLS redirect."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": BENCH_SETTINGS,
        "DJANGO_ENV": "production",
        "DEBUG": "false",
        # The sessions the bench makes are checked against this key (the user's session hash).
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": ",".join(hosts),
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
    }


def collect_static(env: dict[str, str]) -> None:
    """The manifest the production storage reads ({% static %}); incremental after the first run."""
    completed = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode:
        raise RuntimeError(f"collectstatic failed:\n{completed.stderr[-3000:]}")


@contextmanager
def gunicorn(*, env: dict[str, str], workers: int, say: Callable[[str], None]) -> Iterator[str]:
    """gunicorn on 127.0.0.1 and a free port; yields its base URL once /healthz answers. Its log goes to a
    file, kept and named if something fails."""
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-pages-gunicorn-", suffix=".log", delete=False)
    command = [
        sys.executable, "-m", "gunicorn", "partnerportal.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    failed = True
    try:
        started = time.perf_counter()
        while True:
            if server.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited at start-up (status {server.returncode}); see {log.name}"
                )
            if time.perf_counter() - started > 60:
                raise RuntimeError(f"gunicorn did not answer within 60 s; see {log.name}")
            try:
                if fetch(f"{url}/healthz", host="127.0.0.1", cookie="", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        say(f"gunicorn: {workers} workers on {url}, ready in {time.perf_counter() - started:.1f} s")
        yield url
        failed = False
    finally:
        server.send_signal(signal.SIGTERM)  # graceful: the arbiter stops its workers
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # its own group (start_new_session): the workers too
            server.wait()
        log.close()
        if failed:
            say(f"gunicorn's log: {log.name}")
        else:
            os.unlink(log.name)


# -- the load -------------------------------------------------------------------------------------------


def ensure_wrk(say: Callable[[str], None]) -> str | None:
    """wrk's path, installed from Debian's packages where apt-get can run (root, or sudo without a password)."""
    if path := shutil.which("wrk"):
        return path
    if not shutil.which("apt-get"):
        return None
    if os.geteuid() == 0:
        prefix = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        prefix = ["sudo", "-n"]
    else:
        return None
    say("installing wrk (apt-get install wrk)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*prefix, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, capture_output=True, env=env).returncode:
        subprocess.run([*prefix, "apt-get", "update", "-qq"], capture_output=True, env=env)
        subprocess.run(install, capture_output=True, env=env)
    return shutil.which("wrk")


def run_wrk(
    wrk: str, url: str, *, host: str, cookie: str, seconds: float, connections: int, threads: int
) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", prefix="bench-pages-", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        command = [
            wrk, "--threads", str(threads), "--connections", str(max(connections, threads)),
            "--duration", f"{max(1, round(seconds))}s", "--timeout", "10s", "--script", script.name,
            "--header", f"Host: {host}", "--header", f"Cookie: {cookie}", url,
        ]  # fmt: skip
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
    return parse_wrk(completed.stdout, stderr=completed.stderr)


def parse_wrk(output: str, *, stderr: str = "") -> LoadResult:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", output)
    if done is None:
        raise RuntimeError(f"wrk gave no result:\n{output}\n{stderr}")
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[done[3]]
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    not_ok = re.search(r"not-200: (\d+)", output)
    return LoadResult(
        requests=int(done[1]),
        seconds=float(done[2]) * scale,
        not_ok=int(not_ok[1]) if not_ok else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        tool="wrk",
    )


def run_python(url: str, *, host: str, cookie: str, seconds: float, connections: int) -> LoadResult:
    """The fallback: ``connections`` threads, each on a keep-alive connection (re-opened when the server
    closes it), for ``seconds``."""
    match = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    headers = {"Host": host, "Cookie": cookie}
    counts = {"requests": 0, "not_ok": 0, "errors": 0}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker():
        done = not_ok = errors = 0
        connection = http.client.HTTPConnection(match[1], int(match[2]), timeout=10)
        while time.perf_counter() < deadline:
            try:
                connection.request("GET", match[3], headers=headers)
                response = connection.getresponse()
                response.read()
                done += 1
                not_ok += response.status != 200
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
        connection.close()
        with lock:
            counts["requests"] += done
            counts["not_ok"] += not_ok
            counts["errors"] += errors

    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return LoadResult(
        requests=counts["requests"],
        seconds=time.perf_counter() - started,
        not_ok=counts["not_ok"],
        socket_errors=counts["errors"],
        tool="python",
    )
