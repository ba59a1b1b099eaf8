"""What changed between two editions of a plan: each commitment in exactly one class.

An edition's entries (``MilestoneEdition`` rows, or unsaved ones built from an import file)
are matched by the milestone they carry. A commitment of the earlier edition is unchanged,
reworded (other wording, same deadline), moved later or earlier, or dropped; a commitment of
the later edition that the earlier one did not carry is added.
"""

from dataclasses import dataclass
from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeClass(models.TextChoices):
    MOVED_LATER = "moved_later", _("Moved later")
    MOVED_EARLIER = "moved_earlier", _("Moved earlier")
    DROPPED = "dropped", _("Dropped")
    ADDED = "added", _("Added")
    REWORDED = "reworded", _("Reworded")
    UNCHANGED = "unchanged", _("Unchanged")


# The order in which changes are listed: what reviewers ask about first.
CLASS_ORDER = {value: position for position, value in enumerate(ChangeClass.values)}
WORDING_FIELDS = ("phrase", "title_ja", "source_text")


@dataclass(frozen=True)
class Change:
    """One commitment's change between two editions; ``old`` or ``new`` is None if absent."""

    change_class: str
    old: object
    new: object

    @property
    def entry(self):
        return self.new or self.old

    @property
    def ref(self):
        return self.entry.ref

    @property
    def milestone_id(self):
        return self.entry.milestone_id

    @property
    def initiative_number(self):
        return self.entry.initiative_number

    @property
    def renamed_from(self):
        """Return the earlier edition's ref where the commitment was renamed, else ''."""
        if self.old is not None and self.new is not None and self.old.ref != self.new.ref:
            return self.old.ref
        return ""

    @property
    def shift_days(self):
        """Return how many days the deadline moved, or None where either side has none."""
        old, new = (self.old and self.old.deadline), (self.new and self.new.deadline)
        return (new - old).days if old and new else None


def classify(old_entries, new_entries) -> list[Change]:
    """Return the change of every commitment of either edition, in reading order."""
    old_by_milestone = {entry.milestone_id: entry for entry in old_entries}
    carried = {entry.milestone_id for entry in new_entries}
    changes = [
        Change(
            change_class(old_by_milestone.get(entry.milestone_id), entry),
            old_by_milestone.get(entry.milestone_id),
            entry,
        )
        for entry in new_entries
    ]
    changes += [
        Change(ChangeClass.DROPPED, entry, None)
        for entry in old_entries
        if entry.milestone_id not in carried
    ]
    return sorted(changes, key=reading_order)


def changes_between(plan, since) -> list[Change]:
    """Return the changes from edition ``since`` (None: none before it) to edition ``plan``."""
    old = list(since.entries.all()) if since is not None else []
    return classify(old, list(plan.entries.all()))


def change_class(old, new) -> str:
    """Return the class of the change from entry ``old`` (None: not carried) to ``new``."""
    if old is None or new.milestone_id is None:
        return ChangeClass.ADDED
    if old.deadline != new.deadline:
        return (
            ChangeClass.MOVED_LATER
            if is_later(new.deadline, old.deadline)
            else ChangeClass.MOVED_EARLIER
        )
    if any(getattr(old, name) != getattr(new, name) for name in WORDING_FIELDS):
        return ChangeClass.REWORDED
    return ChangeClass.UNCHANGED


def is_later(new: date | None, old: date | None) -> bool:
    """Say whether ``new`` is later than ``old``; an open deadline is later than any date."""
    if new is None:
        return True
    return old is not None and new > old


def initiative_key(number: str) -> tuple:
    """Return a sort key that puts initiative 5.10 after 5.9."""
    return tuple(int(part) if part.isdigit() else 0 for part in number.split("."))


def reading_order(change: Change) -> tuple:
    return (CLASS_ORDER[change.change_class], initiative_key(change.initiative_number), change.ref)


def counts(changes: list[Change]) -> dict[str, int]:
    """Return how many changes fall in each class, every class named."""
    totals = dict.fromkeys(ChangeClass.values, 0)
    for change in changes:
        totals[change.change_class] += 1
    return totals
