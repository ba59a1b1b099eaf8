"""Every service of docker-compose.yml starts natively from the same commands.

No Docker engine runs in CI, so each service's command (and its health check) is run here as a
process against the test database and a real Redis, exactly as the compose file spells it, with
only the container paths and ports swapped for local ones.
"""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_DIR, child_environment, free_port, wait_for_port

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

COMPOSE = yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
BIN = Path(sys.executable).parent
CONTAINER_VAR = "/var/lib/tracker"


def native(command, tmp_path, port=None):
    """Return the compose command with local executables, paths and port."""
    executables = {
        "python": sys.executable,
        "celery": str(BIN / "celery"),
        "gunicorn": str(BIN / "gunicorn"),
    }
    args = [executables.get(command[0], command[0]), *command[1:]]
    args = [arg.replace(CONTAINER_VAR, str(tmp_path)) for arg in args]
    if port:
        args = [arg.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for arg in args]
        args = [arg.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for arg in args]
    return args


def healthcheck(service, tmp_path, port=None):
    """Return the service's health check as a shell command line."""
    test = SERVICES[service]["healthcheck"]["test"]
    if test[0] == "CMD-SHELL":
        line = test[1]
    else:
        line = subprocess.list2cmdline(native(test[1:], tmp_path, port))
    line = line.replace("$$", "$").replace(CONTAINER_VAR, str(tmp_path))
    for name in ("celery", "python"):
        line = line.replace(f"{name} ", f"{BIN / name} ", 1) if line.startswith(name) else line
    if port:
        line = line.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    return line


@pytest.fixture
def environment(redis_url, tmp_path, collected_static):
    return child_environment(
        STATIC_ROOT=collected_static,
        CELERY_BROKER_URL=redis_url,
        VAR_DIR=tmp_path / "var",
        SECURE_SSL_REDIRECT="false",
        HOSTNAME=socket.gethostname(),
    )


def start(args, environment, log):
    return subprocess.Popen(
        args, cwd=PROJECT_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT
    )


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_compose_defines_the_production_services():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    assert "volumes" in SERVICES["postgres"]
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert "healthcheck" in SERVICES[name], name
    for name in ("migrate", "web", "worker", "beat"):
        assert SERVICES[name]["build"] == ".", f"{name} is not built from the Dockerfile"
    assert SERVICES["beat"]["deploy"]["replicas"] == 1


def test_migrate_service_runs(environment, tmp_path):
    result = subprocess.run(
        native(SERVICES["migrate"]["command"], tmp_path),
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    assert "No migrations to apply" in result.stdout or "Applying" in result.stdout


def test_web_service_serves_healthz(environment, tmp_path):
    port = free_port()
    with open(tmp_path / "web.log", "wb") as log:
        process = start(native(SERVICES["web"]["command"], tmp_path, port), environment, log)
        try:
            wait_for_port(port, timeout=60)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
                body = r.read().decode()
            check = subprocess.run(
                healthcheck("web", tmp_path, port), shell=True, env=environment, timeout=30
            )
        finally:
            stop(process)

    assert '"database": "ok"' in body
    assert '"broker": "ok"' in body
    assert check.returncode == 0


def test_worker_service_starts_and_answers_its_health_check(environment, tmp_path):
    with open(tmp_path / "worker.log", "wb") as log:
        process = start(native(SERVICES["worker"]["command"], tmp_path), environment, log)
        try:
            wait_for_log(tmp_path / "worker.log", "ready.", timeout=60)
            check = subprocess.run(
                healthcheck("worker", tmp_path),
                shell=True,
                env=environment,
                capture_output=True,
                text=True,
                timeout=60,
            )
        finally:
            stop(process)

    assert check.returncode == 0, check.stdout + check.stderr
    assert "pong" in check.stdout


def test_beat_service_starts_and_writes_its_schedule(environment, tmp_path):
    with open(tmp_path / "beat.log", "wb") as log:
        process = start(native(SERVICES["beat"]["command"], tmp_path), environment, log)
        try:
            wait_for_log(tmp_path / "beat.log", "beat: Starting", timeout=60)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(tmp_path.glob("celerybeat-schedule*")):
                time.sleep(0.2)
            alive = process.poll() is None
            check = subprocess.run(healthcheck("beat", tmp_path), shell=True, timeout=10)
        finally:
            stop(process)

    assert alive, (tmp_path / "beat.log").read_text()
    assert check.returncode == 0


def wait_for_log(path, text, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not logged within {timeout}s:\n{path.read_text()}")
