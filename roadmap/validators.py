"""Rules on stored values, kept by the models so that every way in refuses what a form would.

The admin, the settings page, the importers and the services all end in ``Model.save``; the
models below run their fields' validators there (``CleanOnSave``), and the database keeps the
rules it can express as constraints. The jobs still isolate a row that breaks a rule anyway (see
``roadmap.services.isolation``): a value written straight into the database bypasses all this.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_LEAD_TIMES = 5
LEAD_DAYS_RANGE = (1, 365)
REPEAT_DAYS_RANGE = (1, 90)

# C0 and C1 control characters and DEL, except tab, line feed and carriage return.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
ANY_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def validate_lead_days(value) -> None:
    """Refuse anything but a list of at most five distinct whole numbers of days, 1 to 365."""
    low, high = LEAD_DAYS_RANGE
    if not isinstance(value, list) or not all(
        isinstance(day, int) and not isinstance(day, bool) for day in value
    ):
        raise ValidationError(
            _("Lead times must be a list of whole numbers of days, such as [30, 7, 1]."),
            code="lead_days_type",
        )
    if any(not low <= day <= high for day in value):
        raise ValidationError(
            _("Each lead time must be from 1 to 365 days."), code="lead_days_range"
        )
    if len(value) > MAX_LEAD_TIMES:
        raise ValidationError(
            _("Enter at most %(count)d lead times."),
            code="lead_days_count",
            params={"count": MAX_LEAD_TIMES},
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("Each lead time may appear only once."), code="lead_days_twice")


def validate_no_control_characters(value) -> None:
    """Refuse text with control characters (escape sequences, NUL…); tabs and line breaks pass."""
    found = CONTROL_CHARACTERS.search(value or "")
    if found:
        raise ValidationError(
            _("Remove the control character %(character)s at position %(position)d."),
            code="control_character",
            params={"character": f"U+{ord(found.group()):04X}", "position": found.start() + 1},
        )


def escape_control_characters(text: str, *, keep: str = "") -> str:
    """Return ``text`` with every control character but those in ``keep`` written as \\xNN."""

    def escaped(match):
        character = match.group()
        return character if character in keep else f"\\x{ord(character):02x}"

    return ANY_CONTROL_CHARACTER.sub(escaped, text)


class CleanOnSave(models.Model):
    """Run the fields' validators on every save, whichever code path saves.

    Relations are left to the database's foreign keys (checking them here costs a query each);
    uniqueness and constraints are left to the database too.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        relations = [field.name for field in self._meta.concrete_fields if field.is_relation]
        self.clean_fields(exclude=relations)
        super().save(*args, **kwargs)
