"""Gunicorn settings, read from the working directory: refuse a broken deployment at start."""

import os
import sys


def on_starting(_server):
    """Stop before listening if static files, the database or its migrations are not ready."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
    from django.db import connections

    from roadmap.checks import refusal

    sentence = refusal()
    # The workers are forked from this process: none may inherit its database connection.
    connections.close_all()
    if sentence:
        sys.exit(sentence)
