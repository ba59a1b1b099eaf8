"""The plan, its milestones, who owns them, and the notices the scheduler sends about them."""

from datetime import date, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from roadmap import periods
from roadmap.validators import (
    REPEAT_DAYS_RANGE,
    CleanOnSave,
    validate_lead_days,
    validate_no_control_characters,
)

TEXT = [validate_no_control_characters]


def localized(obj, field, language):
    """Return ``field_en`` for English readers when it is filled, else ``field_ja``."""
    if language and language.startswith("en"):
        return getattr(obj, f"{field}_en") or getattr(obj, f"{field}_ja")
    return getattr(obj, f"{field}_ja")


class Organization(CleanOnSave):
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
    name_ja = models.CharField(_("name (Japanese)"), max_length=200, validators=TEXT)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True, validators=TEXT)
    name_kana = models.CharField(_("reading"), max_length=200, blank=True, validators=TEXT)
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

    class Meta:
        ordering = ["code"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self):
        return self.name_ja

    def name(self, language=None):
        """Return the name in the given language."""
        return localized(self, "name", language)


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


class Plan(CleanOnSave):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    title_ja = models.CharField(_("title (Japanese)"), max_length=300, validators=TEXT)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True, validators=TEXT)
    decided_on = models.DateField(
        _("decided on"), help_text=_("Relative phrases are resolved against this date.")
    )
    source_url = models.URLField(_("source"), max_length=500, blank=True)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous edition"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The edition this one replaces; its changes are read against it."),
    )

    class Meta:
        ordering = ["-decided_on"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self):
        return self.title_ja

    def title(self, language=None):
        """Return the title in the given language."""
        return localized(self, "title", language)


class Initiative(CleanOnSave):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="initiatives")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    number = models.CharField(
        _("number"), max_length=32, help_text=_("Position in the plan, such as 5.1.4.")
    )
    title_ja = models.CharField(_("title (Japanese)"), max_length=300, validators=TEXT)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True, validators=TEXT)
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

    def title(self, language=None):
        """Return the title in the given language."""
        return localized(self, "title", language)


class DietSessionQuerySet(models.QuerySet):
    def for_resolver(self):
        """Return the sessions as the plain values the phrase resolver takes."""
        return [
            periods.DietSession(s.number, s.convened_on, s.closes_on)
            for s in self.order_by("convened_on")
        ]


class DietSession(CleanOnSave):
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


class EventDateQuerySet(models.QuerySet):
    def for_resolver(self):
        """Return the events as the plain values the phrase resolver takes."""
        return [periods.Event(e.name_ja, e.occurred_on) for e in self.order_by("occurred_on")]


class EventDate(models.Model):
    """A dated event deadlines count from (「設置後10年」), kept as data like Diet sessions."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_ja = models.CharField(
        _("name (Japanese)"),
        max_length=200,
        unique=True,
        help_text=_("As phrases name it, such as デジタル庁の設置."),
    )
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    occurred_on = models.DateField(_("occurred on"))

    objects = EventDateQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_on", "code"]
        verbose_name = _("event date")
        verbose_name_plural = _("event dates")

    def __str__(self):
        return f"{self.name_ja} ({self.occurred_on:%Y-%m-%d})"

    def as_resolver_event(self):
        """Return the event as the phrase resolver's value."""
        return periods.Event(self.name_ja, self.occurred_on)

    def name(self, language=None):
        """Return the name in the given language."""
        return localized(self, "name", language)


class MilestoneQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the milestones of organizations the user belongs to (all for superusers)."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner__memberships__user=user)

    def editable_by(self, user):
        """Return the milestones the user may change: those of organizations they own."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            owner__memberships__user=user, owner__memberships__role=Membership.Role.OWNER
        )

    def open(self):
        """Return milestones that are neither done nor cancelled."""
        return self.exclude(status__in=Milestone.CLOSED_STATUSES)

    def overdue(self, *, as_of):
        """Return milestones whose deadline has passed by ``as_of`` (a Tokyo date)."""
        return self.filter(Milestone.overdue_condition(as_of))

    def due_within(self, days, *, as_of):
        """Return open milestones due between ``as_of`` and ``days`` days later."""
        return self.open().filter(deadline__gte=as_of, deadline__lte=as_of + timedelta(days=days))


class Milestone(CleanOnSave):
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

    def title(self, language=None):
        """Return the title in the given language."""
        return localized(self, "title", language)

    @staticmethod
    def overdue_condition(as_of: date) -> Q:
        """Return the condition for being overdue on ``as_of``: the one rule, used everywhere."""
        not_finished = Q(kind=Milestone.Kind.DEADLINE) & ~Q(status__in=Milestone.CLOSED_STATUSES)
        not_started = Q(kind=Milestone.Kind.START, status=Milestone.Status.PLANNED)
        return Q(deadline__lt=as_of) & (not_finished | not_started)

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

    @property
    def days_overdue(self):
        if self.overdue_since is None:
            return 0
        return (timezone.localdate() - self.deadline).days


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
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

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


class MilestoneEdition(models.Model):
    """A milestone as one edition of the plan carried it: its wording and its window then."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("edition"), on_delete=models.PROTECT, related_name="entries"
    )
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="editions")
    ref = models.SlugField(_("reference in this edition"), max_length=80)
    previous_ref = models.SlugField(
        _("reference in the previous edition"),
        max_length=80,
        blank=True,
        help_text=_("Given where the commitment was renamed or split off from another."),
    )
    initiative_number = models.CharField(_("initiative"), max_length=32)
    title_ja = models.CharField(_("title (Japanese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    source_text = models.TextField(_("source wording"), blank=True)
    phrase = models.CharField(_("deadline phrase"), max_length=200, blank=True)
    window_start = models.DateField(_("window start"), null=True, blank=True)
    window_end = models.DateField(_("window end"), null=True, blank=True)
    precision = models.CharField(
        _("precision"), max_length=16, choices=Milestone.Precision.choices
    )
    soft = models.BooleanField(_("soft target"), default=False)
    deadline = models.DateField(_("deadline"), null=True, blank=True)

    class Meta:
        ordering = ["plan", "ref"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "milestone"], name="unique_edition_milestone"),
            models.UniqueConstraint(fields=["plan", "ref"], name="unique_edition_ref"),
        ]
        verbose_name = _("milestone in an edition")
        verbose_name_plural = _("milestones in an edition")

    def __str__(self):
        return f"{self.plan.code}: {self.ref}"


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

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField(_("step"))
    state = models.CharField(
        _("state"), max_length=14, choices=StepState.choices, default=StepState.NOT_STARTED
    )
    changed_on = models.DateField(_("changed on"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

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


class RecurringCommitment(models.Model):
    """A commitment repeated every year (毎年度6月, 毎年度末); each year is a milestone."""

    ref = models.SlugField(
        _("reference"),
        max_length=72,
        unique=True,
        help_text=_("Each year's milestone is referenced as this reference, a dash and the year."),
    )
    initiative = models.ForeignKey(Initiative, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        Organization, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    title_ja = models.CharField(_("title (Japanese)"), max_length=280)
    title_en = models.CharField(_("title (English)"), max_length=280, blank=True)
    source_text = models.TextField(_("source wording"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=8, choices=Milestone.Kind.choices, default=Milestone.Kind.DEADLINE
    )
    phrase = models.CharField(
        _("recurrence phrase"),
        max_length=100,
        help_text=_("As written: 毎年, 毎年度, 毎年度末, 毎年度6月 …"),
    )
    first_year = models.PositiveSmallIntegerField(_("first year"))
    last_year = models.PositiveSmallIntegerField(_("last year"), null=True, blank=True)

    class Meta:
        ordering = ["ref"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_year__isnull=True) | Q(last_year__gte=models.F("first_year")),
                name="recurrence_last_after_first",
            )
        ]
        verbose_name = _("recurring commitment")
        verbose_name_plural = _("recurring commitments")

    def __str__(self):
        return f"{self.title_ja}（{self.phrase}）"

    def title(self, language=None):
        """Return the title in the given language."""
        return localized(self, "title", language)


class IndicatorQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the indicators of organizations the user belongs to (all for superusers)."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner__memberships__user=user)

    def editable_by(self, user):
        """Return the indicators the user may record measurements for: their organizations'."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            owner__memberships__user=user, owner__memberships__role=Membership.Role.OWNER
        )


class Indicator(models.Model):
    """A number the plan commits to (KPI): from a baseline towards a target by a deadline."""

    class Direction(models.TextChoices):
        UP = "up", _("Higher is better")
        DOWN = "down", _("Lower is better")

    ref = models.SlugField(_("reference"), max_length=80, unique=True)
    initiative = models.ForeignKey(Initiative, on_delete=models.PROTECT, related_name="indicators")
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="indicators"
    )
    owner = models.ForeignKey(
        Organization, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="indicators"
    )
    name_ja = models.CharField(_("name (Japanese)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    unit_ja = models.CharField(_("unit (Japanese)"), max_length=40)
    unit_en = models.CharField(_("unit (English)"), max_length=40, blank=True)
    direction = models.CharField(
        _("direction"), max_length=4, choices=Direction.choices, default=Direction.UP
    )
    source_text = models.TextField(_("source wording"), blank=True)
    baseline_value = models.DecimalField(
        _("baseline value"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    baseline_on = models.DateField(_("baseline date"), null=True, blank=True)
    target_value = models.DecimalField(_("target value"), max_digits=16, decimal_places=4)
    target_phrase = models.CharField(
        _("target phrase"),
        max_length=200,
        blank=True,
        help_text=_("When the target is due, as written; resolved like any deadline."),
    )
    target_on = models.DateField(_("target date"), null=True, blank=True, editable=False)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["initiative__sort_key", "ref"]
        constraints = [
            models.CheckConstraint(
                condition=Q(baseline_value__isnull=True, baseline_on__isnull=True)
                | Q(baseline_value__isnull=False, baseline_on__isnull=False),
                name="indicator_baseline_value_and_date",
            )
        ]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self):
        return self.name_ja

    def name(self, language=None):
        """Return the name in the given language."""
        return localized(self, "name", language)

    def unit(self, language=None):
        """Return the unit in the given language."""
        return localized(self, "unit", language)


class Measurement(models.Model):
    """A dated value of an indicator, with where the figure comes from."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="measurements")
    measured_on = models.DateField(_("measured on"))
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=4)
    source = models.CharField(
        _("source"), max_length=500, help_text=_("Where the figure is published.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["indicator", "measured_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "measured_on"], name="unique_measurement_per_day"
            )
        ]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")

    def __str__(self):
        return f"{self.indicator}: {self.value} ({self.measured_on:%Y-%m-%d})"


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
    def pending(self, *, now=None):
        """Return notifications waiting to be e-mailed whose retry time has come."""
        now = now or timezone.now()
        return self.filter(state=Notification.State.PENDING, next_attempt_at__lte=now)


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
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
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
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        about = self.milestone or self.measurement
        return f"{self.get_kind_display()} · {about} → {self.recipient}"


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


class DashboardState(models.Model):
    """How often what the dashboard counts has changed, and at which change it was counted.

    Database triggers (migration 0011) add one to ``changes`` whenever a statement writes
    milestones, deadline revisions, organizations or initiatives; ``counted`` is the value of
    ``changes`` the stored tallies were counted at. One row.
    """

    changes = models.BigIntegerField(default=0)
    counted = models.BigIntegerField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.changes} changes, counted at {self.counted}"


class DashboardTally(models.Model):
    """One stored row of the unfiltered dashboard: an area, an owner, a prefecture or a system."""

    section = models.CharField(max_length=10)
    position = models.PositiveIntegerField()
    figures = models.JSONField()

    class Meta:
        ordering = ["section", "position"]
        constraints = [
            models.UniqueConstraint(fields=["section", "position"], name="unique_dashboard_tally")
        ]

    def __str__(self):
        return f"{self.section} {self.position}"


# The programme's reporting models live in their own module; importing them here registers them.
from roadmap.programme.models import (  # noqa: E402, F401
    Designation,
    ProgressSnapshot,
    SnapshotRow,
    StepChange,
    SystemMinistry,
    SystemProgress,
)
