"""The rows of an edition file, checked against the previous edition and the edition as imported.

Every row is checked before anything is written: as a milestone row (``roadmap.imports``), for its
link to the previous edition (``previous_ref``, a split, a ref another milestone holds) and, for a
row that carries a milestone over, for what an edition may not change (owner, initiative, kind,
status). A file for an edition already imported must repeat it exactly.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from roadmap import milestone_checks
from roadmap.importing import ImportRejected, RowError
from roadmap.models import Initiative, Milestone, MilestoneEdition, Organization, Plan
from roadmap.services.milestones import resolve_window, window_fields
from roadmap.tabular import TableError, read_table

PREVIOUS_REF = "previous_ref"
COLUMNS = (*milestone_checks.COLUMNS, PREVIOUS_REF)
OPTIONAL_COLUMNS = milestone_checks.OPTIONAL_COLUMNS | {PREVIOUS_REF}
# Fields of an entry that an import of the same edition must repeat exactly, by file column.
REPEATED = {
    "title_ja": "title_ja",
    "phrase": "phrase",
    "initiative_number": "initiative",
    "previous_ref": PREVIOUS_REF,
}
_CARRIED_FIXED = {
    "owner": _("an edition does not move a milestone to another owner; an administrator can."),
    "initiative": _(
        "an edition does not move a milestone to another initiative; an administrator can."
    ),
    "kind": _("a milestone's kind stays what it is; add a new milestone instead."),
}


@dataclass
class Context:
    """What checking the rows knows: the editions, and what it looked up once for all rows."""

    plan: Plan
    previous: Plan | None
    is_new: bool
    sessions: list
    previous_entries: dict = field(default_factory=dict)
    carriers: dict = field(default_factory=dict)
    taken: dict = field(default_factory=dict)


def checked_rows(file, context: Context, existing: Plan | None) -> list:
    """Return the file's rows, each checked, or raise ImportRejected naming every problem.

    ``existing`` is the edition as imported before (None: a new edition), which the file must
    repeat exactly.
    """
    try:
        table = read_table(file)
    except TableError as error:
        raise ImportRejected([RowError(None, str(error))]) from None
    rows, errors = [], milestone_checks.check_header(table, COLUMNS, OPTIONAL_COLUMNS)
    if not errors:
        rows, errors = milestone_checks.read_values(table, COLUMNS)
    errors = errors or check_rows(rows, context)
    if existing is not None and not errors:
        errors = differences(rows, existing)
    if errors:
        raise ImportRejected(errors)
    return rows


def check_rows(rows, context: Context) -> list[RowError]:
    """Return every problem of every row, looking rows up with a fixed number of queries."""
    errors = []
    initiatives = series_initiatives(context.previous)
    owners = Organization.objects.in_bulk([r.values["owner"] for r in rows], field_name="code")
    if context.previous is not None:
        entries = context.previous.entries.select_related(
            "milestone__owner", "milestone__initiative"
        )
        context.previous_entries = {entry.ref: entry for entry in entries}
    context.carriers = carriers(rows, context.previous_entries)
    context.taken = Milestone.objects.in_bulk([r.values["ref"] for r in rows], field_name="ref")
    first_line = {}
    for row in rows:
        row.initiative = initiatives.get(row.values["initiative"])
        row.owner = owners.get(row.values["owner"])
        # An edition's phrases name no events: the Diet sessions are the only dates it knows.
        known_dates = (context.sessions, ())
        row_errors = milestone_checks.check_row(row, context.plan, known_dates, first_line)
        row_errors += check_carriage(row, context)
        if not row_errors:
            row.entry = entry_of(row, context)
        errors += row_errors
    return errors


def series_initiatives(previous: Plan | None) -> dict[str, Initiative]:
    """Return the initiatives by number of the editions the new one follows, latest first."""
    plans, plan = [], previous
    all_plans = Plan.objects.in_bulk()
    while plan is not None and plan.pk not in plans:
        plans.append(plan.pk)
        plan = all_plans.get(plan.previous_id)
    found = {}
    for initiative in Initiative.objects.filter(plan__in=plans).order_by("-plan__decided_on"):
        found.setdefault(initiative.number, initiative)
    return found


def carriers(rows, previous_entries) -> dict:
    """Return, by previous ref, the row that carries that commitment over.

    Where several rows name one previous ref (a split), the row keeping the ref carries it,
    else the first; the others are added as new commitments.
    """
    chosen = {}
    for row in rows:
        key = row.values[PREVIOUS_REF] or row.values["ref"]
        if key not in previous_entries:
            continue
        if key not in chosen or (row.values["ref"] == key != chosen[key].values["ref"]):
            chosen[key] = row
    return chosen


def check_carriage(row, context: Context) -> list[RowError]:
    """Return the problems of the row's link to the previous edition and to existing refs."""
    values, errors = row.values, []

    def error(column, message):
        errors.append(RowError(row.place(column), message))

    ref, previous_ref = values["ref"], values[PREVIOUS_REF]
    if previous_ref:
        try:
            validate_slug(previous_ref)
        except ValidationError:
            error(PREVIOUS_REF, gettext("use only letters, digits, hyphens and underscores."))
        if context.previous is None:
            message = gettext("there is no previous edition for this reference to be in.")
            error(PREVIOUS_REF, message)
        elif previous_ref not in context.previous_entries:
            message = gettext("edition %(code)s has no milestone %(ref)s.") % {
                "code": context.previous.code,
                "ref": repr(previous_ref),
            }
            error(PREVIOUS_REF, message)
    key = previous_ref or ref
    carried = context.previous_entries[key] if context.carriers.get(key) is row else None
    row.existing = carried.milestone if carried else None
    holder = context.taken.get(ref)
    if context.is_new and holder is not None and holder != row.existing:
        message = gettext(
            "%(ref)s is the reference of another milestone, which this row does not carry "
            "over; choose a new reference."
        )
        error("ref", message % {"ref": repr(ref)})
    if row.existing is not None and context.is_new:
        errors += check_carried(row)
    return errors


