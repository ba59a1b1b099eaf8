"""Milestones: what a plan commits to, by when, and how far it has got."""

import functools
from collections import Counter
from datetime import date

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, models, transaction
from django.db.models import Case, DateField, F, Q, When
from django.db.models.functions import Coalesce
from django.db.models.sql.subqueries import UpdateQuery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from roadmap import periods
from roadmap.models.counts import KeptCountQuerySet
from roadmap.models.organizations import BelongingQuerySet, Organization
from roadmap.models.plans import EventDate, Initiative, Titled
from roadmap.validators import (
    CleanOnSave,
    validate_no_control_characters,
)

TEXT = [validate_no_control_characters]
# The day a milestone belongs to on the timeline: its deadline, or a dated event's start (an
# event has a date but no deadline), else none. Lists are ordered by it (``Milestone.timeline_day``
# is the same rule for one loaded row), and an index on it serves their first page.
TIMELINE_DAY = Coalesce(
    F("deadline"),
    Case(
        When(kind="event", then=Coalesce(F("window_start"), F("window_end"))),
        output_field=DateField(),
    ),
    output_field=DateField(),
)
TIMELINE_ORDER = (TIMELINE_DAY.asc(nulls_last=True), "ref")


class MilestoneQuerySet(KeptCountQuerySet, BelongingQuerySet):
    """Milestones: seen by the members of their owner, changed by its owners."""

    parent_field = "owner"

    def open(self):
        """Return milestones that are neither done nor cancelled."""
        return self.exclude(status__in=Milestone.CLOSED_STATUSES)

    def overdue(self, *, as_of):
        """Return milestones whose deadline has passed by ``as_of`` (a Tokyo date)."""
        return self.filter(Milestone.overdue_condition(as_of))

    def due_in_fiscal_year(self, fy: int):
        """Return milestones whose deadline falls in fiscal year ``fy``."""
        first, last = periods.fiscal_year_bounds(fy)
        return self.filter(deadline__gte=first, deadline__lte=last)

    def flagged_overdue(self, flagged: bool = True):
        """Return milestones the scheduler has flagged overdue (or, with False, not flagged)."""
        return self.filter(Milestone.FLAGGED) if flagged else self.exclude(Milestone.FLAGGED)

    def update_recorded(self, *, reason, user=None, stamp=None, **fields) -> int:
        """Update the rows set-based, bump their version and copy them into their history.

        ``reason`` (a string, None or an expression over the row) becomes the history's change
        reason; ``stamp`` (default now) their ``updated_at`` and the history's date. Return the
        number of rows changed.
        """
        changed = self.update_recorded_by_reason(reason=reason, user=user, stamp=stamp, **fields)
        return sum(changed.values())

    def update_recorded_by_reason(self, *, reason, user=None, stamp=None, **fields) -> dict:
        """Do what ``update_recorded`` does; return how many rows changed under each reason.

        On PostgreSQL the update and the copy are one statement: the updated rows go straight
        from the UPDATE's RETURNING into the history, with no second look at the table (and no
        index on ``updated_at`` to keep for it, so a change of unindexed columns, such as the
        scheduler's overdue flag, is a heap-only update). Elsewhere the rows the update stamped
        are found by their stamp.
        """
        stamp = stamp or timezone.now()
        fields = {**fields, "version": F("version") + 1, "updated_at": stamp}
        copy = history_copy(stamp=stamp, reason=reason, user=user)
        if connection.vendor == "postgresql":
            return self._update_and_copy(fields, copy)
        if not self.update(**fields):
            return {}
        sql, params = copy
        stamped = connection.ops.adapt_datetimefield_value(stamp)
        with connection.cursor() as cursor:
            cursor.execute(
                f"{sql} WHERE updated_at = %s RETURNING history_change_reason", [*params, stamped]
            )
            return dict(Counter(reason for (reason,) in cursor.fetchall()))

    def _update_and_copy(self, fields: dict, copy: tuple[str, list]) -> dict:
        """Update the rows and copy them into their history with one statement; count by reason.

        The UPDATE's returned rows take the table's name as a WITH query, so the history's
        SELECT, written for the table, reads them (a WITH query is not visible in its own
        definition: the UPDATE still names the table).
        """
        if self.query.is_sliced:
            raise TypeError("Cannot update a query once a slice has been taken.")
        update = self.query.chain(UpdateQuery)
        update.add_update_values(fields)
        update.annotations = {}
        try:
            update_sql, update_params = update.get_compiler(self.db).as_sql()
        except EmptyResultSet:
            return {}
        insert_sql, insert_params = copy
        table = connection.ops.quote_name(self.model._meta.db_table)
        # As QuerySet.update does: a refused statement leaves an enclosing atomic block to roll
        # back, even if the caller catches the error inside it.
        with transaction.mark_for_rollback_on_error(self.db), connection.cursor() as cursor:
            cursor.execute(
                f"WITH {table} AS ({update_sql} RETURNING {table}.*),"  # noqa: S608
                f" copied AS ({insert_sql} RETURNING history_change_reason)"
                " SELECT history_change_reason, COUNT(*) FROM copied GROUP BY 1",
                (*update_params, *insert_params),
            )
            return dict(cursor.fetchall())


