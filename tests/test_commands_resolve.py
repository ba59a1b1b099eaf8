import json
import subprocess
import sys
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from roadmap.models import DietSession
from tests.conftest import PROJECT_DIR, child_environment

pytestmark = pytest.mark.django_db


def resolve(*args):
    out = StringIO()
    call_command("resolve_deadline", *args, stdout=out)
    return out.getvalue()


def test_prints_one_json_line_with_the_window():
    output = resolve("次期通常国会", "--reference", "2024-06-21")
    assert output.count("\n") == 1
    assert json.loads(output) == {
        "phrase": "次期通常国会",
        "start": "2025-01-24",
        "end": "2025-06-22",
        "deadline": "2025-06-22",
        "precision": "diet_session",
        "soft": False,
        "rule": "diet",
    }


def test_japanese_is_printed_as_is_not_escaped():
    assert "原則2025年度までに" in resolve("原則2025年度までに", "--reference", "2024-06-21")


def test_start_kind_is_due_on_the_first_day():
    result = json.loads(resolve("2025年度以降", "--kind", "start", "--reference", "2024-06-21"))
    assert (result["start"], result["end"]) == ("2025-04-01", None)
    assert result["deadline"] == "2025-04-01"


def test_open_phrase_has_no_dates():
    result = json.loads(resolve("速やかに"))
    assert (result["start"], result["end"], result["deadline"], result["precision"]) == (
        None,
        None,
        None,
        "open",
    )


def test_reference_defaults_to_today_in_tokyo(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: date(2025, 7, 1))
    assert json.loads(resolve("来年度"))["start"] == "2026-04-01"


def test_diet_sessions_come_from_the_database():
    DietSession.objects.create(
        number=223, convened_on=date(2027, 1, 22), closes_on=date(2027, 6, 20)
    )
    result = json.loads(resolve("次期通常国会", "--reference", "2026-07-01"))
    assert (result["start"], result["end"], result["soft"]) == ("2027-01-22", "2027-06-20", False)


def test_unresolvable_phrase_is_a_usage_error_naming_it():
    with pytest.raises(CommandError) as error:
        resolve("いつか")
    assert error.value.returncode == 2
    assert "いつか" in str(error.value)


def test_bad_reference_date_is_a_usage_error():
    with pytest.raises(CommandError) as error:
        resolve("2025年度", "--reference", "2025-02-30")
    assert error.value.returncode == 2
    assert "--reference" in str(error.value)


def run(*args):
    return subprocess.run(
        [sys.executable, "manage.py", "resolve_deadline", *args],
        cwd=PROJECT_DIR,
        env=child_environment(LOG_LEVEL="WARNING"),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_the_command_line_prints_json_and_exits_zero():
    done = run("2024年度後半", "--reference", "2024-06-21")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["start"], result["end"]) == ("2024-10-01", "2025-03-31")
    assert result["rule"] == "fy-half"


@pytest.mark.django_db(transaction=True)
def test_the_command_line_refuses_an_unresolvable_phrase_with_status_2():
    done = run("いつか")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "いつか" in done.stderr


@pytest.mark.django_db(transaction=True)
def test_the_command_line_refuses_a_bad_reference_with_status_2():
    done = run("2025年度", "--reference", "tomorrow")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "YYYY-MM-DD" in done.stderr


def test_a_phrase_counted_from_an_event_takes_the_event_by_its_code():
    output = resolve(
        "10年を経過する前から", "--kind", "start", "--event", "digital-agency-established"
    )
    result = json.loads(output)
    assert (result["start"], result["deadline"], result["rule"]) == (
        "2031-08-31",
        "2031-08-31",
        "event-before",
    )


def test_an_unknown_event_code_is_refused_naming_the_known_ones():
    with pytest.raises(CommandError, match="known: digital-agency-established") as error:
        resolve("10年を経過する前から", "--event", "moon-landing")
    assert error.value.returncode == 2


def test_a_yearly_recurrence_prints_this_years_and_next_years_occurrence():
    result = json.loads(resolve("毎年度6月", "--reference", "2026-11-28"))
    assert result["recurrence"] is True
    assert [(o["year"], o["phrase"], o["deadline"]) for o in result["occurrences"]] == [
        (2026, "2026年6月", "2026-06-30"),
        (2027, "2027年6月", "2027-06-30"),
    ]
