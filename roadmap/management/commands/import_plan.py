"""Import an edition of the plan and classify what changed (see README, "Plan editions")."""

from django.core.management.base import BaseCommand

from roadmap.editions import ChangeClass
from roadmap.management.arguments import (
    add_import_arguments,
    importing_user,
    parse_day,
    run_import,
)
from roadmap.services.editions import import_edition


class Command(BaseCommand):
    help = (
        "Import a new edition of the plan from CSV or .xlsx: carry its milestones over, record "
        "moves as re-plans and cancel what it drops. One bad row rejects the whole file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8) or .xlsx workbook (first sheet).")
        parser.add_argument("--code", required=True, help="Code of the new edition.")
        parser.add_argument("--title-ja", required=True, help="Title of the edition in Japanese.")
        parser.add_argument("--title-en", default="", help="Title of the edition in English.")
        parser.add_argument(
            "--decided-on",
            required=True,
            help="Decision date (YYYY-MM-DD); relative phrases such as 来年度 are read from it.",
        )
        parser.add_argument(
            "--previous", help="Code of the edition it replaces; default the latest before it."
        )
        add_import_arguments(
            parser,
            user_help="Import as this user, recorded in each milestone's history: milestones "
            "of organizations the user does not own are refused.",
        )

    def handle(self, *args, file, code, title_ja, title_en, decided_on, previous, **options):
        decided = parse_day(decided_on, option="--decided-on")
        importer = importing_user(options["user"])

        def load():
            with open(file, "rb") as edition_file:
                return import_edition(
                    edition_file,
                    code=code,
                    title_ja=title_ja,
                    title_en=title_en,
                    decided_on=decided,
                    previous_code=previous,
                    user=importer,
                    dry_run=options["dry_run"],
                )

        self.report(run_import(file, load))

    def report(self, result):
        since = result.previous.code if result.previous else "no earlier edition"
        if result.already_imported:
            heading = f"Edition {result.plan.code} is already imported; nothing changed."
        elif result.dry_run:
            heading = f"Dry run: edition {result.plan.code} against {since}; nothing written."
        else:
            heading = f"Imported edition {result.plan.code} against {since}."
        self.stdout.write(heading)
        totals = ", ".join(f"{name} {count}" for name, count in result.counts.items())
        self.stdout.write(f"  {totals}")
        for change in result.changes:
            if change.change_class != ChangeClass.UNCHANGED:
                self.stdout.write(f"  {change.change_class:<13} {change.ref}{shift(change)}")


def shift(change):
    if change.shift_days is None:
        return ""
    return f" ({change.shift_days:+d} days)"
