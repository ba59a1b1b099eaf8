"""The chaos soak: its ledger of owed notices, and a two-minute run of the whole stack.

The run needs PostgreSQL and redis-server (it starts a Redis of its own); without them it is
skipped with the reason, and under CI=true it fails.
"""

import json
import shutil
import subprocess
import sys
from datetime import date

import pytest

from loadtest.ledger import Ledger, Owner, State, compare, owed_on
from tests.conftest import PROJECT_DIR, child_environment, require, subprocess_database_url

DAY = date(2026, 4, 10)
OWNER = Owner("owner@example.jp", organization=1, leads=(7, 1), every=3, mailed=True)
SILENT = Owner("off@example.jp", organization=1, leads=(7, 1), every=3, mailed=False)


def test_an_owner_is_owed_the_nearest_lead_time_reached():
    states = {10: State(1, date(2026, 4, 15), closed=False)}

    assert owed_on(DAY, states, [OWNER, SILENT]) == {
        ("owner@example.jp", 10, "due_soon", date(2026, 4, 15), 7)
    }


def test_overdue_notices_repeat_by_period_and_stop_when_closed():
    late = State(1, date(2026, 4, 5), closed=False)

    owed = {day: owed_on(date(2026, 4, day), {10: late}, [OWNER]) for day in (6, 8, 9, 12)}

    assert [next(iter(owed[day]))[4] for day in (6, 8, 9, 12)] == [1, 1, 4, 7]
    assert owed_on(DAY, {10: State(1, date(2026, 4, 5), closed=True)}, [OWNER]) == set()


def test_a_later_edit_overtakes_a_notice_but_it_may_still_arrive_once():
    ledger = Ledger([OWNER])
    ledger.initial = {10: State(1, date(2026, 4, 12), False)}
    ledger.days[DAY] = dict(ledger.initial)
    ledger.days[date(2026, 4, 11)] = {10: State(1, date(2026, 5, 30), False)}
    notice = ("owner@example.jp", 10, "due_soon", date(2026, 4, 12), 7)

    assert notice not in ledger.firm()
    assert compare(ledger, [notice], set()).ok
    assert compare(ledger, [notice, notice], set()).duplicated == [notice]


def test_a_status_change_that_leaves_the_milestone_open_overtakes_nothing():
    ledger = Ledger([OWNER])
    ledger.days[DAY] = {10: State(1, date(2026, 4, 12), False)}
    # Planned → in progress: the same deadline, still open.
    ledger.days[date(2026, 4, 11)] = {10: State(1, date(2026, 4, 12), False)}

    assert ("owner@example.jp", 10, "due_soon", date(2026, 4, 12), 7) in ledger.firm()


def test_the_comparison_names_what_was_lost_and_what_was_never_owed():
    ledger = Ledger([OWNER])
    ledger.days[DAY] = {10: State(1, date(2026, 4, 12), False)}
    owed = ("owner@example.jp", 10, "due_soon", date(2026, 4, 12), 7)
    stranger = ("owner@example.jp", 11, "overdue", date(2026, 4, 1), 1)

    comparison = compare(ledger, [stranger], set())

    assert (comparison.lost, comparison.unowed) == ([owed], [stranger])


def test_a_refused_notice_is_owed_again_once_sent_again_unless_it_no_longer_applied():
    ledger = Ledger([OWNER])
    ledger.days[DAY] = {10: State(1, date(2026, 4, 12), False)}
    owed = ("owner@example.jp", 10, "due_soon", date(2026, 4, 12), 7)

    assert compare(ledger, [owed], {owed}).ok
    assert compare(ledger, [], {owed}).lost == [owed]
    comparison = compare(ledger, [], {owed}, no_longer_applied={owed})
    assert comparison.ok and (comparison.refused, comparison.no_longer_applied) == (1, 1)
    # Left out without a refusal first is lost all the same.
    assert compare(ledger, [], set(), no_longer_applied={owed}).lost == [owed]


def test_only_a_change_within_the_window_overtakes_a_notice():
    notice = ("owner@example.jp", 10, "due_soon", date(2026, 4, 12), 7)

    def ledger_with_revision_after(seconds):
        ledger = Ledger([OWNER], window=60.0)
        ledger.record(DAY, {10: State(1, date(2026, 4, 12), False)}, began=0.0, at=1.0)
        ledger.record(
            date(2026, 4, 11),
            {10: State(1, date(2026, 5, 30), False)},
            began=1.0 + seconds,
            at=2.0 + seconds,
        )
        return ledger

    assert notice not in ledger_with_revision_after(59.0).firm()
    assert notice in ledger_with_revision_after(61.0).firm()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_minutes_of_faults_deliver_every_owed_notice_once(tmp_path):
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    summary = tmp_path / "soak.json"
    command = [
        sys.executable, "-m", "loadtest.soak", "--minutes", "2", "--seed", "16",
        "--database-url", subprocess_database_url(), "--work", str(tmp_path / "work"),
        "--output", str(tmp_path / "soak.md"), "--summary", str(summary),
    ]  # fmt: skip
    finished = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert summary.exists(), finished.stdout[-3000:] + finished.stderr[-3000:]
    result = json.loads(summary.read_text())
    log = finished.stdout[-4000:]

    assert sum(result["faults"].values()) >= 3, log
    assert result["days"] >= 3, log
    assert result["owed"] > 0 and result["owed_delivered"] > 0, log
    assert result["duplicated"] == [], log
    assert result["lost"] == [], log
    assert result["unowed"] == [], log
    assert result["problems"] == [], log
    assert result["passed"] and finished.returncode == 0, log
