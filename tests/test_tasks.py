import subprocess
import sys
from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command

from roadmap.models import Milestone, Notification
from roadmap.tasks import (
    flag_overdue_task,
    queue_notifications_task,
    send_digests_task,
    send_notifications_task,
    send_pending_task,
)
from tests.conftest import PROJECT_DIR, child_environment
from tests.factories import MembershipFactory, MilestoneFactory, NotificationFactory
from tracker.celery import app

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
DEADLINE = date(2026, 3, 31)


@pytest.fixture
def clock(monkeypatch):
    """Set the wall clock that timezone.now() and timezone.localdate() read."""

    def set_to(moment):
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)

    return set_to


def owned_milestone(**fields):
    return MilestoneFactory(owner=MembershipFactory().organization, **fields)


# The beat schedule ---------------------------------------------------------------------------


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    names = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert names
    assert all(name in app.tasks for name in names), set(names) - set(app.tasks)


def test_beat_runs_the_jobs_at_their_tokyo_times():
    assert app.conf.timezone == "Asia/Tokyo"
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    flag = schedule["roadmap.tasks.flag_overdue_task"]
    morning = schedule["roadmap.tasks.send_notifications_task"]
    catch_up = schedule["roadmap.tasks.send_pending_task"]
    assert all(isinstance(s, crontab) for s in (flag, morning, catch_up))
    assert (flag.hour, flag.minute) == ({0}, {5})
    assert (morning.hour, morning.minute) == ({8}, {0})
    assert catch_up.minute == set(range(0, 60, 15))
    assert len(catch_up.hour) == 24


# Tasks ---------------------------------------------------------------------------------------


def test_a_deadline_is_not_overdue_one_minute_before_midnight_in_tokyo(clock):
    milestone = MilestoneFactory(deadline=DEADLINE)
    clock(datetime(2026, 3, 31, 23, 59, tzinfo=TOKYO))
    assert flag_overdue_task() == {"flagged": 0, "cleared": 0}
    milestone.refresh_from_db()
    assert milestone.overdue_since is None


def test_a_deadline_is_overdue_from_midnight_in_tokyo_while_utc_is_still_on_it(clock):
    milestone = MilestoneFactory(deadline=DEADLINE)
    # 2026-04-01 00:00 JST is 2026-03-31 15:00 UTC.
    clock(datetime(2026, 3, 31, 15, 0, tzinfo=ZoneInfo("UTC")))
    assert flag_overdue_task() == {"flagged": 1, "cleared": 0}
    milestone.refresh_from_db()
    assert milestone.overdue_since == date(2026, 4, 1)


def test_tasks_take_an_iso_date_for_a_late_run():
    MilestoneFactory(deadline=DEADLINE)
    assert flag_overdue_task("2026-04-10") == {"flagged": 1, "cleared": 0}


def test_a_task_given_a_bad_date_fails_for_celery_to_see():
    with pytest.raises(
        ValueError, match="as_of must be a date written YYYY-MM-DD, not '2026-04-31'"
    ):
        flag_overdue_task("2026-04-31")


def test_the_jobs_take_the_day_of_the_simulated_clock_when_one_is_set(settings, tmp_path):
    MilestoneFactory(deadline=DEADLINE)
    settings.ROADMAP_CLOCK_FILE = str(tmp_path / "clock")
    (tmp_path / "clock").write_text("2026-03-31\n")
    assert flag_overdue_task() == {"flagged": 0, "cleared": 0}
    (tmp_path / "clock").write_text("2026-04-01")
    assert flag_overdue_task() == {"flagged": 1, "cleared": 0}


def test_a_simulated_clock_without_a_date_stops_the_job_with_a_sentence(settings, tmp_path):
    settings.ROADMAP_CLOCK_FILE = str(tmp_path / "clock")
    (tmp_path / "clock").write_text("tomorrow")
    with pytest.raises(ValueError, match="must hold a date written YYYY-MM-DD, not 'tomorrow'"):
        flag_overdue_task()


def test_the_morning_task_queues_and_mails_the_digests(clock):
    milestone = owned_milestone(deadline=DEADLINE)
    clock(datetime(2026, 4, 1, 8, 0, tzinfo=TOKYO))
    result = send_notifications_task()
    assert result["queued"] == {"overdue": 1, "due_soon": 0, "behind": 0}
    assert (result["sent"]["mails"], result["sent"]["notifications"]) == (1, 1)
    assert mail.outbox[0].to == [milestone.owner.memberships.get().user.email]


def test_queue_and_send_tasks_can_run_separately(clock):
    owned_milestone(deadline=DEADLINE)
    clock(datetime(2026, 4, 1, 8, 0, tzinfo=TOKYO))
    assert queue_notifications_task("2026-04-01") == {"overdue": 1, "due_soon": 0}
    assert send_digests_task("2026-04-01")["mails"] == 1


def test_the_catch_up_task_sends_what_is_queued_but_unsent(clock):
    clock(datetime(2026, 4, 2, 9, 15, tzinfo=TOKYO))
    queued = NotificationFactory(next_attempt_at=datetime(2026, 4, 2, 9, 0, tzinfo=TOKYO))
    assert send_pending_task()["mails"] == 1
    queued.refresh_from_db()
    assert queued.state == Notification.State.SENT


def test_rerunning_the_morning_task_sends_nothing_more(clock):
    owned_milestone(deadline=DEADLINE)
    clock(datetime(2026, 4, 1, 8, 0, tzinfo=TOKYO))
    send_notifications_task()
    again = send_notifications_task()
    assert again["queued"] == {"overdue": 0, "due_soon": 0, "behind": 0}
    assert again["sent"]["mails"] == 0
    assert len(mail.outbox) == 1


# Management commands -------------------------------------------------------------------------


def test_flag_overdue_command_prints_the_counts():
    MilestoneFactory(deadline=DEADLINE)
    out = StringIO()
    call_command("flag_overdue", "--as-of", "2026-04-01", stdout=out)
    assert out.getvalue().strip() == "Flagged 1, cleared 0."
    assert Milestone.objects.get().overdue_since == date(2026, 4, 1)


def test_send_notifications_command_queues_then_sends(clock):
    owned_milestone(deadline=DEADLINE)
    clock(datetime(2026, 4, 1, 8, 0, tzinfo=TOKYO))
    out = StringIO()
    call_command("send_notifications", "--as-of", "2026-04-01", stdout=out)
    assert "Queued 1 overdue and 0 due-soon notices, 0 behind-target" in out.getvalue()
    assert "Sent 1 digests covering 1 notices" in out.getvalue()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("command", ["flag_overdue", "send_notifications"])
def test_a_bad_date_is_refused_with_a_sentence(command):
    with pytest.raises(CommandError, match=r"--as-of must be a date written YYYY-MM-DD"):
        call_command(command, "--as-of", "2026/04/01")


def test_a_bad_date_exits_non_zero_with_the_sentence_on_stderr():
    result = subprocess.run(
        [sys.executable, "manage.py", "flag_overdue", "--as-of", "yesterday"],
        cwd=PROJECT_DIR,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "--as-of must be a date written YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.stderr
