"""Measure the jobs and pages at full size against their limits and write docs/benchmarks.md.

Run ``python -m bench --help``; ``make bench`` runs it on a PostgreSQL database of its own.
"""

import argparse
import os
import sys
from pathlib import Path

SMALL = {"limit_prefectures": 2, "max_municipalities": 5}


class BenchFailed(Exception):
    """The bench could not run; the message says why and what to do."""


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time flag_overdue, queue_notifications, send_digests and the pages over the "
        "standardization programme, each against a baseline measured in the same run, and "
        "print the table (and write it with --output).",
    )
    parser.add_argument("--runs", type=int, default=5, help="Timed runs of each job.")
    parser.add_argument("--requests", type=int, default=20, help="Requests to each page.")
    parser.add_argument("--output", type=Path, help="Write the report to this file.")
    parser.add_argument(
        "--setup",
        action="store_true",
        help="Create the PostgreSQL database if missing, migrate it and generate the full "
        "programme with owners and steps (only what is missing).",
    )
    parser.add_argument(
        "--small", action="store_true", help="Use a small programme of 2 prefectures."
    )
    return parser


def run(argv: list[str], out=sys.stdout) -> None:
    """Run the bench with command-line arguments ``argv``, writing the table to ``out``."""
    from bench import benchmarks
    from roadmap import standardization

    options = parser().parse_args(argv)
    if options.runs < 1 or options.requests < 1:
        raise BenchFailed("--runs and --requests must be at least 1.")
    if options.setup:
        set_up(small=options.small, out=out)
    elif options.small:
        standardization.generate(owners=True, steps=True, **SMALL)
    if not standardization_loaded():
        raise BenchFailed(
            "No standardization programme in this database: run with --setup, or "
            "`manage.py generate_standardization --owners --steps` first."
        )
    try:
        rows = benchmarks.run_all(runs=options.runs, requests=options.requests)
    except benchmarks.BenchError as error:
        raise BenchFailed(str(error)) from error
    text = benchmarks.report(rows, runs=options.runs, requests=options.requests)
    out.write(text + "\n")
    if options.output:
        options.output.write_text(text, encoding="utf-8")
        out.write(f"Wrote {options.output}.\n")


def set_up(*, small: bool, out) -> None:
    """Create, migrate and fill the bench's PostgreSQL database, adding only what is missing."""
    from django.core.management import call_command
    from django.db import connection

    from roadmap import standardization

    if connection.vendor != "postgresql":
        raise BenchFailed("--setup needs DATABASE_URL to name a PostgreSQL database.")
    create_database_if_missing(connection.settings_dict)
    call_command("migrate", interactive=False, verbosity=0)
    report = standardization.generate(owners=True, steps=True, **(SMALL if small else {}))
    for line in report.lines():
        out.write(line + "\n")


def standardization_loaded() -> bool:
    from roadmap import standardization
    from roadmap.models import Milestone

    return Milestone.objects.filter(ref__startswith=standardization.REF_PREFIX).exists()


def create_database_if_missing(database: dict) -> None:
    """Create the configured PostgreSQL database, connecting to the maintenance database."""
    import psycopg
    from psycopg import sql

    params = {
        "dbname": "postgres",
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
    }
    name = database["NAME"]
    with psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if v}) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
    try:
        run(sys.argv[1:])
    except BenchFailed as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
