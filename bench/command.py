"""``python -m bench``: measure the jobs and pages at full size against their limits.

The command writes docs/benchmarks.md with ``--output``. It is a Django command class run by
``bench/__main__.py`` rather than a management command of the app, so that nothing the tracker
runs in production can reach it.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql

from bench import benchmarks, scale, turns
from roadmap import standardization
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
            "programme with owners and steps and a month-end snapshot (only what is missing).",
        )
        parser.add_argument(
            "--small", action="store_true", help="Use a small programme of 2 prefectures."
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="Also run the bench on a second database holding this many copies of the "
            "programme (made with --setup there) and report how each row grew.",
        )
        parser.add_argument(
            "--scaled-database-url",
            help="The PostgreSQL database for --scale (default: this one's name + 10).",
        )
        parser.add_argument(
            "--copies",
            type=int,
            default=1,
            help="With --setup: grow the programme in this database to this many copies.",
        )
        parser.add_argument(
            "--json", type=Path, help="Write each row's median and queries to this file."
        )
        parser.add_argument(
            "--turns-fds",
            help="Time the pages in turns with the process at the other ends of these two "
            "pipes, '<read fd>,<write fd>' (passed by --scale to the run at the larger size).",
        )

    def handle(self, *args, **options):
        if options["runs"] < 1 or options["requests"] < 1:
            raise CommandError("--runs and --requests must be at least 1.")
        if options["scale"] < 1 or options["copies"] < 1:
            raise CommandError("--scale and --copies must be at least 1.")
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        if options["setup"]:
            self.set_up(small=options["small"], copies=options["copies"])
        elif options["small"]:
            standardization.generate(owners=True, steps=True, **SMALL)
            benchmarks.ensure_snapshot()
        if not standardization_loaded():
            raise CommandError(
                "No standardization programme in this database: run with --setup, or "
                "`manage.py generate_standardization --owners --steps` first."
            )
        partner = turns.Partner.from_fds(options["turns_fds"]) if options["turns_fds"] else None
        try:
            rows = benchmarks.run_all(
                runs=options["runs"], requests=options["requests"], partner=partner
            )
        except (benchmarks.BenchError, turns.PartnerGone) as error:
            raise CommandError(str(error)) from error
        if options["json"]:
            benchmarks.write_summary(rows, options["json"])
        scaled = scaled_seconds = None
        if options["scale"] > 1:
            started = time.monotonic()
            scaled = self.run_scaled(options)
            scaled_seconds = time.monotonic() - started
        text = benchmarks.report(
            rows,
            runs=options["runs"],
            requests=options["requests"],
            scaled=scaled,
            scale=options["scale"],
            load=load,
            scaled_seconds=scaled_seconds,
        )
        self.stdout.write(text)
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"Wrote {options['output']}."))

    def set_up(self, *, small, copies=1):
        if connection.vendor != "postgresql":
            raise CommandError("--setup needs DATABASE_URL to name a PostgreSQL database.")
        create_database_if_missing(connection.settings_dict)
        call_command("migrate", interactive=False, verbosity=0)
        report = standardization.generate(owners=True, steps=True, **(SMALL if small else {}))
        for line in report.lines():
            self.stdout.write(line)
        if copies > 1:
            scale.scale_to(copies, report=self.stdout.write)
        # The programme pages are also timed as of a snapshot: one is taken if there is none.
        snapshot = benchmarks.ensure_snapshot()
        self.stdout.write(f"programme pages as of the snapshot of {snapshot.as_of}")

    def run_scaled(self, options) -> list[dict]:
        """Run the bench in a second process on the larger database; return its rows.

        Its pages are timed in turns with this process's timing of the same pages here
        (``bench.turns``): each row that was carries the median here as ``paired_median``.
        """
        url = options["scaled_database_url"] or scaled_url(connection.settings_dict, options)
        with tempfile.TemporaryDirectory() as directory:
            summary = Path(directory) / "scaled.json"
            # One pipe each way: the run there asks, this process times and answers.
            questions_read, questions_write = os.pipe()
            answers_read, answers_write = os.pipe()
            command = [
                sys.executable,
                "-m",
                "bench",
                "--setup",
                f"--copies={options['scale']}",
                f"--runs={options['runs']}",
                f"--requests={options['requests']}",
                f"--json={summary}",
                f"--turns-fds={answers_read},{questions_write}",
            ]
            if options["small"]:
                command.append("--small")
            self.stdout.write(f"Running the bench at {options['scale']}× on {url} …")
            process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env={**os.environ, "DATABASE_URL": url},
                pass_fds=(answers_read, questions_write),
            )
            os.close(answers_read)
            os.close(questions_write)
            try:
                with (
                    os.fdopen(questions_read, "r", encoding="utf-8") as reader,
                    os.fdopen(answers_write, "w", encoding="utf-8") as writer,
                ):
                    paired = benchmarks.serve_pages_in_turns(
                        reader, writer, requests=options["requests"]
                    )
            except BaseException as error:
                process.kill()
                process.wait()
                if isinstance(error, benchmarks.BenchError):
                    raise CommandError(str(error)) from error
                raise
            if process.wait():
                raise CommandError(f"The bench at {options['scale']}× failed.")
            scaled = json.loads(summary.read_text(encoding="utf-8"))
        for item in scaled:
            median = paired.get(benchmarks.row_key(item["name"]))
            if median is not None:
                item["paired_median"] = median
        return scaled


def scaled_url(database: dict, options) -> str:
    """Return the address of this database with the scale appended to its name."""
    user = database.get("USER") or "postgres"
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{database['NAME']}{options['scale']}"


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
