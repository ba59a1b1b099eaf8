"""The plans, their initiatives, and the Diet sessions deadline phrases refer to."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from roadmap import periods
from roadmap.language import localized
from roadmap.models.organizations import Organization
from roadmap.validators import (
    CleanOnSave,
    validate_no_control_characters,
)

TEXT = [validate_no_control_characters]


class Titled:
    """A row titled in Japanese and, where someone wrote it, in English."""

    def title(self, language=None):
        """Return the title in the given language."""
        return localized(self, "title", language)


class Plan(Titled, CleanOnSave):
    # The 2024 Priority Policy Program: what bootstrap loads and imports default to.
    PRIORITY_PLAN_2024 = "priority-plan-2024"

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


class Initiative(Titled, CleanOnSave):
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
