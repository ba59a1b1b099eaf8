"""Run jobs at the same instant in threads, each with its own database connection."""

import threading
from functools import partial

from django.db import connection

# How long a test waits for its jobs before it fails instead of hanging.
TIMEOUT = 120


def together(*jobs, expected=()):
    """Start every job at the same instant and return their results, in the jobs' order.

    A job that raises one of ``expected`` has the exception as its result; any other exception
    is raised again here.
    """
    start, results, errors = threading.Barrier(len(jobs)), [None] * len(jobs), []

    def run(index, job):
        try:
            start.wait(timeout=TIMEOUT)
            results[index] = job()
        except expected as error:
            results[index] = error
        except BaseException as error:  # noqa: BLE001 - raised again in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        if thread.is_alive():
            raise TimeoutError(f"a job still runs after {TIMEOUT} s")
    if errors:
        raise errors[0]
    return results


def at_once(job, **kwargs):
    """Run ``job(**kwargs)`` twice at the same instant; return both results."""
    return together(partial(job, **kwargs), partial(job, **kwargs))
