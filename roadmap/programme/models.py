"""What programme reporting keeps: step changes, counts, snapshots and designations."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from roadmap.models import DeadlineRevision, Milestone, Organization, StepState
from roadmap.models.records import decided_at_field, decided_by_field


class StepChange(models.Model):
    """One change of one step's state: the step's history, written by the step service."""

    # Looked up through the (milestone, number, changed_on) index below.
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="step_changes", db_index=False
    )
    number = models.PositiveSmallIntegerField(_("step"))
    old_state = models.CharField(_("old state"), max_length=14, choices=StepState.choices)
    new_state = models.CharField(_("new state"), max_length=14, choices=StepState.choices)
    changed_on = models.DateField(_("changed on"))
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["milestone", "number", "changed_at", "pk"]
        indexes = [
            models.Index(fields=["milestone", "number", "changed_on"], name="step_change_lookup")
        ]
        verbose_name = _("step change")
        verbose_name_plural = _("step changes")

    def __str__(self):
        return f"{self.milestone_id}#{self.number}: {self.old_state} → {self.new_state}"


class SystemProgress(models.Model):
    """How many of one body's system's 40 steps are in each state, kept current with the steps.

    One row per programme milestone (a body's standard business system), so that the rates are
    read from 35,000 rows rather than counted from 1.4 million steps on every request. A
    cancelled milestone's row is kept but marked, and left out of every rate: the published
    formula averages over the systems a body migrates. A database trigger (migration 0014)
    keeps the mark with the milestone's status, whoever changes it.
    """

    milestone = models.OneToOneField(
        Milestone, primary_key=True, on_delete=models.CASCADE, related_name="progress"
    )
    body = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    prefecture = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    system = models.PositiveSmallIntegerField(_("standard business system"))
    done = models.PositiveSmallIntegerField(default=0)
    in_progress = models.PositiveSmallIntegerField(default=0)
    not_started = models.PositiveSmallIntegerField(default=0)
    not_applicable = models.PositiveSmallIntegerField(default=0)
    cancelled = models.BooleanField(_("cancelled"), default=False)

    class Meta:
        indexes = [models.Index(fields=["body", "system"], name="system_progress_body")]
        verbose_name = _("system progress")
        verbose_name_plural = _("system progress")

    def __str__(self):
        return f"{self.body_id}/{self.system}"


class Tally(models.Model):
    """Summed counts of per-system rows: live, of the progress rows not cancelled.

    Triggers on ``SystemProgress`` (migration 0015; per statement on PostgreSQL, 0018) add each
    row's counts to its live tallies and take them away again, whoever writes the row: the step
    service, a recount, the status trigger that marks a cancelled milestone. A snapshot's
    tallies sum its rows once, when it is taken. ``roadmap.programme.progress.repair`` counts
    them all afresh if they ever drift.
    """

    prefecture = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    systems = models.IntegerField(default=0)
    complete = models.IntegerField(default=0)
    in_progress_steps = models.IntegerField(default=0)
    not_started_steps = models.IntegerField(default=0)

    class Meta:
        abstract = True


class SystemTally(Tally):
    """One prefecture's (with its municipalities) business system: the national figures' cells."""

    system = models.PositiveSmallIntegerField(_("standard business system"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefecture", "system"], name="unique_system_tally")
        ]
        verbose_name = _("system tally")
        verbose_name_plural = _("system tallies")

    def __str__(self):
        return f"{self.prefecture_id}/{self.system}"


class BodyTally(Tally):
    """One body's systems: a row of the body table."""

    body = models.OneToOneField(
        Organization, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("body tally")
        verbose_name_plural = _("body tallies")

    def __str__(self):
        return str(self.body_id)


class ProgressSnapshot(models.Model):
    """The programme's figures frozen as of a day (a month-end tally); never changed after.

    Its rows (``SnapshotRow``) are summed once, when it is taken, into the same shapes the live
    pages read: per prefecture's system (``SnapshotSystemTally``), per body
    (``SnapshotBodyTally``), per designation reason (``SnapshotDesignationTally``) and the
    national sums below, so a page shown as of a snapshot reads a few rows as a live one does.
    """

    as_of = models.DateField(_("as of"), unique=True)
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)
    # The national sums, kept with the snapshot so that the trend reads one row per month.
    systems = models.PositiveIntegerField(default=0)
    complete = models.PositiveBigIntegerField(default=0)
    in_progress_steps = models.PositiveBigIntegerField(default=0)
    not_started_steps = models.PositiveBigIntegerField(default=0)
    # How many bodies it counts, and how many of them (and of their systems) were designated.
    bodies = models.PositiveIntegerField(default=0)
    designated_bodies = models.PositiveIntegerField(default=0)
    designated_systems = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-as_of"]
        verbose_name = _("progress snapshot")
        verbose_name_plural = _("progress snapshots")

    def __str__(self):
        return str(self.as_of)


class SnapshotRow(models.Model):
    """One body's system in a snapshot: its step counts and designation as of that day."""

    snapshot = models.ForeignKey(ProgressSnapshot, on_delete=models.CASCADE, related_name="rows")
    body = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    prefecture = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    system = models.PositiveSmallIntegerField(_("standard business system"))
    done = models.PositiveSmallIntegerField(default=0)
    in_progress = models.PositiveSmallIntegerField(default=0)
    not_started = models.PositiveSmallIntegerField(default=0)
    not_applicable = models.PositiveSmallIntegerField(default=0)
    designation_reason = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "body", "system"], name="unique_snapshot_row"
            )
        ]
        verbose_name = _("snapshot row")
        verbose_name_plural = _("snapshot rows")

    def __str__(self):
        return f"{self.snapshot_id}: {self.body_id}/{self.system}"


