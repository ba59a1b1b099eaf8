"""Import the monthly report of step states (and designations) from a CSV or XLSX file.

The whole file is checked before anything is written: a file with one bad row is rejected whole,
each error naming its line (or sheet and cell) and column. Accepted rows go through the step
service in one set-based write, so a national file of 1.4 million rows loads in one transaction
and a second run of the same file changes nothing.

Workbooks are read by the importers' one reader, ``roadmap.tabular``, within its limits. CSV is
streamed here instead: the national file (1.4 million rows, about 30 MB) is far above the
limits meant for milestone files, and holding a row object per line would cost gigabytes.
"""

from __future__ import annotations

import csv
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext

from roadmap import tabular
from roadmap.cells import cell_text
from roadmap.importing import ImportRejected, RowError, check_header
from roadmap.models import Milestone
from roadmap.programme.steps import Outcome, record_staged, stage
from roadmap.standard_steps import STEP_COUNT, parse_state
from roadmap.standard_systems import SYSTEMS_BY_NUMBER
from roadmap.tabular import Place

STEP_COLUMNS = ("body", "system", "step", "state")
MAX_ERRORS = 100


@dataclass(frozen=True)
class Record:
    """One non-blank line or row of a file: where it is and its fields as text."""

    sheet: str | None
    number: int
    fields: list[str]

    def place(self, name: str | None = None, columns: dict | None = None) -> Place:
        """Return where column ``name`` of this record is (a cell in a workbook)."""
        index = (columns or {}).get(name) if self.sheet is not None else None
        return Place(self.sheet, self.number, index, name)


def read_records(path: Path) -> Iterator[Record]:
    """Yield the records of a CSV or XLSX file, the header first; blank ones are skipped."""
    with path.open("rb") as handle:
        workbook = handle.read(4) == tabular.ZIP_MAGIC
    if workbook:
        yield from workbook_records(path)
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        while True:
            line = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as error:
                raise ImportRejected(
                    [
                        RowError(
                            Place(None, line),
                            gettext("not valid UTF-8 CSV (%(error)s).") % {"error": error},
                        )
                    ]
                ) from None
            if any(field.strip() for field in record):
                yield Record(None, line, record)


def workbook_records(path: Path) -> Iterator[Record]:
    """Yield the header and rows of a workbook's first sheet, read by roadmap.tabular."""
    try:
        with path.open("rb") as handle:
            table = tabular.read_table(handle)
    except tabular.TableError as error:
        raise ImportRejected([RowError(None, str(error))]) from None
    yield Record(table.sheet, 1, list(table.header))
    for row in table.rows:
        yield Record(table.sheet, row.number, [cell_text(c) for c in row.cells])


def header_of(records: Iterator[Record], columns: tuple[str, ...]) -> dict[str, int]:
    """Return the position of each expected column, or raise naming what is wrong."""
    first = next(records, None)
    if first is None:
        raise ImportRejected([RowError(None, gettext("The file is empty."))])
    names = [name.strip() for name in first.fields]
    errors = check_header(names, first.place, columns, repeats=False)
    if errors:
        raise ImportRejected(errors)
    return {name: names.index(name) for name in columns}


@dataclass
class StepImport:
    rows: int
    outcome: Outcome | None
    dry_run: bool


def programme_milestones() -> dict[tuple[str, int], int]:
    """Return the ids of the programme's milestones by (body code, business system)."""
    rows = Milestone.objects.filter(business_system__isnull=False).values_list(
        "owner__code", "business_system", "pk"
    )
    return {(code, system): pk for code, system, pk in rows}


def whole_number(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    if text.isascii() and text.isdigit() and low <= int(text) <= high:
        return int(text)
    return None


def import_steps(path: Path, *, user=None, dry_run: bool = False) -> StepImport:
    """Check every row of a step report, then write all of it (or, on any error, nothing).

    The rows are checked as they are read and the good ones staged (COPY on PostgreSQL) into
    the step service's temporary report table, in one pass over the file; the service then
    writes the whole report set-based. Any error rolls everything back, staging included.
    """
    records = read_records(path)
    columns = header_of(records, STEP_COLUMNS)
    checked = CheckedSteps(columns, programme_milestones())
    with transaction.atomic(), connection.cursor() as cursor:
        stage(cursor, checked.rows(records))
        if checked.errors:
            raise ImportRejected(checked.errors)
        if dry_run:
            # Nothing was written but the staged rows: drop them with the transaction.
            transaction.set_rollback(True)
            return StepImport(checked.count, None, True)
        outcome = record_staged(cursor, user=user)
    return StepImport(checked.count, outcome, False)


class CheckedSteps:
    """The rows of a step report, checked one by one as they are read."""

    def __init__(self, columns: dict[str, int], milestones: dict[tuple[str, int], int]):
        self.columns = columns
        # Each milestone with its place among them, where its steps' first rows are kept.
        self.milestones = {key: (pk, slot) for slot, (key, pk) in enumerate(milestones.items())}
        self.errors: list[RowError] = []
        self.count = 0
        # Where each step was first reported (0: not yet), to name both rows of a duplicate: a
        # row number per step of every milestone, 8 bytes each (11 MB at full size; the
        # dictionary this replaces took about 2 GB at ten times the programme).
        self.first_rows = array("Q", bytes(8 * STEP_COUNT * len(milestones)))

    def rows(self, records: Iterator[Record]) -> Iterator[tuple[int, int, str]]:
        """Yield (milestone id, step, state) of each good row; collect the others' errors."""
        for record in records:
            row = self.check(record)
            if row is not None and not self.errors:
                yield row
            if len(self.errors) >= MAX_ERRORS:
                return

    def check(self, record: Record) -> tuple[int, int, str] | None:
        """Return the record's row, or None after adding its problems to the errors."""
        columns, fields = self.columns, record.fields
        if len(fields) < len(columns):
            message = gettext("has %(found)d fields, expected %(expected)d.") % {
                "found": len(fields),
                "expected": len(columns),
            }
            self.errors.append(RowError(record.place(), message))
            return None
        body = fields[columns["body"]].strip()
        system = whole_number(fields[columns["system"]], 1, len(SYSTEMS_BY_NUMBER))
        number = whole_number(fields[columns["step"]], 1, STEP_COUNT)
        state = parse_state(fields[columns["state"]])
        milestone, slot = self.milestones.get((body, system), (None, None))
        if None in (system, number, state, milestone):
            self.problems(record, body, system, number, state)
            return None
        step = slot * STEP_COUNT + number - 1
        first = self.first_rows[step]
        if first:
            where = gettext("this step is also reported on row %(row)d.") % {"row": first}
            self.errors.append(RowError(record.place("step", columns), where))
            return None
        self.first_rows[step] = record.number
        self.count += 1
        return milestone, number, state

    def problems(self, record: Record, body, system, number, state) -> None:
        def problem(name, message):
            self.errors.append(RowError(record.place(name, self.columns), message))

        if system is None:
            problem("system", gettext("must be a business system number from 1 to 20."))
        if number is None:
            message = gettext("must be a step number from 1 to %(last)d.")
            problem("step", message % {"last": STEP_COUNT})
        if state is None:
            problem(
                "state",
                gettext(
                    "must be done, in_progress, not_started or not_applicable "
                    "(or 完了済み, 作業中, 未着手, 対象外)."
                ),
            )
        if system is not None and (body, system) not in self.milestones:
            message = gettext("no body %(body)s runs business system %(system)d here.")
            problem("body", message % {"body": repr(body), "system": system})
