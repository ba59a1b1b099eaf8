"""How many rows the largest tables hold, kept by the database so that nobody counts them.

An unfiltered list of milestones or steps is paged (the timeline, the API's ``count``, the
admin's lists), and paging counts the rows: ``COUNT(*)`` reads the whole table, 350,000
milestones or 14 million steps at ten times the programme. Database triggers (migration 0028)
add the rows each statement inserts and subtract those it deletes (a ``TRUNCATE`` sets
nought), whoever writes them, in the writer's own transaction; so the kept number is exact for
every reader, as ``COUNT(*)`` is.

The body tallies' kept number is of the bodies the programme's figures count, those with a
system counted (``systems > 0``, migration 0032): the national "bodies" and the length of the
body table, 1,788 at full size and ten times that at ten times the programme.

``KeptCountQuerySet.count()`` reads it for a query over the whole table and counts as before
for any other; ``kept_number`` reads it for a model. A missing row (a test database flushed by
``TRUNCATE``) falls back to counting, in the same statement. ``repair()`` counts afresh
(``manage.py recount_dashboard``).
"""

from django.db import connections, models, transaction
from django.db.models.sql.constants import LOUTER
from django.db.models.sql.datastructures import Join


class RowCount(models.Model):
    """The number of rows in one table (those ``kept_tables`` names), kept by its triggers."""

    table = models.CharField(max_length=63, primary_key=True)
    rows = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.table}: {self.rows:,} rows"


class KeptCountQuerySet(models.QuerySet):
    """A QuerySet whose ``count()`` over the whole table reads the kept number of rows."""

    def count(self):
        if self._result_cache is not None or not whole_table(self.query):
            return super().count()
        return kept_number(self.model, using=self.db)


def kept_number(model, using: str = "default") -> int:
    """Return the kept number of ``model``'s rows (``kept_tables``), or count them if missing."""
    table = model._meta.db_table
    quote = connections[using].ops.quote_name
    # Counted only when the kept row is missing: COALESCE evaluates its arguments in order.
    # Names from the models, not from a request.
    kept = f"SELECT rows FROM {quote(RowCount._meta.db_table)} WHERE {quote('table')} = %s"  # noqa: S608
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(({kept}), ({counting(model, quote)}))", [table])
        return cursor.fetchone()[0]


def counting(model, quote) -> str:
    """Return the SQL counting the rows of ``model`` whose number is kept."""
    counted = f"SELECT COUNT(*) FROM {quote(model._meta.db_table)}"  # noqa: S608
    where = dict(kept_tables())[model]
    return f"{counted} WHERE {where}" if where else counted


def whole_table(query) -> bool:
    """Return whether ``query`` would count every row of its table, each once.

    No condition, no DISTINCT, GROUP BY or aggregate, no slice or set operation, and only joins
    along foreign keys (each row meets at most one row of the other table; a foreign key that
    cannot be null always meets one, and one that can is joined with LEFT OUTER JOIN).
    """
    if (
        query.where
        or query.distinct
        or query.group_by is not None
        or query.combinator
        or query.low_mark
        or query.high_mark is not None
        or query.extra
        or query.extra_tables
        or any(getattr(a, "contains_aggregate", False) for a in query.annotations.values())
    ):
        return False
    for join in query.alias_map.values():
        if not isinstance(join, Join):
            continue
        field = join.join_field
        # Forward along a foreign key only: a reverse relation may meet none or many rows.
        if not (field.concrete and (field.many_to_one or field.one_to_one)):
            return False
        # An inner join along a key that may be null would leave out the rows without one.
        if field.null and join.join_type != LOUTER:
            return False
    return True


def kept_tables():
    """Return the models whose rows are kept, each with the rows it keeps ("" for all of them).

    Migration 0028 installs the triggers of the steps and milestones, 0032 those of the body
    tallies. In the order a step report writes them (steps, then the progress rows with their
    tallies, then milestones), which ``repair`` locks them in.
    """
    from roadmap.models import Milestone, Step
    from roadmap.programme.models import BodyTally

    return ((Step, ""), (BodyTally, "systems > 0"), (Milestone, ""))


def repair(using: str = "default") -> int:
    """Count each kept table afresh, store the numbers, and return how many had differed.

    The tables are locked against writers (``SHARE`` mode) while they are counted, so no insert
    lands between a count and its kept number. They are locked in the order a step report takes
    them (``kept_tables``), so that a report in progress is waited for rather than deadlocked
    with.
    """
    differed = 0
    connection = connections[using]
    quote = connection.ops.quote_name
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(quote(model._meta.db_table) for model, _ in kept_tables())
            cursor.execute(f"LOCK TABLE {tables} IN SHARE MODE")
        for model, _ in kept_tables():
            table = model._meta.db_table
            cursor.execute(counting(model, quote))
            rows = cursor.fetchone()[0]
            kept = RowCount.objects.using(using).filter(table=table).first()
            if kept is None or kept.rows != rows:
                differed += 1
                RowCount.objects.using(using).update_or_create(
                    table=table, defaults={"rows": rows}
                )
    return differed
