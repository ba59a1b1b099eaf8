"""Measure the jobs and pages at full size against their limits and write docs/benchmarks.md."""

from pathlib import Path

import psycopg
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql

from roadmap import benchmarks, standardization
from roadmap.models import Milestone

SMALL = {"limit_prefectures": 2, "max_municipalities": 5}


class Command(BaseCommand):
    help = (
        "Time flag_overdue, queue_notifications, send_digests and the pages over the "
        "standardization programme, each against a baseline measured in the same run, and "
        "print the table (and write it with --output)."
    )

    def add_arguments(self, parser):
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

    def handle(self, *args, **options):
        if options["runs"] < 1 or options["requests"] < 1:
            raise CommandError("--runs and --requests must be at least 1.")
        if options["setup"]:
            self.set_up(small=options["small"])
        elif options["small"]:
            standardization.generate(owners=True, steps=True, **SMALL)
        if not standardization_loaded():
            raise CommandError(
                "No standardization programme in this database: run with --setup, or "
                "`manage.py generate_standardization --owners --steps` first."
            )
        try:
            rows = benchmarks.run_all(runs=options["runs"], requests=options["requests"])
        except benchmarks.BenchError as error:
            raise CommandError(str(error)) from error
        text = benchmarks.report(rows, runs=options["runs"], requests=options["requests"])
        self.stdout.write(text)
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"Wrote {options['output']}."))

    def set_up(self, *, small):
        if connection.vendor != "postgresql":
            raise CommandError("--setup needs DATABASE_URL to name a PostgreSQL database.")
        create_database_if_missing(connection.settings_dict)
        call_command("migrate", interactive=False, verbosity=0)
        report = standardization.generate(owners=True, steps=True, **(SMALL if small else {}))
        for line in report.lines():
            self.stdout.write(line)


def standardization_loaded() -> bool:
    return Milestone.objects.filter(ref__startswith=standardization.REF_PREFIX).exists()


def create_database_if_missing(database: dict) -> None:
    """Create the configured PostgreSQL database, connecting to the maintenance database."""
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
