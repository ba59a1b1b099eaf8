"""A milestone as each edition of the plan carried it."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from roadmap.models.milestones import Milestone
from roadmap.models.plans import Plan


class MilestoneEdition(models.Model):
    """A milestone as one edition of the plan carried it: its wording and its window then."""

    # What an entry copies from its milestone: the wording, then the window and deadline.
    WORDING_FIELDS = ("ref", "title_ja", "title_en", "source_text")
    WINDOW_FIELDS = ("phrase", "window_start", "window_end", "precision", "soft", "deadline")

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

    @classmethod
    def carrying(cls, milestone: Milestone, plan: Plan, **fields) -> "MilestoneEdition":
        """Return the unsaved entry of ``plan`` carrying ``milestone`` as it reads now.

        ``fields`` replace what is copied, such as the phrase and window it was first given.
        """
        copied = {
            name: getattr(milestone, name) for name in cls.WORDING_FIELDS + cls.WINDOW_FIELDS
        }
        return cls(
            plan=plan,
            milestone=milestone,
            initiative_number=milestone.initiative.number,
            **copied | fields,
        )
