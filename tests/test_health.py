"""/healthz names each dependency and its state, and answers quickly when one is down."""

import os
import signal
import time

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.redis
def test_healthz_reports_ok_on_redis(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"


@pytest.mark.redis
def test_healthz_names_the_broker_when_redis_is_stopped(client, settings, private_redis):
    settings.CELERY_BROKER_URL = private_redis.url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    private_redis.stop()

    started = time.monotonic()
    response = client.get("/healthz")

    assert time.monotonic() - started < 5
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] != "ok"


@pytest.mark.redis
def test_healthz_answers_within_five_seconds_when_redis_hangs(client, settings, private_redis):
    settings.CELERY_BROKER_URL = private_redis.url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    os.kill(private_redis.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
    finally:
        os.kill(private_redis.process.pid, signal.SIGCONT)

    assert elapsed < 5
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] != "ok"


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405
