"""Print the window of dates a deadline phrase resolves to, as one JSON line."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from roadmap import periods
from roadmap.models import EventDate, Milestone
from roadmap.services.milestones import resolve_window
from roadmap.services.recurring import is_recurrence
from roadmap.tasks import run_date

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
        parser.add_argument(
            "--event",
            help="Code of the event a phrase such as 10年を経過する前から counts from "
            "(digital-agency-established).",
        )

    def handle(self, *args, phrase, reference, kind, event, **options):
        day = self.reference_date(reference)
        if is_recurrence(phrase):
            # A yearly recurrence: the occurrences of the reference date's year and the next.
            first = periods.occurrence_year(phrase, day)
            result = {
                "phrase": phrase,
                "recurrence": True,
                "occurrences": [
                    {"year": year}
                    | self.reading(
                        self.resolve(periods.occurrence_phrase(phrase, year), day, None), kind
                    )
                    for year in (first, first + 1)
                ],
            }
        else:
            result = self.reading(self.resolve(phrase, day, self.anchor(event)), kind)
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def reading(self, window, kind):
        return {
            "phrase": window.phrase,
            "start": iso(window.start),
            "end": iso(window.end),
            "deadline": iso(window.deadline(kind)),
            "precision": str(window.precision),
            "soft": window.soft,
            "rule": window.rule,
        }

    def reference_date(self, text):
        try:
            return run_date(text, name="--reference")
        except ValueError as error:
            raise CommandError(str(error), returncode=USAGE_ERROR) from None

    def anchor(self, code):
        if not code:
            return None
        event = EventDate.objects.filter(code=code).first()
        if event is None:
            known = ", ".join(EventDate.objects.values_list("code", flat=True)) or "none"
            raise CommandError(
                f"No event has the code {code!r}; known: {known}.", returncode=USAGE_ERROR
            )
        return event

    def resolve(self, phrase, reference, anchor):
        if not phrase.strip():
            raise CommandError("The phrase is empty.", returncode=USAGE_ERROR)
        try:
            return resolve_window(phrase, reference=reference, anchor=anchor)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=USAGE_ERROR) from None


def iso(day):
    return day.isoformat() if day else None
