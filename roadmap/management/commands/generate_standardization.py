"""Load the municipal standardization programme: 1,788 bodies and their migration milestones."""

from django.core.management.base import BaseCommand, CommandError

from roadmap import periods, standardization


class Command(BaseCommand):
    help = (
        "Create the 47 prefectures and 1,741 municipalities, one milestone per body and standard "
        "business system, and the FY2030 re-plans; with --steps also the 40 standard steps of "
        "each milestone. Only what is missing is added, so it can be run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--steps", action="store_true", help="Also create the 40 steps.")
        parser.add_argument(
            "--owners", action="store_true", help="Give each body an owner account with e-mail."
        )
        parser.add_argument("--seed", type=int, default=2024, help="Seed of the statuses.")
        parser.add_argument(
            "--prefectures", type=int, help="Only the first N prefectures (for a small dataset)."
        )
        parser.add_argument(
            "--max-municipalities", type=int, help="At most N municipalities per prefecture."
        )

    def handle(self, *args, **options):
        for name in ("prefectures", "max_municipalities"):
            if options[name] is not None and options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        try:
            report = standardization.generate(
                seed=options["seed"],
                steps=options["steps"],
                owners=options["owners"],
                limit_prefectures=options["prefectures"],
                max_municipalities=options["max_municipalities"],
            )
        except periods.PhraseError as error:
            raise CommandError(str(error)) from error
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Done in {sum(report.elapsed.values()):.1f} s."))
