"""Import the monthly report of step states (and designations) from a CSV or XLSX file.

The whole file is checked before anything is written: a file with one bad row is rejected whole,
each error naming its line and column. Accepted rows go through the step service in one set-based
write, so a national file of 1.4 million rows loads in one transaction and a second run of the
same file changes nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from roadmap.imports import ImportRejected, RowError
from roadmap.models import Milestone
from roadmap.programme.steps import Cell, Outcome, record_steps
from roadmap.standard_steps import STEP_COUNT, parse_state
from roadmap.standard_systems import SYSTEMS_BY_NUMBER

STEP_COLUMNS = ("body", "system", "step", "state")
MAX_ERRORS = 100
HEADER_LINE = 1


def read_table(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (line, fields) of a CSV (UTF-8, BOM optional) or XLSX file, the header first.

    The one reader of the programme's imports: blank records are skipped.
    """
    if path.suffix.lower() == ".xlsx":
        yield from read_xlsx(path)
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
                raise ImportRejected([RowError(line, None, f"not valid CSV ({error}).")]) from None
            if any(field.strip() for field in record):
                yield line, record


def read_xlsx(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cell texts) of the first sheet of an XLSX workbook."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise ImportRejected(
            [RowError(HEADER_LINE, None, f"not an XLSX workbook ({error}).")]
        ) from None
    try:
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
            record = ["" if v is None else str(v) for v in values]
            if any(field.strip() for field in record):
                yield number, record
    finally:
        book.close()


def header_of(rows: Iterator, columns: tuple[str, ...]) -> dict[str, int]:
    """Return the position of each expected column, or raise naming what is wrong."""
    first = next(rows, None)
    if first is None:
        raise ImportRejected([RowError(HEADER_LINE, None, "the file is empty.")])
    line, record = first
    names = [name.strip() for name in record]
    errors = [
        RowError(line, name, "this column is missing from the header.")
        for name in columns
        if name not in names
    ] + [
        RowError(line, name or "(empty)", f"unknown column; expected {', '.join(columns)}.")
        for name in names
        if name not in columns
    ]
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
    """Check every row of a step report, then write all of it (or, on any error, nothing)."""
    rows = read_table(path)
    columns = header_of(rows, STEP_COLUMNS)
    milestones = programme_milestones()
    cells, errors, seen = [], [], {}
    for line, record in rows:
        cell = check_step_row(line, record, columns, milestones, errors)
        if cell is None:
            continue
        key = (cell.milestone_id, cell.number)
        if key in seen:
            errors.append(
                RowError(line, "step", f"this step is also reported on line {seen[key]}.")
            )
        seen[key] = line
        cells.append(cell)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise ImportRejected(errors)
    if dry_run:
        return StepImport(len(cells), None, True)
    with transaction.atomic():
        outcome = record_steps(cells=cells, user=user)
    return StepImport(len(cells), outcome, False)


def check_step_row(line, record, columns, milestones, errors) -> Cell | None:
    """Return the row's cell, or None after adding its problems to ``errors``."""
    if len(record) < len(columns):
        errors.append(RowError(line, None, f"has {len(record)} fields, expected {len(columns)}."))
        return None
    found = len(errors)
    body = record[columns["body"]].strip()
    system = whole_number(record[columns["system"]], 1, len(SYSTEMS_BY_NUMBER))
    number = whole_number(record[columns["step"]], 1, STEP_COUNT)
    state = parse_state(record[columns["state"]])
    if system is None:
        errors.append(RowError(line, "system", "must be a business system number from 1 to 20."))
    if number is None:
        errors.append(RowError(line, "step", f"must be a step number from 1 to {STEP_COUNT}."))
    if state is None:
        errors.append(
            RowError(
                line,
                "state",
                "must be done, in_progress, not_started or not_applicable "
                "(or 完了済み, 作業中, 未着手, 対象外).",
            )
        )
    milestone = milestones.get((body, system))
    if system is not None and milestone is None:
        errors.append(
            RowError(line, "body", f"no body {body!r} runs business system {system} here.")
        )
    if len(errors) > found:
        return None
    return Cell(milestone, number, state)
