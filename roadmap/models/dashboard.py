"""The dashboard's stored figures: counted once after a change, read back by every request."""

from django.db import models


class DashboardState(models.Model):
    """How often what the dashboard shows has changed, and at which change it was counted.

    Database triggers add one to ``changes`` whenever a statement writes milestones, deadline
    revisions, organizations, initiatives or milestone editions (migrations 0011 and 0020), and
    to ``shown_changes`` whenever one writes the rest of what the dashboard shows: the
    programme's tallies, snapshots and designations, indicators and measurements (0023).
    ``counted`` is the value of ``changes`` the stored tallies were counted at. One row. The
    exports' ETags are made from ``changes``, and the stored owner choice (``OwnerChoice``) is
    current while it holds; the dashboard's ETag and kept body from both
    (``roadmap.views.reading.changes_tag``).
    """

    # The one row's key.
    ROW = 1

    changes = models.BigIntegerField(default=0)
    shown_changes = models.BigIntegerField(default=0)
    counted = models.BigIntegerField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.changes} changes, counted at {self.counted}"

    @classmethod
    def changes_now(cls, *, shown: bool = False) -> int | tuple[int, int] | None:
        """Return how many changes have been counted so far (None without the row).

        With ``shown``, the pair of both counts: milestones' and the rest the dashboard shows.
        """
        fields = ("changes", "shown_changes") if shown else ("changes",)
        row = cls.objects.filter(pk=cls.ROW).values_list(*fields).first()
        if row is None or shown:
            return row
        return row[0]


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


class OwnerChoice(models.Model):
    """The filter forms' choice of every organization, rendered for one language.

    Stored with the count of changes it was rendered at (``DashboardState.changes``, which
    every write to organizations moves): a page reads it back while that count holds, instead
    of reading and writing out every organization (17,880 at ten times the programme).
    """

    language = models.CharField(max_length=8, primary_key=True)
    changes = models.BigIntegerField()
    html = models.TextField()

    def __str__(self):
        return f"owner choice ({self.language}) at {self.changes} changes"
