"""What every importer shares: a refused row, a rejected file, what an import did, and the
check of a file's header. Every reason is a sentence in the reader's language (gettext): the
language of the admin page, or of the command line's locale (management/arguments.py).

Each importer (milestones, measurements, editions, steps, designations) reads its file with
roadmap.tabular, checks every row and raises ``ImportRejected`` with every problem, each naming
its place in the file, before anything is written.
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext

from roadmap.tabular import Place


@dataclass(frozen=True)
class RowError:
    place: Place | None
    message: str

    def __str__(self):
        if self.place is None:
            return self.message
        return gettext("%(place)s: %(message)s") % {"place": self.place, "message": self.message}


class ImportRejected(Exception):
    """The file was not imported; ``errors`` says which rows were wrong and why."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


class ImportRefused(Exception):
    """The import cannot be done as asked, whatever the rows say; the message says why."""


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False


COMMITMENT_COLUMNS = ("ref", "title_ja", "title_en", "phrase", "kind", "source_text")


def commitment_of(row) -> dict:
    """Return the fields of the commitment a checked row describes, as the creating services
    take them: its initiative and owner (looked up in checking) and its texts."""
    return {
        "initiative": row.initiative,
        "owner": row.owner,
        **{name: row.values[name] for name in COMMITMENT_COLUMNS},
    }


def check_header(
    header: Sequence[str],
    place: Callable[[str], Place],
    columns: Sequence[str],
    *,
    optional: Collection[str] = (),
    aliases: Mapping[str, str] | None = None,
    accepted: Collection[str] = (),
    repeats: bool = True,
) -> list[RowError]:
    """Return the problems with a header: missing, unknown and (with ``repeats``) repeated
    columns. ``aliases`` maps another name to a column's; ``accepted`` are further names that
    are read but not imported (the columns of an export)."""
    aliases = aliases or {}
    named = [aliases.get(name, name) for name in header]
    errors = [
        RowError(place(name), gettext("this column is missing from the header."))
        for name in columns
        if name not in named and name not in optional
    ]
    if accepted:
        unknown = gettext("unknown column; expected %(columns)s or a column of the export.")
    else:
        unknown = gettext("unknown column; expected %(columns)s.")
    unknown %= {"columns": ", ".join(columns)}
    errors += [
        RowError(place(name or gettext("(empty)")), unknown)
        for name, column in zip(header, named, strict=True)
        if column not in columns and name not in accepted
    ]
    if repeats:
        errors += [
            RowError(place(name), gettext("this column appears twice."))
            for name in sorted(set(header))
            if named.count(aliases.get(name, name)) > 1
        ]
    return errors


def field_count(found: int, expected: int) -> str:
    """Return the problem of a CSV line with another number of fields than the header."""
    return gettext("has %(found)d fields but the header has %(expected)d.") % {
        "found": found,
        "expected": expected,
    }


def required() -> str:
    return gettext("a value is required.")


def too_long(limit: int, length: int) -> str:
    return gettext("at most %(limit)d characters, not %(length)d.") % {
        "limit": limit,
        "length": length,
    }


def not_an_owner(code: str) -> str:
    return gettext("you are not an owner of %(code)s.") % {"code": repr(code)}
