"""Benchmarks of the tracker at full size, kept apart from the application.

They drive the pages through Django's test client and create databases, so they are not part
of what the tracker runs in production. ``python -m bench`` (``make bench``) runs them.
"""