def history_copy(*, stamp, reason, user) -> tuple[str, list]:
    """Return the INSERT … SELECT copying every milestone into the history, and its parameters.

    Each copy is dated ``stamp``, changed by ``user``, for ``reason`` (a string, None or an
    expression over the row). The caller narrows the rows by adding a WHERE clause (or by
    giving the table's name to the rows it means, as a WITH query).
    """
    ops = connection.ops
    if hasattr(reason, "resolve_expression"):
        query = Milestone.objects.all().query
        compiler = query.get_compiler(connection=connection)
        reason_sql, reason_params = compiler.compile(reason.resolve_expression(query))
    else:
        reason_sql, reason_params = "%s", [reason]
    fixed = {
        "history_date": ("%s", [ops.adapt_datetimefield_value(stamp)]),
        "history_change_reason": (reason_sql, reason_params),
        "history_type": ("'~'", []),
        "history_user_id": ("%s", [user.pk if user else None]),
    }
    table = ops.quote_name(Milestone._meta.db_table)
    history, columns = history_table()
    values, params = [], []
    for column in columns:
        sql, column_params = fixed.get(column, (f"{table}.{ops.quote_name(column)}", []))
        values.append(sql)
        params.extend(column_params)
    names = ", ".join(ops.quote_name(column) for column in columns)
    select = ", ".join(values)
    return f"INSERT INTO {ops.quote_name(history)} ({names}) SELECT {select} FROM {table}", params  # noqa: S608


@functools.cache
def history_table() -> tuple[str, tuple[str, ...]]:
    """Return the history's table and the columns a copy fills: all but its own key."""
    history = Milestone.history.model._meta
    return history.db_table, tuple(f.column for f in history.concrete_fields if not f.primary_key)


