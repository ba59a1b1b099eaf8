"""Aggregate counts for the dashboard: by area, by owner, and the population programme's progress.

Every figure comes from a grouped query, so the dashboard costs the same few queries whether it
summarises ten milestones or thirty-five thousand.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import Coalesce, Left, StrIndex

from roadmap.models import DeadlineRevision, Initiative, Milestone, Organization
from roadmap.standard_systems import SYSTEMS_BY_NUMBER

Status = Milestone.Status
LOCAL_KINDS = (Organization.Kind.PREFECTURE, Organization.Kind.MUNICIPALITY)
# The ORM cannot aggregate over an aggregate: the inner query (one row per body) is Django's
# own SQL, its values still passed as parameters.
ROLLUP_SQL = (
    "SELECT bodies.body_group,"
    " SUM(CASE WHEN bodies.done = bodies.total THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN bodies.planned = bodies.total THEN 1 ELSE 0 END),"
    " COUNT(*)"
    " FROM ({inner}) bodies GROUP BY bodies.body_group ORDER BY bodies.body_group"
)


def slipped_condition():
    """Return the condition of a milestone whose deadline was ever moved later.

    An IN over the revisions, which the database reads once into a hash, rather than a
    correlated EXISTS looked up once per milestone counted.
    """
    later = DeadlineRevision.objects.filter(new_deadline__gt=F("old_deadline"))
    return Q(pk__in=later.values("milestone_id"))


def status_counts():
    """Return the counting aggregates shown in every summary row."""
    return {
        "total": Count("pk"),
        "planned": Count("pk", filter=Q(status=Status.PLANNED)),
        "in_progress": Count("pk", filter=Q(status=Status.IN_PROGRESS)),
        "done": Count("pk", filter=Q(status=Status.DONE)),
        "cancelled": Count("pk", filter=Q(status=Status.CANCELLED)),
        "overdue": Count("pk", filter=Milestone.FLAGGED),
        "on_time": Count("pk", filter=Q(status=Status.DONE, completed_on__lte=F("deadline"))),
        "late": Count("pk", filter=Q(status=Status.DONE, completed_on__gt=F("deadline"))),
        "slipped": Count("pk", filter=slipped_condition()),
    }


def area_number():
    """Return the expression for the top-level part of the initiative number (5 of 5.1.4)."""
    number = F("initiative__number")
    head = Left(number, StrIndex(number, Value(".")) - 1, output_field=CharField())
    return Case(When(initiative__number__contains=".", then=head), default=number)


def by_area(milestones):
    """Return one summary per top-level initiative, with its title, in plan order."""
    return with_area_titles(
        list(
            milestones.annotate(area=area_number())
            .values("initiative__plan_id", "area")
            .annotate(**status_counts())
            .order_by()
        )
    )


def with_area_titles(rows):
    """Give each area row its top-level initiative (for the title) and sort them in plan order."""
    wanted = {row["area"] for row in rows}
    titles = {
        (i.plan_id, i.number): i
        for i in Initiative.objects.filter(parent__isnull=True, number__in=wanted)
    }
    for row in rows:
        row["initiative"] = titles.get((row["initiative__plan_id"], row["area"]))
    return sorted(rows, key=area_order)


def area_order(row):
    """Return the sort key that puts area 5 before 10 and any non-numeric area after both."""
    area = row["area"]
    return (0, int(area), "") if area.isdigit() else (1, 0, area)


def by_owner(milestones):
    """Return the query of one summary per owner organization, ordered by code."""
    return (
        milestones.values("owner__code", "owner__name_ja", "owner__name_en")
        .annotate(**status_counts())
        .order_by("owner__code")
    )


@dataclass
class Progress:
    key: object
    done: int
    in_progress: int
    not_started: int

    @property
    def bodies(self):
        return self.done + self.in_progress + self.not_started

    @property
    def percent_done(self):
        return round(100 * self.done / self.bodies, 1) if self.bodies else 0.0


def programme_milestones(milestones):
    """Return the population programme's live milestones: local bodies' business systems."""
    return milestones.filter(business_system__isnull=False, owner__kind__in=LOCAL_KINDS).exclude(
        status=Status.CANCELLED
    )


def body_progress(milestones, group):
    """Return bodies done / in progress / not started per ``group`` value, in one query.

    A body is done when all its milestones in the group are done, not started when all are
    planned, and in progress otherwise.
    """
    per_body = (
        programme_milestones(milestones)
        .annotate(body_group=group)
        .values("body_group", "owner_id")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(status=Status.DONE)),
            planned=Count("pk", filter=Q(status=Status.PLANNED)),
        )
        .order_by()
    )
    sql, params = per_body.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(ROLLUP_SQL.replace("{inner}", sql), params)
        return [
            Progress(key, done, count - done - not_started, not_started)
            for key, done, not_started, count in cursor.fetchall()
        ]


def progress_by_prefecture(milestones):
    """Return body progress per prefecture (a municipality counts under its prefecture)."""
    return with_prefectures(
        body_progress(milestones, Coalesce(F("owner__parent_id"), F("owner_id")))
    )


def with_prefectures(rows):
    """Give each progress row its prefecture and sort them by the prefecture's code."""
    prefectures = Organization.objects.in_bulk([row.key for row in rows])
    for row in rows:
        row.organization = prefectures.get(row.key)
    return sorted(rows, key=lambda row: row.organization.code if row.organization else "")


def progress_by_system(milestones):
    """Return body progress per standard business system (1–20)."""
    return with_systems(body_progress(milestones, F("business_system")))


def with_systems(rows):
    """Give each progress row its standard business system."""
    for row in rows:
        row.system = SYSTEMS_BY_NUMBER.get(row.key)
    return rows


def totals(rows):
    """Return the sum of progress rows."""
    return Progress(
        "total",
        sum(row.done for row in rows),
        sum(row.in_progress for row in rows),
        sum(row.not_started for row in rows),
    )
