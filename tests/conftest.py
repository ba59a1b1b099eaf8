"""Fixtures shared by the whole suite: real services, real worker processes, real browsers.

A test that needs PostgreSQL, Redis or Chromium skips with the reason when the service is not
there, except under CI (``CI=true``), where a missing service fails the run instead.
"""

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import override_settings

from loadtest.smtp import free_port
from loadtest.stack import wait_for_port

PROJECT_DIR = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
# A Redis database the tests may flush; without it, the run starts a redis-server of its own.
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def require(condition, reason):
    """Skip the test for ``reason`` unless running under CI, where it fails instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    # PostgreSQL tests belong to the run whose DATABASE_URL is PostgreSQL; on the embedded
    # SQLite run they are deselected (and listed in the header), not skipped one by one.
    if connection.vendor == "postgresql":
        return
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("postgres") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
        config._roadmap_deselected = len(dropped)


@pytest.fixture
def in_english():
    """Read messages as an English reader: the tests otherwise run in Japanese, the default."""
    from django.utils import translation

    with translation.override("en"):
        yield


# Two organizations and their people, as the admin and access tests use them -------------------
# A test module that needs other codes or kinds defines its own org_a and org_b.


@pytest.fixture
def org_a():
    from tests.factories import OrganizationFactory

    return OrganizationFactory(code="org-a")


@pytest.fixture
def org_b():
    from tests.factories import OrganizationFactory

    return OrganizationFactory(code="org-b")


@pytest.fixture
def owner_a(org_a):
    """Return a staff user who owns ``org_a``."""
    from roadmap.models import Membership
    from tests.factories import MembershipFactory

    return MembershipFactory(organization=org_a, role=Membership.Role.OWNER).user


@pytest.fixture
def viewer_a(org_a):
    """Return a staff user who may see ``org_a``'s milestones but not change them."""
    from roadmap.models import Membership
    from tests.factories import MembershipFactory

    return MembershipFactory(organization=org_a, role=Membership.Role.VIEWER).user


@pytest.fixture
def milestone_a(org_a):
    """Return a milestone of ``org_a``."""
    from tests.factories import MilestoneFactory

    return MilestoneFactory(owner=org_a, title_ja="標準化", title_en="Standardization")


@pytest.fixture
def milestone_b(org_b):
    """Return a milestone of ``org_b``."""
    from tests.factories import MilestoneFactory

    return MilestoneFactory(owner=org_b, title_ja="防災", title_en="Disaster platform")


@pytest.fixture
def security_log(caplog):
    """Capture the ``roadmap.security`` audit log."""
    caplog.set_level(logging.INFO, logger="roadmap.security")
    return caplog


@pytest.fixture(autouse=True)
def empty_cache():
    """Start each test with nothing kept: rolling its writes back rewinds the count of changes.

    A kept dashboard is keyed by that count, which only moves forward outside the tests.
    """
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True, scope="session")
def static_files_without_collectstatic():
    """Serve static files from the apps, as in development, so no collectstatic is needed."""
    with override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        WHITENOISE_USE_FINDERS=True,
        WHITENOISE_AUTOREFRESH=True,
    ):
        yield


def pytest_report_header(config):
    return [f"database: {connection.vendor}; CI={IN_CI}"]


def pytest_terminal_summary(terminalreporter, config):
    dropped = getattr(config, "_roadmap_deselected", 0)
    if dropped:
        terminalreporter.write_line(
            f"{dropped} PostgreSQL-only tests not run: DATABASE_URL is not PostgreSQL."
        )


@pytest.fixture(scope="session")
def redis_server_url(tmp_path_factory):
    """Return ``REDIS_TEST_URL``, or else the URL of a redis-server this run starts for itself.

    A server of the run's own is never shared, so two runs on one machine cannot flush each
    other's data.
    """
    if REDIS_TEST_URL:
        yield REDIS_TEST_URL
        return
    binary = shutil.which("redis-server")
    require(binary is not None, "REDIS_TEST_URL is not set and redis-server is not installed")
    server = PrivateRedis(binary, free_port(), tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def redis_url(redis_server_url):
    """Return the URL of a reachable Redis database reserved for tests, flushed before use."""
    import redis

    client = redis.Redis.from_url(redis_server_url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        require(False, f"Redis is not reachable at {redis_server_url} ({exc})")
    client.flushdb()
    yield redis_server_url
    client.flushdb()
    client.close()


@pytest.fixture
def private_redis(tmp_path):
    """Start a Redis server of the test's own, which the test may stop and start again."""
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server is not installed")
    server = PrivateRedis(binary, free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


class PrivateRedis:
    def __init__(self, binary, port, directory):
        self.binary, self.port, self.directory = binary, port, directory
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def subprocess_database_url():
    """Return a DATABASE_URL that points a child process at the test database."""
    cfg = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{cfg['NAME']}"
    user = quote(cfg.get("USER") or "")
    password = f":{quote(cfg['PASSWORD'])}" if cfg.get("PASSWORD") else ""
    host = cfg.get("HOST") or "127.0.0.1"
    port = cfg.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{cfg['NAME']}"


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """Collect the static files once, as a deployment must before gunicorn will start."""
    root = tmp_path_factory.mktemp("staticfiles")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity=0"],
        cwd=PROJECT_DIR,
        env=child_environment(STATIC_ROOT=root),
        check=True,
        timeout=300,
    )
    return root


def child_environment(**overrides):
    """Return the environment for a child process of the project sharing the test database."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tracker.settings",
        DATABASE_URL=subprocess_database_url(),
        PYTHONUNBUFFERED="1",
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


class CeleryProcess:
    """A real ``celery`` worker (optionally with beat) or beat process."""

    def __init__(self, args, env, log_path):
        self.args, self.env, self.log_path = args, env, log_path
        self.process = None

    def start(self):
        self.log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tracker", *self.args],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def output(self):
        return Path(self.log_path).read_text(errors="replace")

    def kill(self, sig):
        os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture
def celery_processes(tmp_path):
    """Start real Celery processes against the test database; stop them afterwards."""
    started = []

    def start(*args, broker_url, **env):
        env.setdefault("VAR_DIR", tmp_path / "var")
        process = CeleryProcess(
            list(args),
            child_environment(CELERY_BROKER_URL=broker_url, **env),
            tmp_path / f"celery-{len(started)}.log",
        ).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
