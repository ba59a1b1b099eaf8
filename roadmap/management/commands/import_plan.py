"""Import an edition of the plan and classify what changed (see README, "Plan editions")."""

from django.core.management.base import BaseCommand, CommandError

from roadmap.editions import ChangeClass
from roadmap.imports import ImportRejected
from roadmap.services.editions import EditionRefused, import_edition
from roadmap.tasks import run_date


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
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and classify the file; write nothing."
        )

    def handle(self, *args, file, code, title_ja, title_en, decided_on, previous, dry_run, **_):
        try:
            decided = run_date(decided_on, name="--decided-on")
            with open(file, "rb") as edition_file:
                result = import_edition(
                    edition_file,
                    code=code,
                    title_ja=title_ja,
                    title_en=title_en,
                    decided_on=decided,
                    previous_code=previous,
                    dry_run=dry_run,
                )
        except ValueError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except EditionRefused as refused:
            raise CommandError(f"Nothing was imported: {refused}") from None
        except ImportRejected as rejected:
            problems = "\n".join(f"  {file}, {error}" for error in rejected.errors)
            raise CommandError(
                f"Nothing was imported: {len(rejected.errors)} problem(s) in {file}.\n{problems}"
            ) from None
        self.report(result)

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
