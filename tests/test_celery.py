"""Real Celery and gunicorn processes, started with the commands the deployment uses.

Each test publishes through the broker from this process and lets a separate worker process
run the task, so nothing here relies on eager execution.
"""

import json
import subprocess
import sys
import time
import urllib.request

import pytest
from celery import Celery

from tests.conftest import PROJECT_DIR, child_environment, free_port, wait_for_port

pytestmark = pytest.mark.worker

TIMEOUT = 90


@pytest.fixture
def client(monkeypatch):
    """Return a maker of Celery apps of the test's own that publish to a given broker."""
    # Celery lets these variables override an app's own settings; the test names its broker.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)

    def make(broker_url, result_backend, **options):
        return Celery(
            "tests", broker=broker_url, backend=result_backend, set_as_current=False, **options
        )

    return make


def filesystem_options(var_dir):
    folder = var_dir / "broker"
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(var_dir / "broker-control"),
        "store_processed": False,
    }


def wait_for_output(process, text, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in process.output():
            return
        assert process.process.poll() is None, process.output()
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared in the log:\n{process.output()}")


def test_a_worker_takes_a_task_from_the_filesystem_broker(celery_processes, client, tmp_path):
    var_dir = tmp_path / "var"
    results = tmp_path / "results"
    results.mkdir()
    backend = f"file://{results}"
    worker = celery_processes(
        "worker",
        "--loglevel=INFO",
        "--concurrency=1",
        broker_url="filesystem://",
        VAR_DIR=var_dir,
        CELERY_RESULT_BACKEND=backend,
    )
    app = client("filesystem://", backend, broker_transport_options=filesystem_options(var_dir))
    result = app.send_task("roadmap.tasks.ping")
    assert result.get(timeout=TIMEOUT) == "pong"
    assert "roadmap.tasks.ping" in worker.output()


@pytest.mark.redis
def test_a_worker_takes_a_task_from_redis(celery_processes, client, redis_url):
    worker = celery_processes(
        "worker",
        "--loglevel=INFO",
        "--concurrency=1",
        broker_url=redis_url,
        CELERY_RESULT_BACKEND=redis_url,
    )
    app = client(redis_url, redis_url)
    result = app.send_task("roadmap.tasks.ping")
    assert result.get(timeout=TIMEOUT) == "pong"
    assert "roadmap.tasks.ping" in worker.output()


def test_beat_starts_stays_up_and_knows_the_schedule(celery_processes):
    beat = celery_processes(
        "beat", "--loglevel=DEBUG", broker_url="filesystem://", LOG_LEVEL="DEBUG"
    )
    wait_for_output(beat, "beat: Starting...")
    time.sleep(3)
    assert beat.process.poll() is None, beat.output()
    log = beat.output()
    for task in (
        "roadmap.tasks.flag_overdue_task",
        "roadmap.tasks.send_notifications_task",
        "roadmap.tasks.send_pending_task",
    ):
        assert task in log


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_the_health_check(tmp_path, collected_static):
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "tracker.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
        ],
        cwd=PROJECT_DIR,
        env=child_environment(
            VAR_DIR=tmp_path / "var",
            CELERY_BROKER_URL="filesystem://",
            STATIC_ROOT=collected_static,
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=20) as response:
            status, body = response.status, json.loads(response.read())
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    assert status == 200, (tmp_path / "gunicorn.log").read_text()
    assert body["checks"] == {"database": "ok", "broker": "ok"}
