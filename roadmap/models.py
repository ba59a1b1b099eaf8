"""The plan, its milestones, who owns them, and the notices the scheduler sends about them."""

from datetime import date

from django.conf import settings
from django.db import connection, models
from django.db.models import DateTimeField, F, IntegerField, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from roadmap import periods
from roadmap.language import localized


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the organizations the user belongs to (all for superusers)."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)

    def editable_by(self, user):
        """Return the organizations whose milestones the user may change: those they own."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        # One filter() call: the user's own membership must be the owner's.
        return self.filter(memberships__user=user, memberships__role=Membership.Role.OWNER)


class Organization(models.Model):
    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        AGENCY = "agency", _("Agency")
        PREFECTURE = "prefecture", _("Prefecture")
        MUNICIPALITY = "municipality", _("Municipality")
        OTHER = "other", _("Other")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_("The local-government code where there is one, else a short identifier."),
    )
    name_ja = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    contact_email = models.EmailField(
        _("contact address"),
        blank=True,
        help_text=_("Receives the organization's digests in addition to its owners."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organizations"
    )

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self):
        return self.name_ja

    def name(self, language=None):
        """Return the name in the given language."""
        return localized(self, "name", language)


class Titled:
    """A row titled in Japanese and, where someone wrote it, in English."""

    def title(self, language=None):
        """Return the title in the given language."""
        return localized(self, "title", language)


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        VIEWER = "viewer", _("Viewer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="unique_membership")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} · {self.organization} ({self.get_role_display()})"


class Plan(Titled, models.Model):
    # The 2024 Priority Policy Program: what bootstrap loads and imports default to.
    PRIORITY_PLAN_2024 = "priority-plan-2024"

    code = models.SlugField(_("code"), max_length=64, unique=True)
    title_ja = models.CharField(_("title (Japanese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    decided_on = models.DateField(
        _("decided on"), help_text=_("Relative phrases are resolved against this date.")
    )
    source_url = models.URLField(_("source"), max_length=500, blank=True)

    class Meta:
        ordering = ["-decided_on"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self):
        return self.title_ja


class Initiative(Titled, models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="initiatives")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    number = models.CharField(
        _("number"), max_length=32, help_text=_("Position in the plan, such as 5.1.4.")
    )
    title_ja = models.CharField(_("title (Japanese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    lead_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sort_key = models.CharField(max_length=64, editable=False, db_index=True)

    class Meta:
        ordering = ["plan", "sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_initiative_number")
        ]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")

    def __str__(self):
        return f"{self.number} {self.title_ja}"

    def save(self, *args, **kwargs):
        # Zero-padded so that 5.10 sorts after 5.9 in the database.
        self.sort_key = ".".join(part.zfill(4) for part in self.number.split("."))
        super().save(*args, **kwargs)


class DietSessionQuerySet(models.QuerySet):
    def for_resolver(self):
        """Return the sessions as the plain values the phrase resolver takes."""
        return [
            periods.DietSession(s.number, s.convened_on, s.closes_on)
            for s in self.order_by("convened_on")
        ]


class DietSession(models.Model):
    """An ordinary Diet session (通常国会), kept as data so that users can add new ones."""

    number = models.PositiveSmallIntegerField(_("session number"), unique=True)
    convened_on = models.DateField(_("convened on"))
    closes_on = models.DateField(_("closes on"), help_text=_("Including any extension."))

    objects = DietSessionQuerySet.as_manager()

    class Meta:
        ordering = ["convened_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("convened_on")),
                name="diet_session_closes_after_convening",
            )
        ]
        verbose_name = _("ordinary Diet session")
        verbose_name_plural = _("ordinary Diet sessions")

    def __str__(self):
        return f"第{self.number}回通常国会"


class MilestoneQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the milestones of organizations the user belongs to (all for superusers)."""
        if user.is_superuser:
            return self
        return self.filter(owner__in=Organization.objects.visible_to(user))

    def editable_by(self, user):
        """Return the milestones the user may change: those of organizations they own."""
        if user.is_superuser:
            return self
        return self.filter(owner__in=Organization.objects.editable_by(user))

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
        return self.filter(overdue_since__isnull=not flagged)

    def update_recorded(self, *, reason, user=None, stamp=None, **fields) -> int:
        """Update the rows set-based, bump their version and copy them into their history.

        ``reason`` (a string, None or an expression over the row) becomes the history's change
        reason; ``stamp`` (default now) their ``updated_at`` and the history's date. Return the
        number of rows changed.
        """
        stamp = stamp or timezone.now()
        count = self.update(**fields, version=F("version") + 1, updated_at=stamp)
        if count:
            changed = Milestone.objects.filter(updated_at=stamp)
            changed._insert_history(stamp=stamp, reason=reason, user=user)
        return count

    def _insert_history(self, *, stamp, reason, user) -> None:
        """Copy the rows into their history table with one INSERT … SELECT."""
        history = Milestone.history.model
        if not hasattr(reason, "resolve_expression"):
            reason = Value(reason, output_field=models.TextField())
        fixed = {
            "history_date": Value(stamp, output_field=DateTimeField()),
            "history_change_reason": reason,
            "history_type": Value("~"),
            "history_user": Value(user.pk if user else None, output_field=IntegerField()),
        }
        fields = [field for field in history._meta.concrete_fields if not field.primary_key]
        select = self.order_by().values(
            **{f"h{i}": fixed.get(field.name, F(field.attname)) for i, field in enumerate(fields)}
        )
        sql, params = select.query.sql_with_params()
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({columns}) {sql}", params
            )


