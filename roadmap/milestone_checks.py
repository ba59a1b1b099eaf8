"""Read and check a file of milestones for an import: every row, before anything is written.

The file is read by roadmap.tabular (first sheet, header on row 1). Columns: ref, initiative,
owner, title_ja, title_en, phrase, kind, status and, optionally, source_text and event (the code
of the event a phrase such as 「10年を経過する前から」 counts from). A yearly phrase
(「毎年度6月」) makes the row a recurring commitment with a milestone a year. Each problem names
its place in the file (``line 4, column phrase`` or ``sheet Milestones, cell K4 (phrase)``) and
the reason. A ref that exists already may change that milestone's titles, source wording and
status; its phrase, kind, owner and initiative must stay as they are, because a deadline changes
only through a revision with a reason. roadmap.imports applies what is checked here.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from roadmap import importing, security
from roadmap.baselines import with_baseline
from roadmap.cells import cell_text
from roadmap.exports import WORKBOOK_COLUMNS as EXPORTED_COLUMNS
from roadmap.exports import field_values
from roadmap.importing import RowError
from roadmap.models import (
    DietSession,
    EventDate,
    Initiative,
    Milestone,
    Organization,
    Plan,
    RecurringCommitment,
)
from roadmap.services.milestones import owned_organizations, resolve_window
from roadmap.services.recurring import is_recurrence
from roadmap.tabular import CellError, Place, Row, Table, TableError, read_table
from roadmap.validators import validate_no_control_characters

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
    "event",
)
OPTIONAL_COLUMNS = {"source_text", "event"}
REQUIRED_VALUES = ("ref", "initiative", "owner", "title_ja", "kind")
MAX_LENGTHS = {"ref": 80, "title_ja": 300, "title_en": 300, "phrase": 200}
TEXT_COLUMNS = ("title_ja", "title_en", "phrase", "source_text")
# The export names the owner's code owner_code; an import takes either name.
ALIASES = {"owner_code": "owner"}
PHRASE_COLUMNS = {"phrase"}
# Read once: an enumeration builds its list of values anew on each call.
CHOICES = (("kind", tuple(Milestone.Kind.values)), ("status", tuple(Milestone.Status.values)))
EMPTY = ("", None)
# Columns of the export that an import does not change. Those the tracker derives from the
# milestone must still hold what the tracker holds, so that an edit is refused rather than lost;
# the others change on their own (the overdue flag, RAG, names of other records) and are ignored.
CHECKED_COLUMNS = {
    "id": "text",
    "business_system": "text",
    "window_start": "date",
    "window_end": "date",
    "precision": "text",
    "soft": "text",
    "deadline": "date",
    "fiscal_year": "text",
    "window": "text",
}
IGNORED_COLUMNS = {
    # Read against the baseline the export chose (?baseline=): not the milestone's own.
    "baseline_deadline",
    "slip_days",
    "owner_name_ja",
    "owner_name_en",
    "completed_on",
    "overdue",
    "overdue_since",
    "rag",
    "url",
}
# Room for 「-2025」 after a recurring commitment's ref in each year's milestone.
MAX_SERIES_REF = RecurringCommitment._meta.get_field("ref").max_length
_REVISE = _(
    "a deadline changes only through a revision with a reason (Revise deadline in the admin)."
)
_MOVE = _("an import does not move a milestone; an administrator can.")
FIXED_BECAUSE = {"phrase": _REVISE, "kind": _REVISE, "owner": _MOVE, "initiative": _MOVE}


@dataclass
class CheckedRow:
    source: Row
    names: dict[str, str]
    values: dict[str, str]
    initiative: Initiative | None = None
    owner: Organization | None = None
    existing: Milestone | None = None
    anchor: EventDate | None = None
    existing_series: RecurringCommitment | None = None
    # A phrase such as 「毎年度6月」 makes the row a recurring commitment, one milestone a year.
    recurring: bool = False

    @property
    def line(self) -> int:
        return self.source.number

    def place(self, column: str | None = None) -> Place:
        """Return where ``column`` of this row is, under the name the file gives it."""
        return self.source.place(self.names.get(column, column))


@dataclass
class Checked:
    """The rows of a file checked for an import, and every problem found."""

    rows: list[CheckedRow]
    errors: list[RowError]


def check_milestones(file, *, plan_code: str, user=None, lock: bool = False) -> Checked:
    """Read and check every row of ``file``; with ``lock``, lock the milestones it names."""
    plan = Plan.objects.filter(code=plan_code).first()
    if plan is None:
        message = gettext("There is no plan %(plan)s.") % {"plan": repr(plan_code)}
        return Checked([], [RowError(None, message)])
    try:
        table = read_table(file)
    except TableError as error:
        return Checked([], [RowError(None, str(error))])
    errors = check_header(table)
    if errors:
        return Checked([], errors)
    rows, errors = read_values(table)
    if errors:
        return Checked(rows, errors)
    return Checked(rows, _check_rows(rows, plan, user, lock=lock))


def check_header(table: Table, columns=COLUMNS, optional=OPTIONAL_COLUMNS) -> list[RowError]:
    """Return the problems with the header: missing, unknown or repeated columns."""
    # A workbook of the milestone export comes back with the export's other columns too.
    exported = CHECKED_COLUMNS.keys() | IGNORED_COLUMNS if columns is COLUMNS else ()
    return importing.check_header(
        table.header, table.place, columns, optional=optional, aliases=ALIASES, accepted=exported
    )


def _names(table: Table) -> dict[str, str]:
    """Return the name the file gives each column it has, by the importer's name for it."""
    return {ALIASES.get(name, name): name for name in table.header}


