"""Notices about milestones and how each user wants to receive them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from roadmap.models.indicators import Indicator, Measurement
from roadmap.models.milestones import Milestone
from roadmap.validators import (
    REPEAT_DAYS_RANGE,
    CleanOnSave,
    validate_lead_days,
    validate_no_control_characters,
)

TEXT = [validate_no_control_characters]


class UserPreference(CleanOnSave):
    class Language(models.TextChoices):
        JAPANESE = "ja", "日本語"
        ENGLISH = "en", "English"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.JAPANESE
    )
    digests_enabled = models.BooleanField(_("receive e-mail digests"), default=True)
    lead_days = models.JSONField(
        _("reminder lead times (days)"),
        default=list,
        blank=True,
        validators=[validate_lead_days],
        help_text=_("Up to five numbers of days from 1 to 365; empty means the defaults."),
    )
    overdue_repeat_days = models.PositiveSmallIntegerField(
        _("repeat overdue notices every (days)"),
        default=7,
        validators=[
            MinValueValidator(REPEAT_DAYS_RANGE[0]),
            MaxValueValidator(REPEAT_DAYS_RANGE[1]),
        ],
    )
    working_days_only = models.BooleanField(
        _("send digests on working days only"),
        default=True,
        help_text=_("Weekends and Japanese public holidays are skipped."),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(overdue_repeat_days__range=REPEAT_DAYS_RANGE),
                name="preference_repeat_days_range",
            )
        ]
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return str(self.user)


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the notices about the milestones and indicators the user may see."""
        if user.is_superuser:
            return self
        return self.filter(
            Q(milestone__in=Milestone.objects.visible_to(user))
            | Q(measurement__indicator__in=Indicator.objects.visible_to(user))
        )

    def editable_by(self, user):
        """Return the notices the user may mark read: those addressed to them."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def pending(self, *, now=None):
        """Return notifications waiting to be e-mailed whose retry time has come."""
        now = now or timezone.now()
        return self.filter(state=Notification.State.PENDING, next_attempt_at__lte=now)

    def send_again(self, *, now=None) -> int:
        """Put the failed notices among these back in the queue; return how many.

        A notice the mail server refused for good (a 5xx answer, or every retry answered 4xx)
        stays failed, with the reason, until an operator who has fixed the cause sends it again.
        The next digest run mails it with the recipient's other notices, or skips it as any
        notice whose milestone was closed or given another deadline meanwhile.
        """
        return self.filter(state=Notification.State.FAILED).update(
            state=Notification.State.PENDING,
            attempts=0,
            next_attempt_at=now or timezone.now(),
            last_error="",
            claim=None,
            claimed_at=None,
        )


class Notification(models.Model):
    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        OVERDUE = "overdue", _("Overdue")
        BEHIND = "behind", _("Indicator behind target")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not e-mailed (digests off)")

    recipient = models.EmailField(_("recipient"))
    # Every notice is written twice at least (claimed, then marked sent) and each index costs
    # each write: the user's notices are found through the inbox index, which begins with the
    # user, and a measurement's through a partial index of the notices that have one.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    # A behind-target notice is about one measurement of an indicator, instead of a milestone.
    measurement = models.ForeignKey(
        Measurement,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    deadline = models.DateField(
        _("deadline"), help_text=_("For an indicator behind target: the day it was measured.")
    )
    lead = models.SmallIntegerField(
        _("lead"),
        help_text=_("Days before the deadline (due soon) or days after it (overdue)."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    state = models.CharField(
        _("state"), max_length=8, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The key of the digest run mailing the notice, cleared when the notice is marked. The run
    # holds a PostgreSQL advisory lock on its key: a claim whose lock is gone, or that is older
    # than roadmap.services.digests.CLAIM_EXPIRES, is a dead run's and may be taken over.
    claim = models.BigIntegerField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "milestone", "kind", "deadline", "lead"],
                name="unique_notification",
            ),
            # Once per measurement: a behind indicator is announced again only when re-measured.
            models.UniqueConstraint(
                fields=["recipient", "measurement"],
                condition=Q(measurement__isnull=False),
                name="unique_measurement_notification",
            ),
            models.CheckConstraint(
                condition=Q(milestone__isnull=False, measurement__isnull=True)
                | Q(milestone__isnull=True, measurement__isnull=False),
                name="notification_about_one_thing",
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "next_attempt_at"],
                name="notification_pending",
                condition=Q(state="pending"),
            ),
            models.Index(fields=["user", "read_at"], name="notification_inbox"),
            models.Index(
                fields=["claim"], name="notification_claim", condition=Q(claim__isnull=False)
            ),
            models.Index(
                fields=["measurement"],
                name="notification_measurement",
                condition=Q(measurement__isnull=False),
            ),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        about = self.milestone or self.measurement
        return f"{self.get_kind_display()} · {about} → {self.recipient}"


class SentMark(models.Model):
    """A notice whose digest the mail server has taken, not yet marked sent on its own row.

    A digest run writes these as soon as the server takes each digest: one narrow row per
    notice, a fraction of the cost of rewriting the wide notification row under every one of
    its indexes for each mail. Once per batch, and when a run starts, the marks are folded into
    their notifications (state sent, claim cleared) and deleted, by
    ``roadmap.services.digests``. A notice with a mark is never claimed again, so the digests
    of a worker killed outright before the fold are not mailed twice.
    """

    # No foreign key constraint: a mark is written once per mail and lives for a batch; one
    # left by a notification deleted meanwhile is deleted by the next fold.
    notification = models.OneToOneField(
        Notification,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    sent_at = models.DateTimeField()

    def __str__(self):
        return f"notification {self.notification_id} sent at {self.sent_at}"


class PendingImport(models.Model):
    """An uploaded file shown in an import preview, kept until the import is confirmed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now, db_index=True)
    file_name = models.CharField(max_length=200)
    plan_code = models.CharField(max_length=50)
    content = models.BinaryField()
    digest = models.CharField(max_length=64)

    def __str__(self):
        return self.file_name


class JobFailure(models.Model):
    """One item a scheduled job could not process: the job went on with everyone else."""

    job = models.CharField(_("job"), max_length=40)
    item = models.CharField(_("item"), max_length=300, help_text=_("What failed, with its ids."))
    reason = models.TextField(_("reason"))
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("failed job item")
        verbose_name_plural = _("failed job items")

    def __str__(self):
        return f"{self.job}: {self.item}"
