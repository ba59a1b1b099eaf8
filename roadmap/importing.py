"""What every importer shares: a refused row, a rejected file, what an import did, and the
check of a file's header.

Each importer (milestones, measurements, editions, steps, designations) reads its file with
roadmap.tabular, checks every row and raises ``ImportRejected`` with every problem, each naming
its place in the file, before anything is written.
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from roadmap.tabular import Place


@dataclass(frozen=True)
class RowError:
    place: Place | None
    message: str

    def __str__(self):
        return f"{self.place}: {self.message}" if self.place else self.message


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
        RowError(place(name), "this column is missing from the header.")
        for name in columns
        if name not in named and name not in optional
    ]
    expected = ", ".join(columns) + (" or a column of the export" if accepted else "")
    errors += [
        RowError(place(name or "(empty)"), f"unknown column; expected {expected}.")
        for name, column in zip(header, named, strict=True)
        if column not in columns and name not in accepted
    ]
    if repeats:
        errors += [
            RowError(place(name), "this column appears twice.")
            for name in sorted(set(header))
            if named.count(aliases.get(name, name)) > 1
        ]
    return errors


def field_count(found: int, expected: int) -> str:
    """Return the problem of a CSV line with another number of fields than the header."""
    return f"has {found} fields but the header has {expected}."
