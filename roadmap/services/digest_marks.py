"""Marking the notices of the digests the mail server took: one narrow statement per digest.

The exactly-once promise needs each digest's mark in the database before the next digest is
handed to the mail server: a worker killed between the two then mails that one digest again, no
more. The mark is an INSERT into ``SentMark`` of the digest's notices (``digests._fold_marks``
folds the marks into the notices later).

On PostgreSQL the statement is prepared once per batch (parsed and planned once, not per digest;
deallocated as the batch ends) and sent without waiting for its answer (libpq's asynchronous query,
through psycopg's ``pgconn`` and its own non-blocking send and fetch), and the answer is read just
before the next digest goes to the mail server, or before any other statement on the connection (an
execute wrapper): the round trip to the server overlaps with writing the next digest instead of
adding to it. A worker killed with a mark in flight has handed the statement to the operating
system, which delivers it as it closes the socket; the server runs it whole (it carries its own
sync, so it commits) before it reads that the client went away. A mark that fails
(``MarkingFailed``) stops the run, as any failure of the database does: its digests are written
once more by the ordinary, waiting statement as the batch ends, which raises the database's own
error if that fails too. Elsewhere (SQLite) each mark is one ordinary statement.
"""

import itertools
import time
from contextlib import contextmanager, suppress
from datetime import datetime

import psycopg
from django.db import DatabaseError
from django.db import connection as database
from psycopg import generators, pq

from roadmap.models import SentMark


class MarkingFailed(DatabaseError):
    """A mark sent without waiting failed: the run stops; no digest is to blame."""


# Each batch's marking statement has a name of its own in the session: one left prepared by a
# batch that could not deallocate it never stands in the way of the next.
_STATEMENT_NUMBERS = itertools.count(1)
# The states of a session that can still run a statement (not a failed transaction).
USABLE = (pq.TransactionStatus.IDLE, pq.TransactionStatus.INTRANS)


class SentMarks:
    """The marks of one batch's digests, written as the digests go out."""

    def __init__(self, stamp: datetime, counts: dict, every: int):
        self.stamp = stamp
        self.counts = counts
        self.every = every
        # The notices of each digest sent and not marked yet (a refused mark's stay here).
        self.unmarked: list[list] = []
        # The digests of the mark sent and not answered yet, and when it was sent.
        self.in_flight = None
        self.table = database.ops.quote_name(SentMark._meta.db_table)
        # The server session (libpq connection) the statement is prepared in, if any.
        self.prepared_in = None
        if database.vendor == "postgresql":
            # Made once: a run sends this statement once per digest.
            self.query = (
                f"INSERT INTO {self.table} (notification_id, sent_at)"
                " SELECT unnest($1::bigint[]), $2::timestamptz"
            )
            self.stamp_parameter = self.stamp.isoformat().encode()
            self.name = f"roadmap_sent_mark_{next(_STATEMENT_NUMBERS)}"

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
        # A failed mark's digests stay unmarked: written below, where a failure is raised.
        with suppress(MarkingFailed):
            self.settle()
        ids = [notice.pk for digest in self.unmarked for notice in digest]
        if not ids:
            return
        stamp = database.ops.adapt_datetimefield_value(self.stamp)
        with database.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self.table} (notification_id, sent_at)"  # noqa: S608
                f" VALUES {', '.join(['(%s, %s)'] * len(ids))}",
                [value for pk in ids for value in (pk, stamp)],
            )
        self._count(self.unmarked)
        self.unmarked = []

    def settle(self) -> None:
        """Read the answer to the mark in flight, if any; raise if the server refused it."""
        if self.in_flight is None:
            return
        digests, started = self.in_flight
        self.in_flight = None
        psycopg_connection = database.connection
        try:
            results = psycopg_connection.wait(generators.fetch_many(psycopg_connection.pgconn))
        except psycopg.Error as error:
            raise MarkingFailed(f"The sent digests could not be marked: {error}") from error
        if database.queries_logged:
            notices = sum(len(digest) for digest in digests)
            self._log(f"EXECUTE {self.name} -- {notices} notices", started)
        _raise_if_refused(results)
        # Nothing is added while a mark is in flight: what was unmarked is marked now.
        self._count(digests)
        self.unmarked = []

    def _send(self) -> None:
        """Send the statement marking every unmarked digest's notices, without waiting."""
        database.ensure_connection()
        psycopg_connection = database.connection
        pgconn = psycopg_connection.pgconn
        if self.prepared_in is not pgconn:
            self._prepare(psycopg_connection)
        ids = ",".join(str(notice.pk) for digest in self.unmarked for notice in digest)
        started = time.monotonic()
        try:
            pgconn.send_query_prepared(
                self.name.encode(), [f"{{{ids}}}".encode(), self.stamp_parameter]
            )
            _flush(psycopg_connection)
        except psycopg.Error as error:
            raise MarkingFailed(f"The sent digests could not be marked: {error}") from error
        self.in_flight = (self.unmarked, started)
        self.unmarked = list(self.unmarked)

    def _prepare(self, psycopg_connection) -> None:
        """Prepare the marking statement in the connection's session, waiting for the answer."""
        pgconn = psycopg_connection.pgconn
        started = time.monotonic()
        try:
            pgconn.send_prepare(self.name.encode(), self.query.encode())
            _flush(psycopg_connection)
            results = psycopg_connection.wait(generators.fetch_many(pgconn))
        except psycopg.Error as error:
            raise MarkingFailed(f"The sent digests could not be marked: {error}") from error
        self._log(f"PREPARE {self.name} AS {self.query}", started)
        _raise_if_refused(results)
        self.prepared_in = pgconn

    def close(self) -> None:
        """Deallocate the prepared marking statement, if any and the session can still do so."""
        if self.prepared_in is None:
            return
        prepared_in, self.prepared_in = self.prepared_in, None
        psycopg_connection = database.connection
        if (
            psycopg_connection is None
            or psycopg_connection.pgconn is not prepared_in
            or prepared_in.transaction_status not in USABLE
        ):
            # Gone with its session, or in a transaction that failed: the statement stays
            # prepared in that session under a name no other batch uses.
            return
        with suppress(DatabaseError), database.cursor() as cursor:
            cursor.execute(f"DEALLOCATE {self.name}")

    def _log(self, sql: str, started: float) -> None:
        if database.queries_logged:
            database.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})

    def _count(self, digests) -> None:
        self.counts["mails"] += len(digests)
        self.counts["notifications"] += sum(len(digest) for digest in digests)


def _flush(psycopg_connection) -> None:
    """Send now whatever of the queued statement the socket did not take at once."""
    if psycopg_connection.pgconn.flush():
        psycopg_connection.wait(generators.send(psycopg_connection.pgconn))


def _raise_if_refused(results) -> None:
    """Raise MarkingFailed with the server's message if it refused a statement of ``results``."""
    refused = [result for result in results if result.status != pq.ExecStatus.COMMAND_OK]
    if refused:
        message = refused[0].error_message.decode(errors="replace").strip()
        raise MarkingFailed(f"The sent digests could not be marked: {message}")


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
        try:
            marks.write()
        finally:
            marks.close()
