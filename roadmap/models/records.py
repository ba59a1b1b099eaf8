"""What is recorded about a milestone: deadline revisions, status comments, steps."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from roadmap.models.counts import KeptCountQuerySet
from roadmap.models.milestones import Milestone
from roadmap.models.organizations import BelongingQuerySet
from roadmap.validators import (
    CleanOnSave,
    validate_no_control_characters,
)

TEXT = [validate_no_control_characters]


def decided_by_field() -> models.ForeignKey:
    """Return the field of who decided a revision or designation (kept when they leave)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


def decided_at_field() -> models.DateTimeField:
    """Return the field of when a revision or designation was decided."""
    return models.DateTimeField(_("decided at"), default=timezone.now)


class MilestoneRecordQuerySet(BelongingQuerySet):
    """Rows that belong to a milestone: seen and changed by whoever may see or change it."""

    parent_field = "milestone"


class StepQuerySet(KeptCountQuerySet, MilestoneRecordQuerySet):
    """Steps: counted, when all are counted, from the number their triggers keep."""


class DeadlineRevision(CleanOnSave):
    class Kind(models.TextChoices):
        REPLAN = "replan", _("Official re-plan")
        SLIP = "slip", _("Slip")

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="revisions")
    old_phrase = models.CharField(_("old phrase"), max_length=200, blank=True)
    old_deadline = models.DateField(_("old deadline"), null=True, blank=True)
    new_phrase = models.CharField(_("new phrase"), max_length=200, validators=TEXT)
    new_deadline = models.DateField(_("new deadline"), null=True, blank=True)
    reason = models.TextField(_("reason"), validators=TEXT)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    decided_by = decided_by_field()
    decided_at = decided_at_field()

    objects = MilestoneRecordQuerySet.as_manager()

    class Meta:
        ordering = ["milestone", "decided_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="revision_reason_required")
        ]
        verbose_name = _("deadline revision")
        verbose_name_plural = _("deadline revisions")

    def __str__(self):
        return f"{self.milestone}: {self.old_deadline} → {self.new_deadline}"

    @property
    def is_later(self):
        if self.old_deadline is None or self.new_deadline is None:
            return False
        return self.new_deadline > self.old_deadline


class StatusComment(CleanOnSave):
    """A note an owner attaches to a status change, shown with the milestone's history."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="comments")
    old_status = models.CharField(max_length=12, choices=Milestone.Status.choices)
    new_status = models.CharField(max_length=12, choices=Milestone.Status.choices)
    comment = models.TextField(_("comment"), validators=TEXT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["milestone", "created_at", "pk"]
        verbose_name = _("status comment")
        verbose_name_plural = _("status comments")

    def __str__(self):
        return f"{self.old_status} → {self.new_status}: {self.comment[:40]}"


class StepState(models.TextChoices):
    """The state a body reports for one standard step (the ministry's four labels)."""

    DONE = "done", pgettext_lazy("step state", "Done")
    IN_PROGRESS = "in_progress", pgettext_lazy("step state", "In progress")
    NOT_STARTED = "not_started", pgettext_lazy("step state", "Not started")
    NOT_APPLICABLE = "not_applicable", pgettext_lazy("step state", "Not applicable")


class Step(models.Model):
    """One of the standard steps through which a migration milestone is tracked."""

    State = StepState

    # Looked up through the unique (milestone, number) index: a second index on the milestone
    # alone would only be one more to write for each of 1.4 million steps a report changes.
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="steps", db_index=False
    )
    number = models.PositiveSmallIntegerField(_("step"))
    state = models.CharField(
        _("state"), max_length=14, choices=StepState.choices, default=StepState.NOT_STARTED
    )
    changed_on = models.DateField(_("changed on"), null=True, blank=True)
    # Not indexed, so that a report rewrites a step in place: with no indexed column changed,
    # and room left on each page (a fill factor of 50 on PostgreSQL, migration 0027), an update
    # is a heap-only tuple, with no index entry written. A national report changes 1.4 million
    # steps; with this index each change also wrote three index entries. Deleting a user scans
    # the steps once instead.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    objects = StepQuerySet.as_manager()

    class Meta:
        ordering = ["milestone", "number"]
        constraints = [
            models.UniqueConstraint(fields=["milestone", "number"], name="unique_milestone_step")
        ]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self):
        return f"{self.milestone_id}#{self.number}"

    @property
    def is_complete(self):
        """Say whether the step counts as complete: done or not applicable."""
        return self.state in (StepState.DONE, StepState.NOT_APPLICABLE)
