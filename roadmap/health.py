"""Liveness of the tracker's dependencies: the database and the Celery broker."""

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import connection
from kombu import Connection

CHECK_TIMEOUT = 3.0
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")


def check_database():
    """Run a trivial query on the default database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker():
    """Open a connection to the Celery broker."""
    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=CHECK_TIMEOUT,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT)


def _run_broker_check():
    # The broker is checked in a thread so that a hung socket cannot hold the request.
    future = _pool.submit(check_broker)
    future.result(timeout=CHECK_TIMEOUT + 1)


def dependency_states():
    """Return {name: "ok" | error message} for each dependency."""
    states = {}
    for name, check in (("database", check_database), ("broker", _run_broker_check)):
        try:
            check()
        except FutureTimeout:
            states[name] = "timed out"
        except Exception as exc:  # noqa: BLE001 (any failure is reported, not raised)
            states[name] = f"{type(exc).__name__}: {exc}"[:200] or "unavailable"
        else:
            states[name] = "ok"
    return states