class SnapshotSystemTally(Tally):
    """A snapshot's rows summed per prefecture's system: its national figures' cells."""

    # Looked up through the unique constraint's index, which leads with the snapshot.
    snapshot = models.ForeignKey(
        ProgressSnapshot, on_delete=models.CASCADE, related_name="system_tallies", db_index=False
    )
    system = models.PositiveSmallIntegerField(_("standard business system"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "prefecture", "system"], name="unique_snapshot_system_tally"
            )
        ]
        verbose_name = _("snapshot system tally")
        verbose_name_plural = _("snapshot system tallies")

    def __str__(self):
        return f"{self.snapshot_id}: {self.prefecture_id}/{self.system}"


class SnapshotBodyTally(Tally):
    """A snapshot's rows summed per body: a row of its body table."""

    # Looked up through the unique constraint's index, which leads with the snapshot.
    snapshot = models.ForeignKey(
        ProgressSnapshot, on_delete=models.CASCADE, related_name="body_tallies", db_index=False
    )
    body = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "body"], name="unique_snapshot_body_tally")
        ]
        verbose_name = _("snapshot body tally")
        verbose_name_plural = _("snapshot body tallies")

    def __str__(self):
        return f"{self.snapshot_id}: {self.body_id}"


class SnapshotDesignationTally(models.Model):
    """A snapshot's systems designated for one reason, and the bodies they belong to."""

    # Looked up through the unique constraint's index, which leads with the snapshot.
    snapshot = models.ForeignKey(
        ProgressSnapshot,
        on_delete=models.CASCADE,
        related_name="designation_tallies",
        db_index=False,
    )
    reason = models.PositiveSmallIntegerField(_("reason"))
    systems = models.IntegerField(default=0)
    bodies = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "reason"], name="unique_snapshot_designation_tally"
            )
        ]
        verbose_name = _("snapshot designation tally")
        verbose_name_plural = _("snapshot designation tallies")

    def __str__(self):
        return f"{self.snapshot_id}: {self.reason}"


class Designation(models.Model):
    """A body's system designated for special support (特定移行支援システム), with a deadline."""

    class Reason(models.IntegerChoices):
        MAINFRAME = 1, _("Mainframe")
        CUSTOM_BUILT = 2, _("Custom-built")
        NO_PRODUCT = 3, _("No compliant product on the market")
        VENDOR_CAPACITY = 4, _("Vendor capacity")

    milestone = models.OneToOneField(
        Milestone, on_delete=models.CASCADE, related_name="designation"
    )
    # The milestone's owner, kept here so that designated bodies are counted without a join.
    body = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    reason = models.PositiveSmallIntegerField(_("reason"), choices=Reason.choices)
    phrase = models.CharField(_("new deadline"), max_length=200)
    basis = models.TextField(_("basis"))
    revision = models.ForeignKey(
        DeadlineRevision, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_by = decided_by_field()
    decided_at = decided_at_field()

    class Meta:
        ordering = ["milestone"]
        constraints = [
            models.CheckConstraint(condition=~Q(basis=""), name="designation_basis_required")
        ]
        verbose_name = _("special-support designation")
        verbose_name_plural = _("special-support designations")

    def __str__(self):
        return f"{self.milestone}: {self.get_reason_display()}"


class DesignationTally(models.Model):
    """The designated systems for one reason, and how many bodies they belong to: kept live.

    Triggers on ``Designation`` (migration 0030) add each designation to its reason's row and to
    the row of ``ANY_REASON``, and take it away again, whoever writes it: the designation
    service, a cascade from a deleted milestone or body. A body is counted once per row however
    many of its systems are designated, so the page reads five rows instead of counting the
    designations distinctly on every request. ``roadmap.programme.progress.repair`` counts them
    afresh if they ever drift.
    """

    # The row counting every designation, each body once whatever its reasons.
    ANY_REASON = 0

    reason = models.PositiveSmallIntegerField(_("reason"), primary_key=True)
    systems = models.IntegerField(default=0)
    bodies = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("designation tally")
        verbose_name_plural = _("designation tallies")

    def __str__(self):
        return str(self.reason)


class SystemMinistry(models.Model):
    """The ministry in charge of a standard business system; data an administrator can correct."""

    system = models.PositiveSmallIntegerField(_("standard business system"), primary_key=True)
    ministry_ja = models.CharField(_("ministry (Japanese)"), max_length=100)
    ministry_en = models.CharField(_("ministry (English)"), max_length=100, blank=True)

    class Meta:
        ordering = ["system"]
        verbose_name = _("ministry in charge")
        verbose_name_plural = _("ministries in charge")

    def __str__(self):
        return f"{self.system}: {self.ministry_ja}"
