"""What the drill starts and stops: its own PostgreSQL cluster and Redis server, and the Procfile's processes.

Everything lives in one temporary folder and on the drill's own ports, so that the machine's PostgreSQL
and Redis are never touched. ``Infra`` is a context manager: leaving it (normally, on an error or on
Ctrl-C) stops every process it started and removes the folder.
"""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
PROCFILE = BASE_DIR / "Procfile"
PG_PORT = 55432
REDIS_PORT = 56379
WEB_PORT = 8161
DATABASE = "drill"


class DrillError(Exception):
    """The drill could not set itself up; the message says what is missing."""


def _pg_bin() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(
        (p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")),
        key=lambda b: int(b.parent.name) if b.parent.name.isdigit() else 0,
    )
    if not versions:
        raise DrillError("PostgreSQL's initdb was not found (apt-get install postgresql)")
    return versions[-1]


def procfile_commands(path: Path = PROCFILE) -> dict[str, str]:
    """The Procfile's ``name: command`` lines."""
    commands = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line)
        if match and not line.startswith("#"):
            commands[match[1]] = match[2]
    return commands


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise DrillError(f"nothing answers on 127.0.0.1:{port} after {timeout:.0f} s")


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


class Postgres:
    """A cluster of its own (initdb), run as the ``postgres`` user when the drill runs as root."""

    def __init__(self, root: Path):
        self.bin = _pg_bin()
        self.data = root / "pgdata"
        self.socket_dir = root / "pgsocket"
        self.log = root / "postgres.log"
        self.user = "postgres" if os.geteuid() == 0 else None

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode:
            raise DrillError(f"{program} failed: {completed.stderr.strip() or completed.stdout.strip()}")

    def init(self) -> None:
        for path in (self.data, self.socket_dir):
            path.mkdir()
        self.log.touch()
        if self.user:
            for path in (self.data, self.socket_dir, self.log):
                shutil.chown(path, self.user, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()

    def start(self) -> None:
        # fsync off: a drill's data need not survive the machine crashing, only PostgreSQL restarting.
        options = f"-p {PG_PORT} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start"
        )

    def restart(self, mode: str = "immediate") -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", mode, "-w", "-t", "60", "restart"
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")
            except DrillError:
                pass

    def create_database(self) -> None:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=PG_PORT, user="postgres", dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {DATABASE}")
        connection.close()


class Process:
    """One command in a process group of its own, so that it and its children are signalled together."""

    def __init__(self, name: str, command: list[str], *, env: dict, log: Path):
        self.name, self.command, self.env, self.log = name, command, env, log
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Process":
        with open(self.log, "ab") as output:
            self.popen = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=BASE_DIR,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass
        if sig == signal.SIGKILL:
            self.popen.wait()

    def stop(self, timeout: float = 15) -> None:
        if not self.running:
            self.kill()  # children left behind, if any
            return
        self.kill(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        self.kill(signal.SIGKILL)


class Infra:
    """The drill's folder, cluster, Redis, environment and processes; all gone when the block is left."""

    def __init__(self, *, keep: bool = False):
        self.keep = keep
        self.root = Path(tempfile.mkdtemp(prefix="partnerportal-drill-"))
        self.root.chmod(0o755)  # the postgres user walks into its data folder
        self.processes: list[Process] = []
        self.postgres = Postgres(self.root)
        self.redis: Process | None = None
        self.mail = self.root / "mail"
        self.fault = self.root / "storage-fault"
        self.env = self._environment()

    def _environment(self) -> dict[str, str]:
        """Production settings (DJANGO_ENV=production) apart from TLS, on the drill's own servers."""
        venv_bin = str(Path(sys.executable).parent)
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CELERY_"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "partnerportal.settings",
                "DJANGO_ENV": "production",
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": ".localhost,127.0.0.1",
                "SECURE_SSL_REDIRECT": "false",
                "SECURE_COOKIES": "false",
                "MANAGER_MFA_REQUIRED": "false",
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PG_PORT}/{DATABASE}",
                "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
                "CACHE_URL": f"redis://127.0.0.1:{REDIS_PORT}/1",
                # One file per connection; django-environ drops the path's first slash, hence four.
                "EMAIL_URL": f"filemail:///{self.mail}",
                "STATIC_ROOT": str(self.root / "static"),
                "MEDIA_ROOT": str(self.root / "media"),
                "PRIVATE_MEDIA_ROOT": str(self.root / "private"),
                "PORTAL_URL": f"http://{{host}}:{WEB_PORT}",
                "BIND": f"127.0.0.1:{WEB_PORT}",
                "WEB_CONCURRENCY": "2",
                "WORKER_CONCURRENCY": "2",
                # A message a killed worker held comes back after 10 s instead of an hour.
                "CELERY_VISIBILITY_TIMEOUT": "10",
                "DEMO_DOCUMENTS": "false",
                "PYTHONUNBUFFERED": "1",
                "PATH": os.pathsep.join([venv_bin, env.get("PATH", os.defpath)]),
            }
        )
        return env

    # -- servers ------------------------------------------------------------------------------------------

    def start_servers(self) -> None:
        for port in (PG_PORT, REDIS_PORT, WEB_PORT):
            if not port_free(port):
                raise DrillError(f"port {port} is taken: another drill running? (the drill owns it)")
        self.postgres.init()
        self.postgres.create_database()
        self.start_redis()

    def start_redis(self) -> None:
        command = [
            "redis-server",
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
        ]
        command += ["no", "--daemonize", "no", "--dir", str(self.root)]
        self.redis = self.start("redis", command)
        wait_for_port(REDIS_PORT)

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.stop()
            self.processes.remove(self.redis)
            self.redis = None

    # -- the Procfile's processes -------------------------------------------------------------------------

    def start(self, name: str, command: list[str]) -> Process:
        process = Process(name, command, env=self.env, log=self.root / f"{name}.log").start()
        self.processes.append(process)
        return process

    def start_procfile(self, name: str) -> Process:
        """The Procfile's line ``name``, through the shell (its ``${VAR:-default}``), as honcho runs it."""
        return self.start(name, ["bash", "-c", f"exec {procfile_commands()[name]}"])

    def stop(self, process: Process) -> None:
        process.stop()
        if process in self.processes:
            self.processes.remove(process)

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.root / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    # -- the context ----------------------------------------------------------------------------------------

    def __enter__(self) -> "Infra":
        return self

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes):
            process.stop(timeout=10)
        self.processes.clear()
        self.postgres.stop()
        if self.keep:
            print(f"drill: kept {self.root}", file=sys.stderr)
        else:
            shutil.rmtree(self.root, ignore_errors=True)
