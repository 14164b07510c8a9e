"""``make stack``: the production topology on one machine, in the foreground until Ctrl-C.

The repository's ``Procfile`` (gunicorn, one Celery worker, exactly one beat), run by honcho, against the
PostgreSQL named by ``DATABASE_URL`` (default: ``partnerportal_stack`` on 127.0.0.1, created when missing)
and the Redis named by ``REDIS_URL`` (default: 127.0.0.1:6379/0; the cache takes the next database
number unless ``CACHE_URL`` says otherwise). The settings are production's (``DJANGO_ENV=production``)
apart from TLS: no HTTPS redirect and no ``Secure`` cookies, since it serves plain HTTP on 127.0.0.1.

Before honcho starts: the database is migrated, loaded with the demo when it has no tenant yet (without
``--no-demo``), and the static files are collected for the manifest storage. What the stack keeps between
runs lives outside git, in ``$PARTNERPORTAL_STACK_DIR`` (default ``~/.local/state/partnerportal-stack``):
the generated ``SECRET_KEY`` (so sessions survive a restart), collected static files, media and private
files. ``make load`` and ``make drill`` start the same Procfile lines through ``stack_prepare`` and
``honcho_command``.
"""

import argparse
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
PROCFILE = BASE_DIR / "Procfile"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/partnerportal_stack"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_BIND = "127.0.0.1:8000"  # the Procfile's default too
DEFAULT_HOSTS = ".localhost,127.0.0.1"  # the demo's dstny.localhost and openip.localhost
TENANT_TABLE = "partnerportal_tenant"


class StackError(Exception):
    """A configuration the stack cannot start with; the message says what to change."""


def state_dir(environ: Mapping[str, str] = os.environ) -> Path:
    if environ.get("PARTNERPORTAL_STACK_DIR"):
        return Path(environ["PARTNERPORTAL_STACK_DIR"])
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "partnerportal-stack"


def secret_key_in(directory: Path) -> str:
    """The stack's SECRET_KEY: generated on the first run into ``directory/secret_key`` (mode 600), then read."""
    path = directory / "secret_key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50))
    key = path.read_text().strip()
    if len(key) < 50:
        raise StackError(
            f"{path} holds no usable SECRET_KEY (50 characters or more): delete it to get a new one"
        )
    return key


def cache_url_for(redis_url: str) -> str:
    """The cache on the broker's Redis server, in the next database (the compose file's 0 and 1)."""
    parts = urlsplit(redis_url)
    number = parts.path.strip("/") or "0"
    if not number.isdigit():
        raise StackError(f"REDIS_URL {redis_url!r}: the path must be a database number, e.g. /0")
    return urlunsplit(parts._replace(path=f"/{int(number) + 1}"))


def stack_environment(
    *, environ: Mapping[str, str], directory: Path, secret_key: str, python: str = sys.executable
) -> dict[str, str]:
    """The processes' environment: ``environ`` with the production settings apart from TLS, the stack's
    database, Redis, key and folders. What ``environ`` sets for these wins, except the switches that plain
    HTTP needs (production, no HTTPS redirect, no Secure cookies)."""
    env = dict(environ)
    database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if urlsplit(database_url).scheme not in ("postgres", "postgresql", "pgsql", "postgis"):
        raise StackError(f"DATABASE_URL must name a PostgreSQL database for the stack, not {database_url!r}")
    redis_url = env.get("REDIS_URL") or DEFAULT_REDIS_URL
    if urlsplit(redis_url).scheme not in ("redis", "rediss"):
        raise StackError(f"REDIS_URL must name a Redis server for the stack, not {redis_url!r}")
    bind = env.get("BIND") or DEFAULT_BIND
    port = bind.rpartition(":")[2]
    defaults = {
        "ALLOWED_HOSTS": DEFAULT_HOSTS,
        "CACHE_URL": cache_url_for(redis_url),
        "STATIC_ROOT": str(directory / "static"),
        "MEDIA_ROOT": str(directory / "media"),
        "PRIVATE_MEDIA_ROOT": str(directory / "private"),
        "PORTAL_URL": f"http://{{host}}:{port}",
        "SECRET_KEY": secret_key,
        "DEBUG": "false",
    }
    for name, value in defaults.items():
        if not env.get(name):
            env[name] = value
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "BIND": bind,
            "DJANGO_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "partnerportal.settings",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "PYTHONUNBUFFERED": "1",  # the processes' lines reach honcho as they are written
            # gunicorn and celery of this virtualenv, whatever PATH says
            "PATH": os.pathsep.join([str(Path(python).parent), env.get("PATH", os.defpath)]),
        }
    )
    env.pop("CELERY_BROKER_URL", None)  # the broker is REDIS_URL's
    return env


