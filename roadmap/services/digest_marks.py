"""Marking the notices of the digests the mail server took: one narrow statement per digest.

The exactly-once promise needs each digest's mark in the database before the next digest is
handed to the mail server: a worker killed between the two then mails that one digest again, no
more. The mark is an INSERT into ``SentMark`` of the digest's notices (``digests._fold_marks``
folds the marks into the notices later).

On PostgreSQL the statement is sent without waiting for its answer (libpq's asynchronous query,
through psycopg's ``pgconn`` and its own non-blocking send and fetch), and the answer is read
just before the next digest goes to the mail server, or before any other statement on the
connection (an execute wrapper): the round trip to the server overlaps with writing the next
digest instead of adding to it. A worker killed with a mark in flight has handed the statement
to the operating system, which delivers it as it closes the socket; the server runs it whole
(it carries its own sync, so it commits) before it reads that the client went away. A mark the
server refuses is written again by the ordinary, waiting path when the batch stops, as before.
Elsewhere (SQLite) each mark is one ordinary statement.
"""

import time
from contextlib import contextmanager, suppress
from datetime import datetime

from django.db import DatabaseError
from django.db import connection as database

from roadmap.models import SentMark


class SentMarks:
    """The marks of one batch's digests, written as the digests go out."""

    def __init__(self, stamp: datetime, counts: dict, every: int):
        self.stamp = stamp
        self.counts = counts
        self.every = every
        # The notices of each digest sent and not marked yet (a refused mark's stay here).
        self.unmarked: list[list] = []
        self.in_flight = None

    def add(self, notices: list) -> None:
        """Count a sent digest's notices in, and mark them once ``every`` digests wait."""
        self.settle()
        self.unmarked.append(notices)
        if len(self.unmarked) < self.every:
            return
        if database.vendor == "postgresql":
            self._send()
        else:
            self.write()

    def write(self) -> None:
        """Mark every unmarked digest's notices with one statement, waiting for it."""
        # A refused mark's digests stay unmarked: written below, where a refusal is raised.
        with suppress(DatabaseError):
            self.settle()
        ids = [notice.pk for digest in self.unmarked for notice in digest]
        if not ids:
            return
        table = database.ops.quote_name(SentMark._meta.db_table)
        stamp = database.ops.adapt_datetimefield_value(self.stamp)
        with database.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (notification_id, sent_at)"  # noqa: S608
                f" VALUES {', '.join(['(%s, %s)'] * len(ids))}",
                [value for pk in ids for value in (pk, stamp)],
            )
        self._count(self.unmarked)
        self.unmarked = []

    def settle(self) -> None:
        """Read the answer to the mark in flight, if any; raise if the server refused it."""
        if self.in_flight is None:
            return
        digests, sql, started = self.in_flight
        self.in_flight = None
        from psycopg import generators, pq

        psycopg_connection = database.connection
        results = psycopg_connection.wait(generators.fetch_many(psycopg_connection.pgconn))
        refused = [r for r in results if r.status != pq.ExecStatus.COMMAND_OK]
        if database.queries_logged:
            seconds = time.monotonic() - started
            database.queries_log.append({"sql": sql, "time": f"{seconds:.3f}"})
        if refused:
            message = refused[0].error_message.decode(errors="replace").strip()
            raise DatabaseError(f"The sent digests could not be marked: {message}")
        # Nothing is added while a mark is in flight: what was unmarked is marked now.
        self._count(digests)
        self.unmarked = []

    def _send(self) -> None:
        from psycopg import generators

        ids = [notice.pk for digest in self.unmarked for notice in digest]
        table = database.ops.quote_name(SentMark._meta.db_table)
        sql = (
            f"INSERT INTO {table} (notification_id, sent_at)"
            " SELECT unnest($1::bigint[]), $2::timestamptz"
        )
        database.ensure_connection()
        psycopg_connection = database.connection
        pgconn = psycopg_connection.pgconn
        started = time.monotonic()
        pgconn.send_query_params(
            sql.encode(),
            [f"{{{','.join(map(str, ids))}}}".encode(), self.stamp.isoformat().encode()],
        )
        psycopg_connection.wait(generators.send(pgconn))
        self.in_flight = (list(self.unmarked), f"{sql} -- {len(ids)} notices", started)

    def _count(self, digests) -> None:
        self.counts["mails"] += len(digests)
        self.counts["notifications"] += sum(len(digest) for digest in digests)


@contextmanager
def marking(stamp: datetime, counts: dict, *, every: int):
    """Yield a batch's marks; any statement on the connection first reads the mark in flight.

    When the block ends, also on an exception, every digest sent is marked.
    """
    marks = SentMarks(stamp, counts, every)

    def settled_first(execute, sql, params, many, context):
        marks.settle()
        return execute(sql, params, many, context)

    try:
        with database.execute_wrapper(settled_first):
            yield marks
    finally:
        marks.write()
