"""Print the window of dates a deadline phrase resolves to, as one JSON line."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from roadmap.management.arguments import parse_day
from roadmap.models import Milestone
from roadmap.services.milestones import resolve_window

USAGE_ERROR = 2


class Command(BaseCommand):
    help = "Resolve a Japanese deadline phrase such as 「2025年度までに」 into dates."

    def add_arguments(self, parser):
        parser.add_argument("phrase")
        parser.add_argument(
            "--reference",
            help="Date relative phrases are read from (YYYY-MM-DD); default today in Tokyo.",
        )
        parser.add_argument(
            "--kind", choices=Milestone.Kind.values, default=Milestone.Kind.DEADLINE
        )

    def handle(self, *args, phrase, reference, kind, **options):
        day = parse_day(reference, option="--reference", returncode=USAGE_ERROR)
        window = self.resolve(phrase, day)
        result = {
            "phrase": window.phrase,
            "start": iso(window.start),
            "end": iso(window.end),
            "deadline": iso(window.deadline(kind)),
            "precision": str(window.precision),
            "soft": window.soft,
            "rule": window.rule,
        }
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def resolve(self, phrase, reference):
        if not phrase.strip():
            raise CommandError("The phrase is empty.", returncode=USAGE_ERROR)
        try:
            return resolve_window(phrase, reference=reference)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=USAGE_ERROR) from None


def iso(day):
    return day.isoformat() if day else None
