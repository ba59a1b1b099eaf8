"""What the plan commits to beyond single milestones: yearly commitments and indicators."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from roadmap.language import localized
from roadmap.models.milestones import Milestone
from roadmap.models.organizations import BelongingQuerySet, Organization
from roadmap.models.plans import Initiative, Titled


class RecurringCommitment(Titled, models.Model):
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


class IndicatorQuerySet(BelongingQuerySet):
    """Indicators: seen by the members of their owner, measured by its owners."""

    parent_field = "owner"


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