class Milestone(Titled, models.Model):
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

    ref = models.SlugField(
        _("reference"),
        max_length=80,
        unique=True,
        help_text=_("Stable identifier used by imports, feeds and links."),
    )
    initiative = models.ForeignKey(Initiative, on_delete=models.PROTECT, related_name="milestones")
    owner = models.ForeignKey(
        Organization,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="milestones",
    )
    title_ja = models.CharField(_("title (Japanese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    source_text = models.TextField(_("source wording"), blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.DEADLINE)
    business_system = models.PositiveSmallIntegerField(
        _("standard business system"), null=True, blank=True
    )

    # The phrase as written and the window it resolves to (see roadmap.periods).
    phrase = models.CharField(_("deadline phrase"), max_length=200, blank=True)
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
        default=1, editable=False, help_text=_("Incremented on every change.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "ref"]
        indexes = [
            models.Index(fields=["deadline", "status"], name="milestone_deadline_status"),
            # Serves the default ordering: the first page of 35,000 rows without a sort.
            models.Index(fields=["deadline", "ref"], name="milestone_deadline_ref"),
            models.Index(fields=["owner", "status"], name="milestone_owner_status"),
            models.Index(
                fields=["overdue_since"],
                name="milestone_overdue",
                condition=Q(overdue_since__isnull=False),
            ),
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


class MilestoneRecordQuerySet(models.QuerySet):
    """Rows that belong to a milestone: seen and changed by whoever may see or change it."""

    def visible_to(self, user):
        """Return the rows of the milestones the user may see."""
        if user.is_superuser:
            return self
        return self.filter(milestone__in=Milestone.objects.visible_to(user))

    def editable_by(self, user):
        """Return the rows of the milestones the user may change."""
        if user.is_superuser:
            return self
        return self.filter(milestone__in=Milestone.objects.editable_by(user))


class DeadlineRevision(models.Model):
    class Kind(models.TextChoices):
        REPLAN = "replan", _("Official re-plan")
        SLIP = "slip", _("Slip")

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="revisions")
    old_phrase = models.CharField(_("old phrase"), max_length=200, blank=True)
    old_deadline = models.DateField(_("old deadline"), null=True, blank=True)
    new_phrase = models.CharField(_("new phrase"), max_length=200)
    new_deadline = models.DateField(_("new deadline"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

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


class StatusComment(models.Model):
    """A note an owner attaches to a status change, shown with the milestone's history."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="comments")
    old_status = models.CharField(max_length=12, choices=Milestone.Status.choices)
    new_status = models.CharField(max_length=12, choices=Milestone.Status.choices)
    comment = models.TextField(_("comment"))
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


class Step(models.Model):
    """One of the standard steps through which a migration milestone is tracked."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField(_("step"))
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    objects = MilestoneRecordQuerySet.as_manager()

    class Meta:
        ordering = ["milestone", "number"]
        constraints = [
            models.UniqueConstraint(fields=["milestone", "number"], name="unique_milestone_step")
        ]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self):
        return f"{self.milestone_id}#{self.number}"


class UserPreference(models.Model):
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
        _("reminder lead times (days)"), default=list, help_text=_("Empty means the defaults.")
    )
    overdue_repeat_days = models.PositiveSmallIntegerField(
        _("repeat overdue notices every (days)"), default=7
    )
    working_days_only = models.BooleanField(
        _("send digests on working days only"),
        default=True,
        help_text=_("Weekends and Japanese public holidays are skipped."),
    )

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return str(self.user)


class NotificationQuerySet(MilestoneRecordQuerySet):
    def editable_by(self, user):
        """Return the notices the user may mark read: those addressed to them."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def pending(self, *, now=None):
        """Return notifications waiting to be e-mailed whose retry time has come."""
        now = now or timezone.now()
        return self.filter(state=Notification.State.PENDING, next_attempt_at__lte=now)


class Notification(models.Model):
    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        OVERDUE = "overdue", _("Overdue")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not e-mailed (digests off)")

    recipient = models.EmailField(_("recipient"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    deadline = models.DateField(_("deadline"))
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
            )
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
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.milestone} → {self.recipient}"