def read_values(table: Table, columns=COLUMNS) -> tuple[list[CheckedRow], list[RowError]]:
    """Return each row's values by column, read as each column needs them."""
    rows, errors, names = [], [], _names(table)
    for source in table.rows:
        if table.format == "csv" and len(source.cells) != len(table.header):
            message = importing.field_count(len(source.cells), len(table.header))
            errors.append(RowError(source.place(), message))
            continue
        values = {}
        for column in columns:
            name = names.get(column)
            try:
                read = source.phrase if column in PHRASE_COLUMNS else source.text
                values[column] = read(name) if name else ""
            except CellError as error:
                errors.append(RowError(error.place, error.message))
        rows.append(CheckedRow(source, names, values))
    return rows, errors


def _check_rows(rows: list[CheckedRow], plan: Plan, user, *, lock: bool) -> list[RowError]:
    """Return every problem of every row, looking rows up with a fixed number of queries."""
    errors = []
    initiatives = {i.number: i for i in plan.initiatives.all()}
    owners = Organization.objects.in_bulk([r.values["owner"] for r in rows], field_name="code")
    milestones = with_baseline(Milestone.objects.select_related("owner", "initiative"), None)
    if lock:
        milestones = milestones.select_for_update(of=("self",))
    existing = milestones.in_bulk([r.values["ref"] for r in rows], field_name="ref")
    series = RecurringCommitment.objects.in_bulk([r.values["ref"] for r in rows], field_name="ref")
    sessions = DietSession.objects.for_resolver()
    events = EventDate.objects.all()
    by_code = {event.code: event for event in events}
    resolver_events = [event.as_resolver_event() for event in events]
    first_line = {}
    for row in rows:
        row.initiative = initiatives.get(row.values["initiative"])
        row.owner = owners.get(row.values["owner"])
        row.existing = existing.get(row.values["ref"])
        row.anchor = by_code.get(row.values["event"])
        row.existing_series = series.get(row.values["ref"])
        if row.values["event"] and row.anchor is None:
            message = gettext("no event has the code %(code)s; known: %(known)s.") % {
                "code": repr(row.values["event"]),
                "known": ", ".join(by_code) or gettext("none"),
            }
            errors.append(RowError(row.place("event"), message))
            continue
        errors += check_row(row, plan, (sessions, resolver_events), first_line)
    return errors + _check_ownership(rows, user)