def _server(url: str) -> tuple[dict, str]:
    parts = urlsplit(url)
    server = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 5432, "user": parts.username}
    if parts.password:
        server["password"] = parts.password
    return {k: v for k, v in server.items() if v}, parts.path.lstrip("/")


def database_ensure(url: str) -> bool:
    """Create the database ``url`` names when it is missing; True when it was created."""
    import psycopg2

    server, name = _server(url)
    try:
        admin = psycopg2.connect(dbname="postgres", connect_timeout=5, **server)
    except psycopg2.OperationalError as exc:
        raise StackError(
            f"cannot reach PostgreSQL at {server['host']}:{server['port']}: {exc}".strip()
        ) from exc
    admin.autocommit = True  # CREATE DATABASE cannot run in a transaction
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is not None:
                return False
            cursor.execute(f'CREATE DATABASE "{name}"')
            return True
    finally:
        admin.close()


def database_has_tenants(url: str) -> bool:
    import psycopg2

    server, name = _server(url)
    with psycopg2.connect(dbname=name, **server) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {TENANT_TABLE})")
        return cursor.fetchone()[0]


def redis_check(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise StackError(f"cannot reach Redis at {url}: {exc}") from exc


def manage(env: Mapping[str, str], *args: str) -> None:
    completed = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=dict(env), check=False)
    if completed.returncode:
        raise StackError(f"manage.py {' '.join(args)} failed (status {completed.returncode})")


def stack_prepare(env: Mapping[str, str], *, demo: bool, say: Callable[[str], None] = print) -> None:
    """Database created and migrated, the demo loaded into an empty one (``demo``), static files collected."""
    redis_check(env["REDIS_URL"])
    if database_ensure(env["DATABASE_URL"]):
        say(f"stack: database created ({env['DATABASE_URL']})")
    manage(env, "migrate", "--noinput", "-v0")
    if demo and not database_has_tenants(env["DATABASE_URL"]):
        say("stack: no tenant in the database: loading the demo (its PDFs go through the worker)")
        manage(env, "load_demo", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")


def honcho_command(*, python: str = sys.executable, procfile: Path = PROCFILE) -> list[str]:
    # `-e /dev/null`: honcho would let a .env file override the stack's environment; settings.py still reads
    # .env for what the stack does not set.
    honcho = shutil.which("honcho", path=str(Path(python).parent)) or "honcho"
    return [honcho, "start", "-f", str(procfile), "-d", str(procfile.parent), "-e", os.devnull]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="make stack", description=__doc__.splitlines()[0])
    parser.add_argument("--no-demo", action="store_true", help="Do not load the demo into an empty database.")
    options = parser.parse_args(argv)
    directory = state_dir()
    try:
        env = stack_environment(environ=os.environ, directory=directory, secret_key=secret_key_in(directory))
        stack_prepare(env, demo=not options.no_demo)
    except StackError as exc:
        sys.exit(f"stack: {exc}")
    command = honcho_command()
    print(
        f"stack: web on http://{env['BIND']} (hosts {env['ALLOWED_HOSTS']}), database {env['DATABASE_URL']}, "
        f"Redis {env['REDIS_URL']}, files in {directory}; Ctrl-C stops everything",
        flush=True,
    )
    os.execvpe(command[0], command, env)  # honcho in this process: Ctrl-C reaches it and it stops the rest


if __name__ == "__main__":
    main()