class Milestone(Titled, CleanOnSave):
    class Kind(models.TextChoices):
        DEADLINE = "deadline", _("Deadline (must be finished)")
        START = "start", _("Start (must have begun)")
        EVENT = "event", _("Event")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Precision(models.TextChoices):
        DAY = "day", _("Day")
        TEN_DAY = "ten_day", _("Ten days")
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        HALF = "half", _("Half year")
        SEASON = "season", _("Season")
        FISCAL_YEAR = "fiscal_year", _("Fiscal year")
        CALENDAR_YEAR = "calendar_year", _("Calendar year")
        DIET_SESSION = "diet_session", _("Diet session")
        OPEN = "open", _("Open")

    class Rag(models.TextChoices):
        GREEN = "green", _("Green: on track")
        AMBER = "amber", _("Amber: at risk")
        RED = "red", _("Red: off track")

    CLOSED_STATUSES = (Status.DONE, Status.CANCELLED)
    # Flagged overdue by the scheduler (or by a revision that applied its rule).
    FLAGGED = Q(overdue_since__isnull=False)
    # Nearest day on the timeline first (see TIMELINE_DAY), those without one last.
    TIMELINE_ORDER = TIMELINE_ORDER

    ref = models.SlugField(
        _("reference"),
        max_length=80,
        unique=True,
        help_text=_("Stable identifier used by imports, feeds and links."),
    )
    initiative = models.ForeignKey(
        Initiative,
        verbose_name=_("initiative"),
        on_delete=models.PROTECT,
        related_name="milestones",
    )
    owner = models.ForeignKey(
        Organization,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="milestones",
    )
    title_ja = models.CharField(_("title (Japanese)"), max_length=300, validators=TEXT)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True, validators=TEXT)
    source_text = models.TextField(_("source wording"), blank=True, validators=TEXT)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.DEADLINE)
    business_system = models.PositiveSmallIntegerField(
        _("standard business system"), null=True, blank=True
    )

    # The phrase as written and the window it resolves to (see roadmap.periods).
    phrase = models.CharField(_("deadline phrase"), max_length=200, blank=True, validators=TEXT)
    reference_date = models.DateField(_("reference date"))
    window_start = models.DateField(_("window start"), null=True, blank=True)
    window_end = models.DateField(_("window end"), null=True, blank=True)
    precision = models.CharField(_("precision"), max_length=16, choices=Precision.choices)
    soft = models.BooleanField(_("soft target"), default=False)
    rule = models.CharField(_("rule"), max_length=32)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    baseline_deadline = models.DateField(_("original deadline"), null=True, blank=True)

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)

    anchor = models.ForeignKey(
        EventDate,
        verbose_name=_("counted from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="milestones",
        help_text=_("The event a phrase such as 10年を経過する前 counts from."),
    )
    series = models.ForeignKey(
        "RecurringCommitment",
        verbose_name=_("recurring commitment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="occurrences",
    )
    occurrence_year = models.PositiveSmallIntegerField(
        _("year of the occurrence"), null=True, blank=True
    )

    rag = models.CharField(_("RAG"), max_length=5, choices=Rag.choices, blank=True)
    rag_assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("RAG assessed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rag_assessed_at = models.DateTimeField(_("RAG assessed at"), null=True, blank=True)

    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Incremented on every change.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Only the history's own keys, date, user and milestone are indexed: it is read by milestone,
    # and every recorded change (the scheduler's daily flags among them) writes its indexes.
    history = HistoricalRecords(
        excluded_fields=["updated_at"],
        no_db_index=["ref", "initiative", "owner", "anchor", "series", "rag_assessed_by"],
    )
    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "ref"]
        indexes = [
            models.Index(fields=["deadline", "status"], name="milestone_deadline_status"),
            # Serves the default ordering: the first page of 35,000 rows without a sort.
            models.Index(fields=["deadline", "ref"], name="milestone_deadline_ref"),
            # Serves the timeline's order (TIMELINE_ORDER) the same way.
            models.Index(TIMELINE_DAY, F("ref"), name="milestone_timeline_day_ref"),
            models.Index(fields=["owner", "status"], name="milestone_owner_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_start__isnull=True)
                | Q(window_end__isnull=True)
                | Q(window_start__lte=models.F("window_end")),
                name="milestone_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status="done") | Q(completed_on__isnull=True),
                name="milestone_completed_only_when_done",
            ),
            models.UniqueConstraint(
                fields=["series", "occurrence_year"], name="unique_occurrence_per_year"
            ),
        ]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self):
        return self.title_ja

    def get_absolute_url(self):
        return reverse("roadmap:milestone", args=[self.pk])

    @staticmethod
    def overdue_condition(as_of: date, *, status: str | None = None) -> Q:
        """Return the condition for being overdue on ``as_of``: the one rule, used everywhere.

        With ``status``, the condition for rows about to be given that status.
        """
        if status is not None:
            return Q(deadline__lt=as_of, kind__in=Milestone._late_kinds(status))
        not_finished = Q(kind=Milestone.Kind.DEADLINE) & ~Q(status__in=Milestone.CLOSED_STATUSES)
        not_started = Q(kind=Milestone.Kind.START, status=Milestone.Status.PLANNED)
        return Q(deadline__lt=as_of) & (not_finished | not_started)

    @staticmethod
    def _late_kinds(status: str) -> list[str]:
        """Return the kinds of milestone that a passed deadline makes late in ``status``."""
        kinds = [] if status in Milestone.CLOSED_STATUSES else [Milestone.Kind.DEADLINE]
        return kinds + ([Milestone.Kind.START] if status == Milestone.Status.PLANNED else [])

    def save_recorded(self, *, user=None, reason: str | None = None) -> None:
        """Save the row, bumping its version and naming who changed it, and why, in its history."""
        if self.pk is not None:
            self.version += 1
        self._history_user = user
        self._change_reason = reason
        self.save()

    @property
    def timeline_day(self):
        """Return the day the milestone belongs to on the timeline (see TIMELINE_DAY)."""
        if self.deadline is not None:
            return self.deadline
        if self.kind == self.Kind.EVENT:
            return self.window_start or self.window_end
        return None

    @property
    def is_overdue(self):
        return self.overdue_since is not None

    @property
    def is_closed(self):
        return self.status in self.CLOSED_STATUSES

    @property
    def window(self):
        """Return the resolved window as the resolver's value."""
        return periods.Window(
            phrase=self.phrase,
            start=self.window_start,
            end=self.window_end,
            precision=periods.Precision(self.precision),
            soft=self.soft,
            rule=self.rule,
        )

    @property
    def completed_late(self):
        return bool(self.completed_on and self.deadline and self.completed_on > self.deadline)
