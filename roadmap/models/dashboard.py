"""The dashboard's stored figures: counted once after a change, read back by every request."""

from django.db import models


class DashboardState(models.Model):
    """How often what the dashboard counts has changed, and at which change it was counted.

    Database triggers (migrations 0011, 0020 and 0023) add one to ``changes`` whenever a
    statement writes milestones, deadline revisions, organizations, initiatives, milestone
    editions, the programme's tallies, snapshots or designations, indicators or measurements;
    ``counted`` is the value of ``changes`` the stored tallies were counted at. One row. The
    exports' and the dashboard's ETags and the dashboard's kept body are made from ``changes``
    too (``roadmap.views.reading.changes_tag``).
    """

    # The one row's key.
    ROW = 1

    changes = models.BigIntegerField(default=0)
    counted = models.BigIntegerField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.changes} changes, counted at {self.counted}"

    @classmethod
    def changes_now(cls) -> int | None:
        """Return how many changes have been counted so far (None without the row)."""
        return cls.objects.filter(pk=cls.ROW).values_list("changes", flat=True).first()


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
