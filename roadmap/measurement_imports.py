"""Import indicator measurements from a CSV file or an .xlsx workbook, by the milestone rules.

The file is read by roadmap.tabular (first sheet, header on row 1). Columns: indicator (its
ref), measured_on (a date: 2025-04-01, 令和7年4月1日 or a date cell), value (a number; thousands
separators allowed) and source (where the figure is published). Every row is checked before
anything is written and one bad row rejects the file, each problem naming its place
(``line 4, column value`` or ``sheet Sheet1, cell C4 (value)``). A measurement already recorded
with the same value is left alone, so importing a file twice changes nothing; a different value
for a day already measured is refused (correct it in the admin, which keeps who changed it).
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext

from roadmap import security
from roadmap.importing import (
    ImportRejected,
    ImportResult,
    RowError,
    check_header,
    field_count,
    not_an_owner,
    too_long,
)
from roadmap.models import Indicator, Measurement
from roadmap.services.indicators import record_measurement
from roadmap.tabular import CellError, Row, Table, TableError, read_table

COLUMNS = ("indicator", "measured_on", "value", "source")
MAX_SOURCE = Measurement._meta.get_field("source").max_length
NUMBER = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\Z")


@dataclass
class _Measured:
    source_row: Row
    ref: str
    indicator: Indicator | None = None
    measured_on: date | None = None
    value: Decimal | None = None
    source: str = ""
    existing: Measurement | None = None


def import_measurements(file, *, user=None, dry_run: bool = False) -> ImportResult:
    """Check every row of a file of measurements, then record them in one go."""
    try:
        table = read_table(file)
    except TableError as error:
        raise ImportRejected([RowError(None, str(error))]) from None
    errors = check_header(table.header, table.place, COLUMNS)
    if errors:
        raise ImportRejected(errors)
    measured, errors = _check_rows(table, user)
    if errors:
        raise ImportRejected(errors)
    return _apply(measured, user, dry_run=dry_run)


def _check_rows(table: Table, user) -> tuple[list[_Measured], list[RowError]]:
    """Return the rows read into values and every problem, with a fixed number of queries."""
    errors = [
        RowError(row.place(), field_count(len(row.cells), len(table.header)))
        for row in table.rows
        if table.format == "csv" and len(row.cells) != len(table.header)
    ]
    if errors:
        return [], errors
    refs = [row.text("indicator") for row in table.rows]
    indicators = Indicator.objects.in_bulk(refs, field_name="ref")
    editable = None
    if user is not None:
        editable = set(Indicator.objects.editable_by(user).values_list("pk", flat=True))
    recorded = {
        (m.indicator_id, m.measured_on): m
        for m in Measurement.objects.filter(indicator__in=list(indicators.values()))
    }
    measured, first_row = [], {}
    for row, ref in zip(table.rows, refs, strict=True):
        item = _Measured(row, ref, indicator=indicators.get(ref))
        errors += _check_row(item, recorded, first_row)
        errors += _check_owner(item, editable, user)
        measured.append(item)
    return measured, errors


def _check_row(item: _Measured, recorded, first_row) -> list[RowError]:
    """Read one row's values into ``item``; return its problems."""
    row, errors = item.source_row, []

    def error(column, message):
        errors.append(RowError(row.place(column), message))

    if item.indicator is None:
        message = gettext("no indicator has the ref %(ref)s.")
        error("indicator", message % {"ref": repr(item.ref)})
    try:
        item.measured_on = row.date("measured_on")
        if item.measured_on is None:
            error("measured_on", gettext("a date is required, such as 2025-04-01."))
    except CellError as problem:
        errors.append(RowError(problem.place, problem.message))
    value = row.text("value")
    if NUMBER.match(value):
        item.value = Decimal(value.replace(",", ""))
    else:
        message = gettext("%(value)s is not a number such as 1500 or 1,500.5.")
        error("value", message % {"value": repr(value)})
    item.source = row.text("source")
    if not item.source:
        error("source", gettext("say where the figure is published."))
    elif len(item.source) > MAX_SOURCE:
        error("source", too_long(MAX_SOURCE, len(item.source)))
    if item.indicator is not None and item.measured_on is not None:
        errors += _check_day(item, recorded, first_row)
    return errors


def _check_day(item: _Measured, recorded, first_row) -> list[RowError]:
    """Return the problems of measuring the indicator again on a day already measured."""
    row, key = item.source_row, (item.indicator.pk, item.measured_on)
    place = row.place("measured_on")
    errors = []
    if key in first_row:
        seen = gettext("%(ref)s on %(day)s is also on %(first)s.") % {
            "ref": item.indicator.ref,
            "day": item.measured_on,
            "first": first_row[key],
        }
        errors.append(RowError(place, seen))
    first_row.setdefault(key, row.place().line())
    item.existing = recorded.get(key)
    if item.existing is not None and item.value is not None and item.existing.value != item.value:
        errors.append(
            RowError(
                row.place("value"),
                gettext(
                    "%(ref)s was measured %(value)s on %(day)s; correct a recorded measurement "
                    "in the admin."
                )
                % {
                    "ref": item.indicator.ref,
                    "value": f"{item.existing.value.normalize():f}",
                    "day": item.measured_on,
                },
            )
        )
    return errors


def _check_owner(item: _Measured, editable, user) -> list[RowError]:
    """Return a problem if ``user`` is not an owner of the row's indicator."""
    if item.indicator is None or editable is None or item.indicator.pk in editable:
        return []
    security.refuse(
        user, "import_measurements", row=item.source_row.number, indicator=item.indicator.ref
    )
    return [RowError(item.source_row.place("indicator"), not_an_owner(item.indicator.ref))]


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
