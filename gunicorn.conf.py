"""Gunicorn settings, read from the working directory: refuse a broken deployment at start."""

import os
import sys


def on_starting(_server):
    """Stop before listening if static files, the database or its migrations are not ready."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
    from roadmap.checks import refusal

    sentence = refusal()
    if sentence:
        sys.exit(sentence)