def check_carried(row) -> list[RowError]:
    """Return the problems of a row that would change what an edition does not change."""
    milestone, values = row.existing, row.values
    stored = {
        "owner": milestone.owner.code,
        "initiative": milestone.initiative.number,
        "kind": milestone.kind,
    }
    errors = [
        RowError(
            row.place(column),
            gettext("milestone %(ref)s has %(column)s %(value)s; %(because)s")
            % {
                "ref": repr(milestone.ref),
                "column": column,
                "value": repr(value),
                "because": _CARRIED_FIXED[column],
            },
        )
        for column, value in stored.items()
        if values[column] != value
    ]
    if values["status"] and values["status"] != milestone.status:
        errors.append(
            RowError(
                row.place("status"),
                gettext(
                    "milestone %(ref)s is %(status)s; an edition does not change the status of "
                    "a milestone it carries over (leave the cell empty)."
                )
                % {"ref": repr(milestone.ref), "status": repr(milestone.status)},
            )
        )
    return errors


def entry_of(row, context: Context) -> MilestoneEdition:
    """Return the unsaved entry of a checked row: its wording and window in the new edition."""
    values = row.values
    window = resolve_window(
        values["phrase"],
        reference=context.plan.decided_on,
        diet_sessions=context.sessions,
        events=(),
    )
    fields = window_fields(window, values["kind"])
    stored = {name: fields[name] for name in MilestoneEdition.WINDOW_FIELDS}
    # An empty cell keeps a carried milestone's English title, and the previous edition's
    # verbatim wording: a file need not repeat them.
    kept = row.existing or Milestone()
    before = (
        context.previous_entries[values[PREVIOUS_REF] or values["ref"]] if row.existing else kept
    )
    return MilestoneEdition(
        plan=context.plan,
        milestone=row.existing,
        ref=values["ref"],
        previous_ref=values[PREVIOUS_REF],
        initiative_number=values["initiative"],
        title_ja=values["title_ja"],
        title_en=values["title_en"] or kept.title_en,
        source_text=values["source_text"] or before.source_text,
        **stored | {"phrase": values["phrase"]},
    )


def differences(rows, existing: Plan) -> list[RowError]:
    """Return how a file differs from the edition as it was imported (nothing: no problem)."""
    stored = {entry.ref: entry for entry in existing.entries.all()}
    errors = []
    for row in rows:
        entry = stored.pop(row.values["ref"], None)
        if entry is None:
            message = gettext("edition %(code)s was imported without it.")
            errors.append(RowError(row.place("ref"), message % {"code": existing.code}))
            continue
        errors += [
            RowError(
                row.place(column),
                gettext(
                    "edition %(code)s was imported with %(value)s; an imported edition does "
                    "not change."
                )
                % {"code": existing.code, "value": repr(getattr(entry, name))},
            )
            for name, column in REPEATED.items()
            if getattr(entry, name) != getattr(row.entry, name)
        ]
    errors += [
        RowError(
            None,
            gettext("edition %(code)s was imported with %(ref)s, which this file lacks.")
            % {"code": existing.code, "ref": repr(ref)},
        )
        for ref in stored
    ]
    return errors
