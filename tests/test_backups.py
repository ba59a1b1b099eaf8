"""make backup / make restore: back up, change data, restore, and find the first state."""

import io
import sqlite3

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from roadmap.models import DashboardState, Milestone
from tests.factories import MilestoneFactory

EMBEDDED = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="the embedded SQLite database only; PostgreSQL is backed up with pg_dump",
)


@EMBEDDED
@pytest.mark.django_db(transaction=True)
def test_a_restore_brings_back_the_state_of_the_backup(tmp_path):
    kept = MilestoneFactory(title_ja="バックアップ前")
    backup_file = tmp_path / "tracker.sqlite3"
    out = io.StringIO()
    call_command("backup", "--output", str(backup_file), stdout=out)
    assert f"to {backup_file}." in out.getvalue()

    Milestone.objects.filter(pk=kept.pk).update(title_ja="バックアップ後")
    added = MilestoneFactory()
    call_command("restore", str(backup_file), stdout=io.StringIO())

    assert list(Milestone.objects.values_list("pk", "title_ja")) == [(kept.pk, "バックアップ前")]
    assert not Milestone.objects.filter(pk=added.pk).exists()


@EMBEDDED
@pytest.mark.django_db(transaction=True)
def test_a_restore_moves_the_count_of_changes_past_any_reached_before(tmp_path):
    # The row migration 0011 made: an earlier test's flush may have emptied the table.
    DashboardState.objects.get_or_create(pk=DashboardState.ROW)
    backup_file = tmp_path / "tracker.sqlite3"
    call_command("backup", "--output", str(backup_file), stdout=io.StringIO())
    MilestoneFactory()
    MilestoneFactory()
    reached = DashboardState.changes_now()
    call_command("restore", str(backup_file), stdout=io.StringIO())
    assert DashboardState.changes_now() == reached + 1


@EMBEDDED
@pytest.mark.django_db
def test_a_backup_never_overwrites_a_file(tmp_path):
    existing = tmp_path / "old.sqlite3"
    existing.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", "--output", str(existing))
    assert existing.read_bytes() == b"keep me"


@EMBEDDED
@pytest.mark.django_db
@pytest.mark.parametrize("content", ["missing", "not a database", "another database"])
def test_restore_refuses_what_is_not_a_tracker_backup(tmp_path, content):
    MilestoneFactory(title_ja="残る")
    candidate = tmp_path / "candidate.sqlite3"
    if content == "not a database":
        candidate.write_bytes(b"SQLite format 2\x00" + b"x" * 200)
    elif content == "another database":
        with sqlite3.connect(candidate) as other:
            other.execute("CREATE TABLE notes (text)")
    with pytest.raises(CommandError):
        call_command("restore", str(candidate))
    assert Milestone.objects.get().title_ja == "残る"


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_is_backed_up_with_pg_dump(tmp_path):
    with pytest.raises(CommandError, match="pg_dump"):
        call_command("backup", "--output", str(tmp_path / "x.sqlite3"))
