"""Importing indicator measurements: all rows checked first, owners only, idempotent."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from roadmap.imports import ImportRejected
from roadmap.measurement_imports import import_measurements
from roadmap.models import Measurement
from roadmap.xlsx import Sheet, workbook
from tests.factories import IndicatorFactory, MeasurementFactory, MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

HEADER = "indicator,measured_on,value,source\n"


@pytest.fixture
def indicator():
    return IndicatorFactory(ref="staff")


def csv_file(text):
    return io.BytesIO(("\ufeff" + text).encode("utf-8"))


def rejected(text, **kwargs):
    with pytest.raises(ImportRejected) as error:
        import_measurements(csv_file(text), **kwargs)
    return [str(e) for e in error.value.errors]


def test_a_valid_file_records_its_measurements(indicator):
    result = import_measurements(csv_file(HEADER + 'staff,2025-04-01,"1,100",組織定員\n'))
    assert result.created == ["staff@2025-04-01"]
    measurement = Measurement.objects.get()
    assert (measurement.value, measurement.measured_on, measurement.source) == (
        1100,
        date(2025, 4, 1),
        "組織定員",
    )


def test_importing_the_same_file_twice_records_nothing_new(indicator):
    text = HEADER + "staff,2025-04-01,1100,組織定員\n"
    import_measurements(csv_file(text))
    result = import_measurements(csv_file(text))
    assert (result.created, result.unchanged) == ([], ["staff@2025-04-01"])
    assert Measurement.objects.count() == 1


def test_one_bad_row_rejects_the_file_naming_each_line_and_column(indicator):
    text = (
        HEADER
        + "staff,2025-04-01,1100,組織定員\n"
        + "nobody,2025-13-01,many,\n"
        + "staff,2025-04-01,1200,組織定員\n"
    )
    assert rejected(text) == [
        "line 3, column indicator: no indicator has the ref 'nobody'.",
        "line 3, column measured_on: '2025-13-01' is not a day of the calendar.",
        "line 3, column value: 'many' is not a number such as 1500 or 1,500.5.",
        "line 3, column source: say where the figure is published.",
        "line 4, column measured_on: staff on 2025-04-01 is also on line 2.",
    ]
    assert not Measurement.objects.exists()


def test_a_different_value_for_a_day_already_measured_is_refused(indicator):
    MeasurementFactory(indicator=indicator, measured_on=date(2025, 4, 1), value=1000)
    assert rejected(HEADER + "staff,2025-04-01,1100,組織定員\n") == [
        "line 2, column value: staff was measured 1000 on 2025-04-01; "
        "correct a recorded measurement in the admin."
    ]


def test_an_importing_user_records_only_their_organizations_indicators(indicator):
    membership = MembershipFactory()
    own = IndicatorFactory(ref="own", owner=membership.organization)
    text = HEADER + "own,2025-04-01,10,x\nstaff,2025-04-01,10,x\n"
    assert rejected(text, user=membership.user) == [
        "line 3, column indicator: you are not an owner of 'staff'."
    ]
    import_measurements(csv_file(HEADER + "own,2025-04-01,10,x\n"), user=membership.user)
    assert Measurement.objects.get().indicator == own


def test_the_command_exits_non_zero_with_the_problems(indicator, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "staff,yesterday,1,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad.csv, line 2, column measured_on"):
        call_command("import_measurements", str(path))


def test_the_command_reports_what_it_recorded(indicator, tmp_path, capsys):
    path = tmp_path / "good.csv"
    path.write_text(HEADER + "staff,2025-04-01,1,x\n", encoding="utf-8")
    call_command("import_measurements", str(path), "--dry-run")
    assert "Would record 1 measurements" in capsys.readouterr().out
    assert not Measurement.objects.exists()


def test_a_workbook_is_read_by_the_same_rules_with_cells_named(indicator):
    sheet = Sheet(
        "測定値",
        list(HEADER.strip().split(",")),
        [10] * 4,
        [
            ["staff", date(2025, 4, 1), 1100, "組織定員"],
            ["staff", "令和7年10月1日", "many", "組織定員"],
        ],
    )
    with pytest.raises(ImportRejected) as error:
        import_measurements(workbook([sheet]))
    assert [str(e) for e in error.value.errors] == [
        "sheet 測定値, cell C3 (value): 'many' is not a number such as 1500 or 1,500.5."
    ]
    sheet.rows[1][2] = 1150
    result = import_measurements(workbook([sheet]))
    assert result.created == ["staff@2025-04-01", "staff@2025-10-01"]
    assert sorted(Measurement.objects.values_list("value", flat=True)) == [1100, 1150]


def test_reasons_are_written_in_the_readers_language(indicator):
    text = HEADER + "staff,2025-04-01,many,\n"
    with translation.override("ja"):
        assert rejected(text) == [
            "2行目、列value：'many'は1500や1,500.5のような数値ではありません。",
            "2行目、列source：数値の公表元を書いてください。",
        ]
