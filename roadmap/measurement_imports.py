"""Import indicator measurements from a CSV file, by the rules of the milestone import.

Columns (header on line 1, UTF-8 with or without BOM): indicator (its ref), measured_on
(YYYY-MM-DD), value (a number; thousands separators allowed) and source (where the figure is
published). Every row is checked before anything is written and one bad row rejects the file,
each problem naming its line and column. A measurement already recorded with the same value is
left alone, so importing a file twice changes nothing; a different value for a day already
measured is refused (correct it in the admin, which keeps who changed it).
"""

import logging
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction

from roadmap.imports import HEADER_LINE, ImportRejected, ImportResult, RowError, _read
from roadmap.models import Indicator, Measurement
from roadmap.services.indicators import record_measurement

security_log = logging.getLogger("roadmap.security")

COLUMNS = ("indicator", "measured_on", "value", "source")
MAX_SOURCE = Measurement._meta.get_field("source").max_length
NUMBER = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\Z")


@dataclass
class _Measured:
    line: int
    indicator: Indicator | None = None
    measured_on: date | None = None
    value: Decimal | None = None
    source: str = ""
    existing: Measurement | None = None


def import_measurements(file, *, user=None, dry_run: bool = False) -> ImportResult:
    """Check every row of a CSV file of measurements, then record them in one go."""
    header, rows = _read(file)
    errors = _check_header(header)
    if errors:
        raise ImportRejected(errors)
    measured, errors = _check_rows(rows, header, user)
    if errors:
        raise ImportRejected(errors)
    return _apply(measured, user, dry_run=dry_run)


def _check_header(header: list[str]) -> list[RowError]:
    missing = [RowError(HEADER_LINE, name, "this column is missing.") for name in COLUMNS]
    missing = [error for error in missing if error.column not in header]
    unknown = [
        RowError(HEADER_LINE, name or "(empty)", f"unknown column; expected {', '.join(COLUMNS)}.")
        for name in header
        if name not in COLUMNS
    ]
    twice = [
        RowError(HEADER_LINE, name, "this column appears twice.")
        for name in sorted(set(header))
        if header.count(name) > 1
    ]
    return missing + unknown + twice


def _check_rows(rows, header, user) -> tuple[list[_Measured], list[RowError]]:
    """Return the rows read into values and every problem, with a fixed number of queries."""
    errors, values = [], []
    for row in rows:
        if len(row.values) != len(header):
            count = len(row.values)
            errors.append(
                RowError(row.line, None, f"has {count} fields but the header has {len(header)}.")
            )
        else:
            values.append(
                (row.line, {name: row.values[i].strip() for i, name in enumerate(header)})
            )
    if errors:
        return [], errors
    indicators = Indicator.objects.in_bulk([v["indicator"] for _, v in values], field_name="ref")
    editable = (
        set(Indicator.objects.editable_by(user).values_list("pk", flat=True)) if user else None
    )
    recorded = {
        (m.indicator_id, m.measured_on): m
        for m in Measurement.objects.filter(indicator__in=list(indicators.values()))
    }
    measured, first_line = [], {}
    for line, row in values:
        item, row_errors = _check_row(line, row, indicators, recorded, first_line)
        if (
            item.indicator is not None
            and editable is not None
            and item.indicator.pk not in editable
        ):
            security_log.warning(
                "import refused: user=%s action=import_measurements line=%s indicator=%s",
                user.get_username(),
                line,
                item.indicator.ref,
            )
            row_errors.append(
                RowError(line, "indicator", f"you are not an owner of {item.indicator.ref!r}.")
            )
        errors += row_errors
        measured.append(item)
    return measured, errors


def _check_row(line, row, indicators, recorded, first_line) -> tuple[_Measured, list[RowError]]:
    """Return one row's values and its problems."""
    item, errors = _Measured(line, source=row["source"]), []

    def error(column, message):
        errors.append(RowError(line, column, message))

    item.indicator = indicators.get(row["indicator"])
    if item.indicator is None:
        error("indicator", f"no indicator has the ref {row['indicator']!r}.")
    try:
        item.measured_on = date.fromisoformat(row["measured_on"])
    except ValueError:
        error("measured_on", f"write the day as YYYY-MM-DD, not {row['measured_on']!r}.")
    if NUMBER.match(row["value"]):
        try:
            item.value = Decimal(row["value"].replace(",", ""))
        except InvalidOperation:
            error("value", f"{row['value']!r} is not a number.")
    else:
        error("value", f"{row['value']!r} is not a number such as 1500 or 1,500.5.")
    if not item.source:
        error("source", "say where the figure is published.")
    elif len(item.source) > MAX_SOURCE:
        error("source", f"at most {MAX_SOURCE} characters, not {len(item.source)}.")
    if item.indicator is not None and item.measured_on is not None:
        key = (item.indicator.pk, item.measured_on)
        if key in first_line:
            error(
                "measured_on",
                f"{item.indicator.ref} on {item.measured_on} is also on line {first_line[key]}.",
            )
        first_line.setdefault(key, line)
        item.existing = recorded.get(key)
        if (
            item.existing is not None
            and item.value is not None
            and item.existing.value != item.value
        ):
            error(
                "value",
                f"{item.indicator.ref} was measured {item.existing.value.normalize():f} on "
                f"{item.measured_on}; correct a recorded measurement in the admin.",
            )
    return item, errors


@transaction.atomic
def _apply(measured: list[_Measured], user, *, dry_run: bool) -> ImportResult:
    """Record the measurements not recorded yet; say which were created and left alone."""
    result = ImportResult(dry_run=dry_run)
    for item in measured:
        name = f"{item.indicator.ref}@{item.measured_on}"
        if item.existing is not None:
            result.unchanged.append(name)
            continue
        result.created.append(name)
        if not dry_run:
            record_measurement(
                indicator=item.indicator,
                measured_on=item.measured_on,
                value=item.value,
                source=item.source,
                user=user,
            )
    return result
