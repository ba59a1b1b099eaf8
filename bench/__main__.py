"""Run the benchmarks: ``python -m bench --help`` (``make bench`` runs it with --setup)."""

import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        sys.exit(f"Configuration error: {exc}")
    from bench.command import Command

    # Usage lines read "python -m bench …".
    Command().run_from_argv(["python -m", "bench", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
