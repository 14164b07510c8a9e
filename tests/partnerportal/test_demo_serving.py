"""The demo is served with DEBUG off, static files by WhiteNoise, and pages kept out of shared caches."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def _settings_value(name: str, **env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ENV")}
    code = f"import django.conf as c; from partnerportal import settings as s; print(repr(s.{name}))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_debug_is_off_unless_asked_for():
    assert _settings_value("DEBUG") == "False"
    assert _settings_value("DEBUG", DEBUG="true") == "True"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, host: str):
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def demo_server(tmp_path):
    """`make demo`'s server (runserver, the default settings), on a free port and an empty database."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ENV", "DJANGO_SETTINGS_MODULE")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_demo_server_shows_no_debug_page_and_serves_static_files(demo_server):
    status, _, body = _get(f"{demo_server}/", host="attacker.example")
    assert status == 400
    assert "DisallowedHost" not in body and "settings" not in body.lower() and "Traceback" not in body
    assert "Bad request" in body or "Requête" in body

    status, headers, body = _get(f"{demo_server}/static/css/portal.css", host="dstny.localhost")
    assert status == 200 and headers["Content-Type"].startswith("text/css") and "--brand-primary" in body


@pytest.mark.django_db
def test_partner_pages_are_never_stored_by_a_cache(world, client_for):
    client = client_for(world.a.tenant, world.a.admin)
    response = client.get(reverse("partnerportal:home"))
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store", "no-cache"} <= directives

    signin = client_for(world.a.tenant).get(reverse("account_login"))
    assert "private" in signin["Cache-Control"]


@pytest.mark.django_db
def test_a_view_that_sets_its_own_policy_keeps_it(world, client_for):
    response = client_for(world.a.tenant).get(reverse("partnerportal:branding-css"))
    assert response["Cache-Control"] == "public, max-age=300"


@pytest.mark.django_db
def test_error_pages_are_the_portals(world, client_for):
    client = client_for(world.a.tenant, world.a.admin)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'class="card error-page"' in body and 'href="/"' in body and "Traceback" not in body


@pytest.mark.django_db
def test_a_missing_static_file_is_a_404_without_a_tenant_in_the_request():
    """The static files' handler (runserver, live servers) answers a missing file with the 404 page before any
    middleware ran: the page must render with no tenant and no user."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    statuses = []
    environ = RequestFactory().get("/static/img/missing.png", HTTP_HOST="dstny.localhost").environ
    body = b"".join(
        StaticFilesHandler(WSGIHandler())(environ, lambda status, headers: statuses.append(status))
    )

    assert statuses == ["404 Not Found"]
    assert b'class="card error-page"' in body
