"""Celery tasks: thin wrappers that parse arguments and call a service."""

from celery import shared_task


@shared_task(ignore_result=False)
def ping() -> str:
    """Answer "pong": shows that a worker takes tasks from the broker."""
    return "pong"
