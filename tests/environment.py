"""Test-run defaults for the environment, loaded before Django reads its settings.

The settings refuse to start without SECRET_KEY when DEBUG is off, as production must; the test
run supplies a throwaway key and plain-HTTP cookies. Anything already set wins, so the same
suite runs against PostgreSQL and Redis when DATABASE_URL and CELERY_BROKER_URL are given.
"""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# One SQLite test database per test run, so that runs side by side do not share one.
os.environ.setdefault(
    "SQLITE_TEST_DATABASE",
    str(Path(__file__).resolve().parent.parent / "var" / f"test-{os.getpid()}.sqlite3"),
)
