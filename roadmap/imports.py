"""Import milestones from a CSV file: every row is checked before anything is written.

Columns (header on line 1, UTF-8 with or without BOM): ref, initiative, owner, title_ja,
title_en, phrase, kind, status and, optionally, source_text. A file with one bad row is
rejected whole; each error names its line in the file, the column and the reason. A ref that
exists already updates that milestone's titles, source wording and status; its phrase, kind,
owner and initiative must stay as they are, because a deadline changes only through a revision
with a reason.
"""

import csv
import io
import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction

from roadmap.models import (
    DietSession,
    Initiative,
    Membership,
    Milestone,
    Organization,
    Plan,
)
from roadmap.services.milestones import (
    create_milestone,
    edit_texts,
    resolve_window,
    set_status,
)
from roadmap.validators import validate_no_control_characters

security_log = logging.getLogger("roadmap.security")

COLUMNS = (
    "ref",
    "initiative",
    "owner",
    "title_ja",
    "title_en",
    "phrase",
    "kind",
    "status",
    "source_text",
)
OPTIONAL_COLUMNS = {"source_text"}
REQUIRED_VALUES = ("ref", "initiative", "owner", "title_ja", "kind")
MAX_LENGTHS = {"ref": 80, "title_ja": 300, "title_en": 300, "phrase": 200}
TEXT_COLUMNS = ("title_ja", "title_en", "phrase", "source_text")
HEADER_LINE = 1
_REVISE = (
    "a deadline changes only through a revision with a reason (Revise deadline in the admin)."
)
_MOVE = "an import does not move a milestone; an administrator can."
FIXED_BECAUSE = {"phrase": _REVISE, "kind": _REVISE, "owner": _MOVE, "initiative": _MOVE}


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    message: str

    def __str__(self):
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class ImportRejected(Exception):
    """The file was not imported; ``errors`` says which rows were wrong and why."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False


@dataclass
class _Row:
    line: int
    values: dict[str, str]
    initiative: Initiative | None = None
    owner: Organization | None = None
    existing: Milestone | None = None


def import_milestones(
    file, *, plan_code: str = "priority-plan-2024", user=None, dry_run: bool = False
) -> ImportResult:
    """Check every row of a CSV file, then create or update its milestones in one go."""
    plan = Plan.objects.filter(code=plan_code).first()
    if plan is None:
        raise ImportRejected([RowError(HEADER_LINE, None, f"there is no plan {plan_code!r}.")])
    header, rows = _read(file)
    errors = _check_header(header) or _check_rows(rows, header, plan, user)
    if errors:
        raise ImportRejected(errors)
    return _plan_changes(rows) if dry_run else _apply(rows, user)


def _read(file) -> tuple[list[str], list[_Row]]:
    """Return the header and the non-blank records of the file, each with its line number."""
    data = file.read()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise ImportRejected([RowError(line, None, "the file is not UTF-8 text.")]) from None
    reader = csv.reader(io.StringIO(data.removeprefix("\ufeff"), newline=""))
    header, rows = None, []
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise ImportRejected([RowError(line, None, f"not valid CSV ({error}).")]) from None
        if header is None:
            header = [name.strip() for name in record]
        elif any(value.strip() for value in record):
            rows.append(_Row(line, dict(enumerate(record))))
    if header is None:
        raise ImportRejected([RowError(HEADER_LINE, None, "the file is empty.")])
    return header, rows


def _check_header(header: list[str]) -> list[RowError]:
    """Return the problems with the header line: missing, unknown or repeated columns."""
    errors = [
        RowError(HEADER_LINE, name, "this column is missing from the header.")
        for name in COLUMNS
        if name not in header and name not in OPTIONAL_COLUMNS
    ]
    errors += [
        RowError(HEADER_LINE, name or "(empty)", f"unknown column; expected {', '.join(COLUMNS)}.")
        for name in header
        if name not in COLUMNS
    ]
    errors += [
        RowError(HEADER_LINE, name, "this column appears twice.")
        for name in sorted(set(header))
        if header.count(name) > 1
    ]
    return errors


def _check_rows(rows: list[_Row], header: list[str], plan: Plan, user) -> list[RowError]:
    """Return every problem of every row, looking rows up with a fixed number of queries."""
    errors = []
    for row in rows:
        errors += _named_values(row, header)
    if errors:
        return errors
    initiatives = {i.number: i for i in plan.initiatives.all()}
    owners = Organization.objects.in_bulk([r.values["owner"] for r in rows], field_name="code")
    existing = Milestone.objects.select_related("owner", "initiative").in_bulk(
        [r.values["ref"] for r in rows], field_name="ref"
    )
    sessions = DietSession.objects.for_resolver()
    first_line = {}
    for row in rows:
        row.initiative = initiatives.get(row.values["initiative"])
        row.owner = owners.get(row.values["owner"])
        row.existing = existing.get(row.values["ref"])
        errors += _check_row(row, plan, sessions, first_line)
    return errors + _check_ownership(rows, user)


def _named_values(row: _Row, header: list[str]) -> list[RowError]:
    """Turn the row's fields into values by column name; return a problem if they don't fit."""
    if len(row.values) != len(header):
        count = len(row.values)
        return [RowError(row.line, None, f"has {count} fields but the header has {len(header)}.")]
    row.values = {name: row.values[i].strip() for i, name in enumerate(header)}
    row.values.setdefault("source_text", "")
    return []


def _check_row(row: _Row, plan: Plan, sessions, first_line: dict) -> list[RowError]:
    """Return the problems of one row."""
    values, errors = row.values, []

    def error(column, message):
        errors.append(RowError(row.line, column, message))

    for column in REQUIRED_VALUES:
        if not values[column]:
            error(column, "a value is required.")
    for column, limit in MAX_LENGTHS.items():
        if len(values[column]) > limit:
            error(column, f"at most {limit} characters, not {len(values[column])}.")
    for column in TEXT_COLUMNS:
        try:
            validate_no_control_characters(values[column])
        except ValidationError as problem:
            error(column, " ".join(problem.messages))
    if values["ref"]:
        try:
            validate_slug(values["ref"])
        except ValidationError:
            error("ref", "use only letters, digits, hyphens and underscores.")
        if values["ref"] in first_line:
            error("ref", f"{values['ref']!r} already appears on line {first_line[values['ref']]}.")
        first_line.setdefault(values["ref"], row.line)
    if values["initiative"] and row.initiative is None:
        error("initiative", f"the plan {plan.code} has no initiative {values['initiative']!r}.")
    if values["owner"] and row.owner is None:
        error("owner", f"no organization has the code {values['owner']!r}.")
    if values["kind"] and values["kind"] not in Milestone.Kind.values:
        error("kind", f"{values['kind']!r} is not one of {', '.join(Milestone.Kind.values)}.")
    if values["status"] and values["status"] not in Milestone.Status.values:
        error(
            "status", f"{values['status']!r} is not one of {', '.join(Milestone.Status.values)}."
        )
    try:
        resolve_window(values["phrase"], reference=plan.decided_on, diet_sessions=sessions)
    except ValidationError as problem:
        error("phrase", " ".join(problem.messages))
    if row.existing is not None:
        errors += _check_existing(row)
    return errors


def _check_existing(row: _Row) -> list[RowError]:
    """Return the problems of a row that would change what only a revision may change."""
    existing, values = row.existing, row.values
    fixed = {
        "phrase": existing.phrase,
        "kind": existing.kind,
        "owner": existing.owner.code,
        "initiative": existing.initiative.number,
    }
    errors = [
        RowError(
            row.line,
            column,
            f"milestone {existing.ref!r} exists with {column} {stored!r}; "
            + FIXED_BECAUSE[column],
        )
        for column, stored in fixed.items()
        if values[column] != stored
    ]
    if existing.initiative.plan_id != (row.initiative.plan_id if row.initiative else None):
        errors.append(
            RowError(row.line, "ref", f"milestone {existing.ref!r} belongs to another plan.")
        )
    return errors


def _check_ownership(rows: list[_Row], user) -> list[RowError]:
    """Return a problem for each row whose organization ``user`` does not own."""
    if user is None or user.is_superuser:
        return []
    owned = set(
        Membership.objects.filter(user=user, role=Membership.Role.OWNER).values_list(
            "organization_id", flat=True
        )
    )
    refused = [row for row in rows if row.owner is not None and row.owner.pk not in owned]
    if refused:
        security_log.warning(
            "import refused: user=%s action=import_milestones lines=%s owners=%s",
            user.get_username(),
            [row.line for row in refused],
            sorted({row.owner.code for row in refused}),
        )
    return [
        RowError(row.line, "owner", f"you are not an owner of {row.owner.code!r}.")
        for row in refused
    ]


def _changes(row: _Row) -> dict[str, str]:
    """Return the fields of an existing milestone that the row changes."""
    values, existing = row.values, row.existing
    wanted = {
        "title_ja": values["title_ja"],
        "title_en": values["title_en"],
        "status": values["status"] or existing.status,
    }
    if values["source_text"]:
        # An empty cell leaves the verbatim wording alone rather than erasing it.
        wanted["source_text"] = values["source_text"]
    return {name: value for name, value in wanted.items() if getattr(existing, name) != value}


def _plan_changes(rows: list[_Row]) -> ImportResult:
    """Return what an import of the checked rows would do, writing nothing."""
    result = ImportResult(dry_run=True)
    for row in rows:
        ref = row.values["ref"]
        if row.existing is None:
            result.created.append(ref)
        elif _changes(row):
            result.updated.append(ref)
        else:
            result.unchanged.append(ref)
    return result


@transaction.atomic
def _apply(rows: list[_Row], user) -> ImportResult:
    """Create or update the milestones of the checked rows."""
    result = ImportResult()
    for row in rows:
        if row.existing is None:
            _create(row, user)
            result.created.append(row.values["ref"])
        elif changes := _changes(row):
            _update(row, changes, user)
            result.updated.append(row.values["ref"])
        else:
            result.unchanged.append(row.values["ref"])
    return result


def _create(row: _Row, user) -> Milestone:
    values = row.values
    return create_milestone(
        initiative=row.initiative,
        owner=row.owner,
        ref=values["ref"],
        title_ja=values["title_ja"],
        title_en=values["title_en"],
        phrase=values["phrase"],
        kind=values["kind"],
        source_text=values["source_text"],
        status=values["status"] or Milestone.Status.PLANNED,
        user=user,
    )


def _update(row: _Row, changes: dict[str, str], user) -> None:
    milestone = row.existing
    if changes.keys() - {"status"}:
        milestone = edit_texts(
            milestone=milestone,
            user=user,
            title_ja=changes.get("title_ja", milestone.title_ja),
            title_en=changes.get("title_en", milestone.title_en),
            source_text=changes.get("source_text", milestone.source_text),
        )
    if "status" in changes:
        set_status(milestone=milestone, status=changes["status"], user=user)