def check_row(row: CheckedRow, plan: Plan, known_dates, first_line: dict) -> list[RowError]:
    """Return the problems of one row; ``known_dates`` are the Diet sessions and events."""
    values, errors = row.values, []
    sessions, events = known_dates

    def error(column, message):
        errors.append(RowError(row.place(column), message))

    for column in REQUIRED_VALUES:
        if not values[column]:
            error(column, importing.required())
    for column, limit in MAX_LENGTHS.items():
        if len(values[column]) > limit:
            error(column, importing.too_long(limit, len(values[column])))
    for column in TEXT_COLUMNS:
        try:
            validate_no_control_characters(values[column])
        except ValidationError as problem:
            error(column, " ".join(problem.messages))
    if values["ref"]:
        try:
            validate_slug(values["ref"])
        except ValidationError:
            error("ref", gettext("use only letters, digits, hyphens and underscores."))
        if values["ref"] in first_line:
            message = gettext("%(ref)s already appears on %(first)s.")
            error(
                "ref", message % {"ref": repr(values["ref"]), "first": first_line[values["ref"]]}
            )
        first_line.setdefault(values["ref"], row.source.place().line())
    if values["initiative"] and row.initiative is None:
        message = gettext("the plan %(plan)s has no initiative %(initiative)s.")
        error(
            "initiative", message % {"plan": plan.code, "initiative": repr(values["initiative"])}
        )
    if values["owner"] and row.owner is None:
        message = gettext("no organization has the code %(code)s.")
        error("owner", message % {"code": repr(values["owner"])})
    for column, choices in CHOICES:
        if values[column] and values[column] not in choices:
            message = gettext("%(value)s is not one of %(choices)s.")
            error(column, message % {"value": repr(values[column]), "choices": ", ".join(choices)})
    row.recurring = is_recurrence(values["phrase"])
    if row.existing is None and not row.recurring:
        # An existing milestone's phrase is checked against the stored one instead.
        try:
            resolve_window(
                values["phrase"],
                reference=plan.decided_on,
                diet_sessions=sessions,
                events=events,
                anchor=row.anchor,
            )
        except ValidationError as problem:
            error("phrase", " ".join(problem.messages))
    if row.recurring and len(values["ref"]) > MAX_SERIES_REF:
        message = gettext("a yearly commitment's ref has at most %(limit)d characters.")
        error("ref", message % {"limit": MAX_SERIES_REF})
    if row.existing is not None:
        errors += _check_existing(row)
    return errors


def _check_existing(row: CheckedRow) -> list[RowError]:
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
            row.place(column),
            gettext("milestone %(ref)s exists with %(column)s %(stored)s; %(because)s")
            % {
                "ref": repr(existing.ref),
                "column": column,
                "stored": repr(stored),
                "because": FIXED_BECAUSE[column],
            },
        )
        for column, stored in fixed.items()
        if values[column] != stored
    ]
    if existing.initiative.plan_id != (row.initiative.plan_id if row.initiative else None):
        errors.append(
            RowError(
                row.place("ref"),
                gettext("milestone %(ref)s belongs to another plan.")
                % {"ref": repr(existing.ref)},
            )
        )
    return errors + _check_derived(row)


def _check_derived(row: CheckedRow) -> list[RowError]:
    """Return a problem for each exported column the tracker derives that the row changes."""
    errors, values = [], field_values(row.existing)
    for column in EXPORTED_COLUMNS:
        kind = CHECKED_COLUMNS.get(column.name)
        if kind is None or column.name not in row.source.table.header:
            continue
        stored = column.value(values)
        if not _same(row.source, column.name, kind, stored):
            message = gettext(
                "milestone %(ref)s has %(column)s %(stored)s; the tracker works it out from the "
                "phrase and the kind; it is not imported (a deadline changes only through a "
                "revision with a reason)."
            ) % {
                "ref": repr(row.existing.ref),
                "column": column.name,
                "stored": cell_text(stored) or gettext("nothing"),
            }
            errors.append(RowError(row.place(column.name), message))
    return errors


def _same(source: Row, name: str, kind: str, stored) -> bool:
    """Say whether the cell under ``name`` holds ``stored``, read as a ``kind`` cell."""
    cell = source.value(name)
    # A workbook's cells come back with the types they were exported with (numbers as floats).
    if (cell == stored and type(cell) in (type(stored), float)) or (
        cell in EMPTY and stored in EMPTY
    ):
        return True
    if kind == "date":
        try:
            return source.date(name) == stored
        except CellError:
            return False
    return source.text(name).casefold() == cell_text(stored).casefold()


def _check_ownership(rows: list[CheckedRow], user) -> list[RowError]:
    """Return a problem for each row that would write to an organization ``user`` does not own."""
    if user is None or user.is_superuser:
        return []
    # A row that changes nothing writes nothing: an owner may send back a whole export.
    rows = [row for row in rows if row.existing is None or row_changes(row)]
    owned = owned_organizations(user)
    refused = [row for row in rows if row.owner is not None and row.owner.pk not in owned]
    if refused:
        security.refuse(
            user,
            "import_milestones",
            lines=[row.line for row in refused],
            owners=sorted({row.owner.code for row in refused}),
        )
    return [
        RowError(row.place("owner"), importing.not_an_owner(row.owner.code)) for row in refused
    ]


def row_changes(row: CheckedRow) -> dict[str, str]:
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
