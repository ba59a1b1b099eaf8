"""Backups of the embedded SQLite database with SQLite's online backup API.

The backup API copies a consistent snapshot page by page while the web and worker processes go
on using the database; a restore copies the other way. PostgreSQL is backed up with pg_dump
(docs/operations.md).
"""

import sqlite3
from contextlib import closing
from pathlib import Path

from django.db import connections
from django.utils import timezone


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason as one sentence."""


def sqlite_path(alias="default") -> Path:
    """Return the file of the SQLite database, or raise BackupError for any other database."""
    connection = connections[alias]
    if connection.vendor != "sqlite":
        raise BackupError(
            f"The database is {connection.vendor}, not the embedded SQLite: back it up with "
            "pg_dump and restore it with pg_restore (see docs/operations.md)."
        )
    return Path(connection.settings_dict["NAME"])


def default_backup_file(directory: Path) -> Path:
    return directory / f"tracker-{timezone.localtime():%Y%m%d-%H%M%S}.sqlite3"


def backup(source: Path, target: Path) -> None:
    """Copy the live database ``source`` into the new file ``target``."""
    if target.exists():
        raise BackupError(f"{target} exists already; name a new file.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with _open(source) as live, _open(target) as copy:
        live.backup(copy)


def restore(backup_file: Path, target: Path) -> None:
    """Replace the contents of the database ``target`` with those of ``backup_file``."""
    if not backup_file.is_file():
        raise BackupError(f"There is no backup file {backup_file}.")
    with _open(backup_file) as copy:
        _check(copy, backup_file)
        # Every connection of this process is closed, so none holds the old pages.
        connections.close_all()
        with _open(target) as live:
            changes = counted_changes(live)
            copy.backup(live)
            # The count of changes only goes forward, so that nothing keyed by a count reached
            # before the restore (a kept dashboard, an export's ETag) is taken for the rows now
            # restored.
            if changes is not None:
                live.execute(
                    "UPDATE roadmap_dashboardstate SET changes = MAX(changes, ?) + 1", (changes,)
                )
                live.commit()


def counted_changes(database) -> int | None:
    """Return the count of changes of a tracker database (None before it was counted)."""
    try:
        row = database.execute("SELECT changes FROM roadmap_dashboardstate").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def _check(database, name) -> None:
    """Refuse a file that is not an intact tracker database."""
    try:
        [(state,)] = database.execute("PRAGMA quick_check").fetchall()
        tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{name} is not an SQLite database ({error}).") from error
    if state != "ok":
        raise BackupError(f"{name} is damaged: {state}.")
    if not {"django_migrations", "roadmap_milestone"} <= tables:
        raise BackupError(f"{name} is not a backup of the tracker: its tables are missing.")


def _open(path: Path):
    """Return an SQLite connection that waits for locks, closed on leaving the ``with`` block."""
    return closing(sqlite3.connect(path, timeout=20))
