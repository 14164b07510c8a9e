"""/healthz (health.py, HealthCheckMiddleware): answered before tenant resolution, on any host."""

import json
import time

import pytest
from django.test import Client

HEALTHY_BROKER = "redis://127.0.0.1:6379/15"  # Redis runs on 127.0.0.1:6379 here and in CI
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def healthz(host: str = "alpha.localhost", path: str = "/healthz"):
    response = Client(HTTP_HOST=host).get(path)
    return response, json.loads(response.content)


@pytest.mark.parametrize(("path", "broker"), [("/healthz", ""), ("/healthz/", ""), ("/healthz", "memory://")])
def test_healthy_without_a_broker(db, settings, path, broker):
    # Without a broker, tasks run eagerly (settings.py sets the unused "memory://" transport then).
    settings.CELERY_BROKER_URL = broker

    response, body = healthz(path=path)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert body == {"status": "ok", "database": "ok", "broker": "not configured"}


def test_healthy_with_a_reachable_broker(db, settings):
    settings.CELERY_BROKER_URL = HEALTHY_BROKER

    response, body = healthz()

    assert response.status_code == 200
    assert body == {"status": "ok", "database": "ok", "broker": "ok"}


def test_unreachable_broker_is_a_503(db, settings):
    settings.CELERY_BROKER_URL = DEAD_BROKER

    started = time.monotonic()
    response, body = healthz()

    assert response.status_code == 503
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"].startswith("error: ")
    assert time.monotonic() - started < 10  # a probe must answer before the load balancer gives up


@pytest.mark.parametrize(
    "host",
    ["nobody.localhost", "10.0.0.7", "10.0.0.7:8000", "probe.internal.example", "bravo.localhost"],
)
def test_answers_on_any_host(db, settings, host):
    # Load balancers probe by IP or by an internal name, not by a tenant's host (nor one in ALLOWED_HOSTS).
    settings.CELERY_BROKER_URL = ""

    response, body = healthz(host=host)

    assert response.status_code == 200
    assert body["database"] == "ok"


def test_database_failure_is_a_503(db, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""

    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database is down")

    from django.db import connection

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = Client(HTTP_HOST="alpha.localhost").get("/healthz")
    monkeypatch.undo()

    assert response.status_code == 503
    assert json.loads(response.content)["database"] == "error: RuntimeError"


def test_health_path_prefix_is_not_the_health_check(db):
    # Only /healthz itself skips tenant resolution: /healthzz on an unknown host is the unknown-host 404.
    response = Client(HTTP_HOST="nobody.localhost").get("/healthzz")

    assert response.status_code == 404
