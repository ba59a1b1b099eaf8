"""Deadline phrases resolve into windows of dates as docs/deadline-phrases.md specifies."""

import itertools
from dataclasses import astuple
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roadmap import periods
from roadmap.periods import (
    RULES,
    DietSession,
    Kind,
    PhraseError,
    Precision,
    Window,
    era_year_label,
    fiscal_half,
    fiscal_quarter,
    fiscal_year,
    fiscal_year_bounds,
    fiscal_year_label,
    half_bounds,
    quarter_bounds,
    quarter_label,
    resolve,
    season_bounds,
)

PLAN_DECIDED = date(2024, 6, 21)
SESSIONS = (
    DietSession(213, date(2024, 1, 26), date(2024, 6, 23)),
    DietSession(217, date(2025, 1, 24), date(2025, 6, 22)),
    DietSession(220, date(2026, 1, 23), date(2026, 6, 21)),
)
SPEC_RULES = (
    *("fy-within", "fy-by", "fy-from", "fy-half", "fy-quarter"),
    *("cy-within", "cy-by", "cy-half", "season", "season-half", "year-end"),
    *("month", "month-by", "ten-day", "day", "diet", "relative", "span", "within-years", "open"),
)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
D = date


def window(phrase, reference=PLAN_DECIDED, sessions=SESSIONS):
    return resolve(phrase, reference=reference, diet_sessions=sessions)


def dates(phrase, reference=PLAN_DECIDED):
    found = window(phrase, reference)
    return found.start, found.end


def kanji(number):
    """Write 1–99 in kanji numerals as plans do: 元, 七, 十, 三十一."""
    digits = "〇一二三四五六七八九"
    if number == 1:
        return "元"
    tens, ones = divmod(number, 10)
    if not tens:
        return digits[ones]
    return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")


def resolved_alike(first, second):
    return astuple(first)[1:] == astuple(second)[1:]


# Worked examples of the specification -------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "kind", "start", "end", "deadline"),
    [
        ("2024年夏までに", Kind.DEADLINE, None, D(2024, 8, 31), D(2024, 8, 31)),
        ("2024年度中に", Kind.DEADLINE, D(2024, 4, 1), D(2025, 3, 31), D(2025, 3, 31)),
        ("2024年度後半", Kind.DEADLINE, D(2024, 10, 1), D(2025, 3, 31), D(2025, 3, 31)),
        ("原則2025年度までに", Kind.DEADLINE, None, D(2026, 3, 31), D(2026, 3, 31)),
        ("2025年までに", Kind.DEADLINE, None, D(2025, 12, 31), D(2025, 12, 31)),
        ("2025年度以降", Kind.START, D(2025, 4, 1), None, D(2025, 4, 1)),
        ("次期通常国会", Kind.DEADLINE, D(2025, 1, 24), D(2025, 6, 22), D(2025, 6, 22)),
        ("2024年4月", Kind.EVENT, D(2024, 4, 1), D(2024, 4, 30), None),
    ],
)
def test_worked_examples_resolve_as_the_specification_shows(phrase, kind, start, end, deadline):
    found = window(phrase)
    assert (found.start, found.end, found.deadline(kind)) == (start, end, deadline)


def test_principle_marker_is_kept_in_the_phrase_and_changes_nothing():
    found = window("原則2025年度までに")
    assert found.phrase == "原則2025年度までに"
    assert found == Window(
        "原則2025年度までに", None, D(2026, 3, 31), "fiscal_year", False, "fy-by"
    )


# Every rule of the table ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "start", "end", "precision", "rule"),
    [
        ("2024年度中", D(2024, 4, 1), D(2025, 3, 31), Precision.FISCAL_YEAR, "fy-within"),
        ("2024年度内", D(2024, 4, 1), D(2025, 3, 31), Precision.FISCAL_YEAR, "fy-within"),
        ("2024年度", D(2024, 4, 1), D(2025, 3, 31), Precision.FISCAL_YEAR, "fy-within"),
        ("2026年度まで", None, D(2027, 3, 31), Precision.FISCAL_YEAR, "fy-by"),
        ("2026年度までに", None, D(2027, 3, 31), Precision.FISCAL_YEAR, "fy-by"),
        ("2026年度末", None, D(2027, 3, 31), Precision.FISCAL_YEAR, "fy-by"),
        ("2026年度末まで", None, D(2027, 3, 31), Precision.FISCAL_YEAR, "fy-by"),
        ("2026年度から", D(2026, 4, 1), None, Precision.FISCAL_YEAR, "fy-from"),
        ("2026年度以降", D(2026, 4, 1), None, Precision.FISCAL_YEAR, "fy-from"),
        ("2026年度〜", D(2026, 4, 1), None, Precision.FISCAL_YEAR, "fy-from"),
        ("2024年度前半", D(2024, 4, 1), D(2024, 9, 30), Precision.HALF, "fy-half"),
        ("2024年度上期", D(2024, 4, 1), D(2024, 9, 30), Precision.HALF, "fy-half"),
        ("2024年度上半期", D(2024, 4, 1), D(2024, 9, 30), Precision.HALF, "fy-half"),
        ("2024年度後半", D(2024, 10, 1), D(2025, 3, 31), Precision.HALF, "fy-half"),
        ("2024年度下期", D(2024, 10, 1), D(2025, 3, 31), Precision.HALF, "fy-half"),
        ("2024年度下半期", D(2024, 10, 1), D(2025, 3, 31), Precision.HALF, "fy-half"),
        ("2024年度第1四半期", D(2024, 4, 1), D(2024, 6, 30), Precision.QUARTER, "fy-quarter"),
        ("2024年度第2四半期", D(2024, 7, 1), D(2024, 9, 30), Precision.QUARTER, "fy-quarter"),
        ("2024年度第3四半期", D(2024, 10, 1), D(2024, 12, 31), Precision.QUARTER, "fy-quarter"),
        ("2024年度第4四半期", D(2025, 1, 1), D(2025, 3, 31), Precision.QUARTER, "fy-quarter"),
        ("2025年中", D(2025, 1, 1), D(2025, 12, 31), Precision.CALENDAR_YEAR, "cy-within"),
        ("2025年内", D(2025, 1, 1), D(2025, 12, 31), Precision.CALENDAR_YEAR, "cy-within"),
        ("2025年まで", None, D(2025, 12, 31), Precision.CALENDAR_YEAR, "cy-by"),
        ("遅くとも2025年", None, D(2025, 12, 31), Precision.CALENDAR_YEAR, "cy-by"),
        ("2025年以降", D(2025, 1, 1), None, Precision.CALENDAR_YEAR, "cy-from"),
        ("2025年前半", D(2025, 1, 1), D(2025, 6, 30), Precision.HALF, "cy-half"),
        ("2025年後半", D(2025, 7, 1), D(2025, 12, 31), Precision.HALF, "cy-half"),
        ("2025年春", D(2025, 3, 1), D(2025, 5, 31), Precision.SEASON, "season"),
        ("2025年夏", D(2025, 6, 1), D(2025, 8, 31), Precision.SEASON, "season"),
        ("2025年秋", D(2025, 9, 1), D(2025, 11, 30), Precision.SEASON, "season"),
        ("2025年冬", D(2025, 12, 1), D(2026, 2, 28), Precision.SEASON, "season"),
        ("2023年冬", D(2023, 12, 1), D(2024, 2, 29), Precision.SEASON, "season"),
        ("2025年秋まで", None, D(2025, 11, 30), Precision.SEASON, "season"),
        ("2025年春前半", D(2025, 3, 1), D(2025, 4, 15), Precision.SEASON, "season-half"),
        ("2025年春後半", D(2025, 4, 16), D(2025, 5, 31), Precision.SEASON, "season-half"),
        ("2025年秋前半", D(2025, 9, 1), D(2025, 10, 16), Precision.SEASON, "season-half"),
        ("2024年冬前半", D(2024, 12, 1), D(2025, 1, 14), Precision.SEASON, "season-half"),
        ("2023年冬前半", D(2023, 12, 1), D(2024, 1, 15), Precision.SEASON, "season-half"),
        ("2025年末", D(2025, 12, 1), D(2025, 12, 31), Precision.MONTH, "year-end"),
        ("2025年10月", D(2025, 10, 1), D(2025, 10, 31), Precision.MONTH, "month"),
        ("2024年2月", D(2024, 2, 1), D(2024, 2, 29), Precision.MONTH, "month"),
        ("2025年3月まで", None, D(2025, 3, 31), Precision.MONTH, "month-by"),
        ("2025年3月までに", None, D(2025, 3, 31), Precision.MONTH, "month-by"),
        ("2025年6月末", None, D(2025, 6, 30), Precision.MONTH, "month-by"),
        ("2025年6月上旬", D(2025, 6, 1), D(2025, 6, 10), Precision.TEN_DAY, "ten-day"),
        ("2025年6月中旬", D(2025, 6, 11), D(2025, 6, 20), Precision.TEN_DAY, "ten-day"),
        ("2025年6月下旬", D(2025, 6, 21), D(2025, 6, 30), Precision.TEN_DAY, "ten-day"),
        ("2024年2月下旬", D(2024, 2, 21), D(2024, 2, 29), Precision.TEN_DAY, "ten-day"),
        ("2025年1月6日", D(2025, 1, 6), D(2025, 1, 6), Precision.DAY, "day"),
        ("令和7年1月6日", D(2025, 1, 6), D(2025, 1, 6), Precision.DAY, "day"),
        ("2024年度から2026年度まで", D(2024, 4, 1), D(2027, 3, 31), Precision.FISCAL_YEAR, "span"),
        ("2024〜2026年度", D(2024, 4, 1), D(2027, 3, 31), Precision.FISCAL_YEAR, "span"),
        ("2024～2026年度", D(2024, 4, 1), D(2027, 3, 31), Precision.FISCAL_YEAR, "span"),
        ("2024-2026年度", D(2024, 4, 1), D(2027, 3, 31), Precision.FISCAL_YEAR, "span"),
        ("令和6〜8年度", D(2024, 4, 1), D(2027, 3, 31), Precision.FISCAL_YEAR, "span"),
        (
            "2025年度から概ね5年以内",
            D(2026, 4, 1),
            D(2031, 3, 31),
            Precision.FISCAL_YEAR,
            "within-years",
        ),
        (
            "2024年度末から3年以内",
            D(2025, 4, 1),
            D(2028, 3, 31),
            Precision.FISCAL_YEAR,
            "within-years",
        ),
        ("速やかに", None, None, Precision.OPEN, "open"),
        ("可能な限り早期に", None, None, Precision.OPEN, "open"),
        ("順次", None, None, Precision.OPEN, "open"),
        ("引き続き", None, None, Precision.OPEN, "open"),
        ("継続的に", None, None, Precision.OPEN, "open"),
        ("随時", None, None, Precision.OPEN, "open"),
    ],
)
def test_each_rule_gives_its_window(phrase, start, end, precision, rule):
    found = window(phrase)
    assert (found.start, found.end, found.precision, found.rule) == (start, end, precision, rule)


@pytest.mark.parametrize(
    ("phrase", "rule"),
    [
        ("今年度", "relative-fy-within"),
        ("今年度中", "relative-fy-within"),
        ("来年度末", "relative-fy-by"),
        ("来年度から", "relative-fy-from"),
        ("今年度後半", "relative-fy-half"),
        ("来年", "relative-cy-within"),
        ("年内", "relative-cy-within"),
        ("来春", "relative-season"),
    ],
)
def test_relative_phrases_name_the_rule_they_were_read_with(phrase, rule):
    assert window(phrase).rule == rule


@pytest.mark.parametrize(
    ("phrase", "reference", "start", "end"),
    [
        ("今年度", D(2024, 6, 21), D(2024, 4, 1), D(2025, 3, 31)),
        ("今年度", D(2025, 2, 10), D(2024, 4, 1), D(2025, 3, 31)),
        ("来年度", D(2024, 6, 21), D(2025, 4, 1), D(2026, 3, 31)),
        ("来年度", D(2025, 3, 31), D(2025, 4, 1), D(2026, 3, 31)),
        ("今年", D(2025, 2, 10), D(2025, 1, 1), D(2025, 12, 31)),
        ("来年", D(2024, 12, 31), D(2025, 1, 1), D(2025, 12, 31)),
        ("年内", D(2024, 6, 21), D(2024, 1, 1), D(2024, 12, 31)),
        ("今年度中", D(2024, 6, 21), D(2024, 4, 1), D(2025, 3, 31)),
        ("来年度末", D(2024, 6, 21), None, D(2026, 3, 31)),
        ("年度末までに", D(2024, 6, 21), None, D(2025, 3, 31)),
        ("来年度から", D(2024, 6, 21), D(2025, 4, 1), None),
        ("今年度後半", D(2024, 6, 21), D(2024, 10, 1), D(2025, 3, 31)),
        ("来年3月末", D(2024, 6, 21), None, D(2025, 3, 31)),
        ("今夏", D(2024, 6, 21), D(2024, 6, 1), D(2024, 8, 31)),
        ("来春", D(2024, 6, 21), D(2025, 3, 1), D(2025, 5, 31)),
        ("来春", D(2024, 1, 15), D(2024, 3, 1), D(2024, 5, 31)),
        ("来春", D(2024, 3, 1), D(2025, 3, 1), D(2025, 5, 31)),
        ("今冬", D(2025, 1, 15), D(2024, 12, 1), D(2025, 2, 28)),
        ("今冬", D(2024, 6, 21), D(2024, 12, 1), D(2025, 2, 28)),
    ],
)
def test_relative_phrases_count_from_the_reference_date(phrase, reference, start, end):
    assert dates(phrase, reference) == (start, end)


# Diet sessions --------------------------------------------------------------------------------


@pytest.mark.parametrize("phrase", ["次期通常国会", "次の通常国会", "来年の通常国会", "次期常会"])
def test_next_diet_is_the_first_ordinary_session_convened_after_the_reference(phrase):
    found = window(phrase)
    assert (found.start, found.end, found.precision, found.soft, found.rule) == (
        D(2025, 1, 24),
        D(2025, 6, 22),
        Precision.DIET_SESSION,
        False,
        "diet",
    )


def test_next_diet_seen_during_a_session_is_the_following_one():
    assert dates("次期通常国会", D(2024, 3, 1)) == (D(2025, 1, 24), D(2025, 6, 22))


def test_next_diet_seen_before_january_convening_is_that_session():
    assert dates("次期通常国会", D(2024, 1, 10)) == (D(2024, 1, 26), D(2024, 6, 23))


def test_next_years_diet_skips_a_session_still_to_convene_this_year():
    assert dates("来年の通常国会", D(2024, 1, 10)) == (D(2025, 1, 24), D(2025, 6, 22))


def test_unknown_diet_session_is_estimated_as_january_to_june_and_soft():
    found = window("次期通常国会", D(2026, 7, 1))
    assert (found.start, found.end, found.soft) == (D(2027, 1, 1), D(2027, 6, 29), True)


def test_diet_without_any_sessions_given_is_estimated():
    found = resolve("次期通常国会", reference=PLAN_DECIDED)
    assert (found.start, found.end, found.soft) == (D(2025, 1, 1), D(2025, 6, 29), True)


def test_diet_sessions_are_looked_up_whatever_their_order():
    found = window("次期通常国会", sessions=tuple(reversed(SESSIONS)))
    assert (found.start, found.end) == (D(2025, 1, 24), D(2025, 6, 22))


# Normalisation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "same_as"),
    [
        ("２０２５年度末", "2025年度末"),
        ("２０２５年３月末", "2025年3月末"),
        ("2024年度第３四半期", "2024年度第3四半期"),
        ("2024年度第三四半期", "2024年度第3四半期"),
        ("2024年度第四四半期", "2024年度第4四半期"),
        ("令和7年度末", "2025年度末"),
        ("令和７年度末", "2025年度末"),
        ("令和七年度末", "2025年度末"),
        ("令和元年度", "2019年度"),
        ("令和元年", "2019年"),
        ("令和十年度", "2028年度"),
        ("平成三十一年", "2019年"),
        ("平成30年度", "2018年度"),
        ("平成元年度", "1989年度"),
        ("令和7年度(2025年度)までに", "2025年度までに"),
        ("2025年度(令和7年度)までに", "2025年度までに"),
        ("2025年度（令和7年度）までに", "2025年度までに"),
        ("令和７年度（２０２５年度）末", "2025年度末"),
        ("令和7(2025)年度末", "2025年度末"),
        ("2024年(令和6年)夏", "2024年夏"),
        ("令和6年度から令和8年度まで", "2024年度から2026年度まで"),
        ("2025 年度 まで に", "2025年度までに"),
        ("令和6年4月", "2024年4月"),
    ],
)
def test_full_width_digits_kanji_numerals_and_eras_read_as_western_years(phrase, same_as):
    assert resolved_alike(window(phrase), window(same_as))


def test_window_keeps_the_phrase_exactly_as_written():
    assert window("令和７年度（２０２５年度）末 ").phrase == "令和７年度（２０２５年度）末 "


# Particles, markers and surrounding words -----------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "2025年度を目途に",
        "2025年度目途",
        "2025年度めど",
        "2025年度頃",
        "2025年度ごろ",
        "2025年度程度",
        "2025年度を目指す",
        "2025年度予定",
        "2025年度の予定",
        "2025年度見込み",
        "2025年度(予定)",
        "2024年夏頃までに",
        "2024年度後半の本格稼働を目指す",
        "次期通常国会への法案提出を目指します",
    ],
)
def test_soft_markers_make_the_window_soft(phrase):
    assert window(phrase).soft is True


@pytest.mark.parametrize(
    "phrase", ["2025年度までに", "原則2025年度", "遅くとも2025年度", "2024年4月に運用を開始した"]
)
def test_phrases_without_soft_markers_are_firm(phrase):
    assert window(phrase).soft is False


@pytest.mark.parametrize(
    ("phrase", "same_as"),
    [
        ("2025年度に", "2025年度"),
        ("2025年度には", "2025年度"),
        ("2025年度を目途に", "2025年度目途"),
        ("2024年夏ごろ", "2024年夏頃"),
        ("2025年度までには", "2025年度まで"),
        ("2024年度中に町字情報を整備し", "2024年度中"),
        ("2024年度後半の本格稼働を目指す", "2024年度後半を目指す"),
        ("2024年4月に運用を開始した新総合防災情報", "2024年4月"),
        ("2025年までに構築する", "2025年まで"),
        ("2024年度から新たに開始します", "2024年度から"),
        ("2025年度までに中小企業の支援を行う", "2025年度まで"),
        ("2024年の夏まで", "2024年夏まで"),
        ("2025年度までに実施する。 ", "2025年度まで"),
    ],
)
def test_particles_and_a_short_clause_after_the_period_do_not_move_the_dates(phrase, same_as):
    assert astuple(window(phrase))[1:4] == astuple(window(same_as))[1:4]


def test_open_words_before_a_date_give_way_to_the_date():
    found = window("速やかに、遅くとも2025年度末までに")
    assert (found.start, found.end, found.rule) == (None, D(2026, 3, 31), "fy-by")


def test_open_word_followed_by_a_verb_stays_open():
    found = window("引き続き進めます")
    assert (found.start, found.end, found.precision) == (None, None, Precision.OPEN)


def test_most_precise_rule_wins_over_a_fiscal_year_prefix():
    assert window("2024年度第3四半期").precision == Precision.QUARTER


# Errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "foo",
        "原則",
        "来月",
        "2025",
        "25年度",
        "概ね5年以内",
        "2024年上半期",
        "2024年度の夏",
        "2024年度の初めに",
        "2024年度までに検討し2026年度から実施",
        "2024年度内閣府",
        "2024年度までから",
        "遅くとも2025年度から",
        "2024年度中に" + "あ" * 60,
    ],
)
def test_unknown_wording_raises_an_error_that_quotes_it(phrase):
    with pytest.raises(PhraseError, match=f"「{phrase}」.*expected"):
        window(phrase)


@pytest.mark.parametrize("phrase", ["", "   ", "\u3000"])
def test_empty_phrase_is_an_error(phrase):
    with pytest.raises(PhraseError, match="empty"):
        window(phrase)


@pytest.mark.parametrize(
    ("phrase", "names"),
    [
        ("令和7年度(2024年度)", ("「令和7年度」 is 2025", "「2024年度」 is 2024")),
        ("2025年度（令和6年度）", ("「2025年度」 is 2025", "「令和6年度」 is 2024")),
        ("令和7(2026)年度", ("「令和7」 is 2025", "「2026」 is 2026")),
    ],
)
def test_year_forms_that_disagree_raise_an_error_naming_both(phrase, names):
    with pytest.raises(PhraseError) as error:
        window(phrase)
    assert all(name in str(error.value) for name in names)


def test_fiscal_and_calendar_year_in_one_pair_is_an_error():
    with pytest.raises(PhraseError, match="fiscal year and a calendar year"):
        window("2024年(令和6年度)")


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        ("2025年2月30日", "2025年2月30日, which does not exist"),
        ("2023年2月29日", "2023年2月29日, which does not exist"),
        ("2025年4月31日まで", "2025年4月31日, which does not exist"),
        ("2025年13月", "month 13"),
        ("2025年0月末", "month 0"),
        ("2025年13月上旬", "month 13"),
        ("2024年度第5四半期", "quarter 5"),
        ("2024年度第0四半期", "quarter 0"),
        ("令和0年度", "令和0年"),
        ("2026〜2024年度", "before it starts"),
        ("2024年度から0年以内", "0 years"),
        ("2024年度末から", "no first day"),
        ("9999年度", "outside the calendar"),
    ],
)
def test_impossible_dates_raise_an_error_saying_why(phrase, message):
    with pytest.raises(PhraseError, match=message):
        window(phrase)


def test_phrase_error_is_a_value_error():
    assert issubclass(PhraseError, ValueError)


# Which date counts as the deadline ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "deadline"),
    [
        (Kind.DEADLINE, D(2025, 3, 31)),
        ("deadline", D(2025, 3, 31)),
        (Kind.START, D(2024, 4, 1)),
        ("start", D(2024, 4, 1)),
        (Kind.EVENT, None),
    ],
)
def test_deadline_is_the_end_for_deadlines_and_the_start_for_starts(kind, deadline):
    assert window("2024年度中").deadline(kind) == deadline


@pytest.mark.parametrize("kind", list(Kind))
def test_open_window_has_no_deadline_of_any_kind(kind):
    assert window("速やかに").deadline(kind) is None


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="finish"):
        window("2024年度中").deadline("finish")


# Explanations ---------------------------------------------------------------------------------


def test_every_rule_of_the_specification_has_an_explanation_in_both_languages():
    assert set(SPEC_RULES) <= set(RULES)
    assert all(ja and en and ja != en for ja, en in RULES.values())


def test_fiscal_year_by_explanation_names_31_march():
    assert RULES["fy-by"] == (
        "年度末（翌年3月31日）までに完了",
        "By the end of the fiscal year (31 March of the following year)",
    )


def test_window_explains_its_rule_in_the_language_asked():
    found = window("来年度末")
    assert found.explanation("en").startswith("Years read from the reference date")
    assert found.explanation("ja").endswith(RULES["fy-by"][0])


# Calendar helpers and labels ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "fy", "quarter", "half"),
    [
        (D(2024, 4, 1), 2024, 1, 1),
        (D(2024, 6, 30), 2024, 1, 1),
        (D(2024, 7, 1), 2024, 2, 1),
        (D(2024, 9, 30), 2024, 2, 1),
        (D(2024, 10, 1), 2024, 3, 2),
        (D(2024, 12, 31), 2024, 3, 2),
        (D(2025, 1, 1), 2024, 4, 2),
        (D(2025, 3, 31), 2024, 4, 2),
    ],
)
def test_fiscal_year_quarter_and_half_of_a_day(day, fy, quarter, half):
    assert (fiscal_year(day), fiscal_quarter(day), fiscal_half(day)) == (fy, quarter, half)


def test_fiscal_year_bounds_run_april_to_march():
    assert fiscal_year_bounds(2024) == (D(2024, 4, 1), D(2025, 3, 31))


def test_quarter_bounds_of_the_fourth_quarter_lie_in_the_next_calendar_year():
    assert quarter_bounds(2024, 4) == (D(2025, 1, 1), D(2025, 3, 31))


def test_quarter_bounds_reject_a_fifth_quarter():
    with pytest.raises(ValueError, match="quarter 5"):
        quarter_bounds(2024, 5)


def test_quarter_label_rejects_a_fifth_quarter():
    with pytest.raises(ValueError, match="quarter 5"):
        quarter_label(5)


@pytest.mark.parametrize(
    ("fy", "language", "label"),
    [
        (2025, "ja", "2025年度（令和7年度）"),
        (2019, "ja", "2019年度（令和元年度）"),
        (2018, "ja", "2018年度（平成30年度）"),
        (1989, "ja", "1989年度（平成元年度）"),
        (2025, "en", "FY2025"),
    ],
)
def test_fiscal_year_label(fy, language, label):
    assert fiscal_year_label(fy, language) == label


@pytest.mark.parametrize(("language", "label"), [("ja", "第3四半期"), ("en", "Q3")])
def test_quarter_label(language, label):
    assert quarter_label(3, language) == label


@pytest.mark.parametrize(
    ("year", "label"),
    [(2025, "令和7年"), (2019, "令和元年"), (2018, "平成30年"), (1988, "昭和63年")],
)
def test_era_year_label(year, label):
    assert era_year_label(year) == label


def test_labels_reject_an_unknown_language():
    with pytest.raises(ValueError, match="Unknown language"):
        fiscal_year_label(2025, "fr")


# Properties -----------------------------------------------------------------------------------

years = st.integers(min_value=1990, max_value=2100)
references = st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31))
year_suffixes = st.sampled_from(
    [
        "年度",
        "年度中",
        "年度内に",
        "年度まで",
        "年度までに",
        "年度末",
        "年度から",
        "年度以降",
        "年度前半",
        "年度上期",
        "年度後半",
        "年度下半期",
        "年度第1四半期",
        "年度第2四半期",
        "年度第3四半期",
        "年度第4四半期",
        "年",
        "年中",
        "年まで",
        "年以降",
        "年前半",
        "年後半",
        "年末",
        "年春",
        "年夏頃",
        "年秋まで",
        "年冬",
        "年春前半",
        "年冬後半",
        "年度から概ね5年以内",
        "年度を目途に",
    ]
)
month_parts = st.sampled_from(["", "末", "まで", "上旬", "中旬", "下旬", "頃"])
relative_words = st.sampled_from(
    ["今年度", "来年度末", "来年度から", "今年度後半", "今年", "来年", "年内", "来春", "今夏"]
)


@st.composite
def valid_phrases(draw):
    """Draw a phrase of any dated rule with valid numbers."""
    day = draw(references)
    first, last = sorted(draw(st.lists(years, min_size=2, max_size=2)))
    return draw(
        st.sampled_from(
            [
                f"{draw(years)}{draw(year_suffixes)}",
                f"{day.year}年{day.month}月{draw(month_parts)}",
                f"{day.year}年{day.month}月{day.day}日",
                f"{first}〜{last}年度",
                f"{first}年度から{last}年度まで",
                draw(relative_words),
                "次期通常国会",
            ]
        )
    )


@given(valid_phrases(), references)
def test_every_window_starts_no_later_than_it_ends(phrase, reference):
    found = window(phrase, reference)
    assert found.start is not None or found.end is not None
    if found.start and found.end:
        assert found.start <= found.end


@given(st.dates(min_value=D(1990, 4, 1), max_value=D(2100, 3, 31)), st.integers(-1, 1))
def test_fiscal_year_within_holds_exactly_the_days_of_that_fiscal_year(day, offset):
    fy = fiscal_year(day) + offset
    start, end = dates(f"{fy}年度中")
    assert (start <= day <= end) == (offset == 0)


@given(years)
def test_quarters_tile_the_fiscal_year(fy):
    windows = [dates(f"{fy}年度第{q}四半期") for q in range(1, 5)]
    assert_tiles(windows, fiscal_year_bounds(fy))


@given(years)
def test_halves_tile_the_fiscal_year(fy):
    windows = [dates(f"{fy}年度上期"), dates(f"{fy}年度下期")]
    assert_tiles(windows, fiscal_year_bounds(fy))
    assert windows == [half_bounds(fy, 1), half_bounds(fy, 2)]


@given(years)
def test_seasons_tile_march_to_february(year):
    windows = [dates(f"{year}年{season}") for season in "春夏秋冬"]
    assert_tiles(windows, (D(year, 3, 1), D(year + 1, 3, 1) - timedelta(days=1)))


@given(years, st.sampled_from("春夏秋冬"))
def test_season_halves_tile_the_season_with_the_odd_day_in_the_first(year, season):
    first, second = dates(f"{year}年{season}前半"), dates(f"{year}年{season}後半")
    assert_tiles([first, second], season_bounds(year, season))
    first_days, second_days = (first[1] - first[0]).days + 1, (second[1] - second[0]).days + 1
    assert first_days - second_days in (0, 1)


@given(st.dates(min_value=D(1990, 4, 1), max_value=D(2100, 3, 31)))
def test_fiscal_quarter_and_half_agree_with_their_windows(day):
    fy = fiscal_year(day)
    start, end = dates(f"{fy}年度第{periods.fiscal_quarter(day)}四半期")
    h_start, h_end = dates(f"{fy}年度{'前半' if fiscal_half(day) == 1 else '後半'}")
    assert start <= day <= end and h_start <= day <= h_end


@given(st.integers(2019, 2100), year_suffixes)
def test_reiwa_and_western_years_resolve_alike(year, suffix):
    western = window(f"{year}{suffix}")
    assert resolved_alike(window(f"令和{year - 2018}{suffix}"), western)
    assert resolved_alike(window(f"令和{kanji(year - 2018)}{suffix}"), western)
    assert resolved_alike(window(f"{year}年度(令和{year - 2018}年度)"), window(f"{year}年度"))


@given(st.integers(1990, 2019), year_suffixes)
def test_heisei_and_western_years_resolve_alike(year, suffix):
    assert resolved_alike(window(f"平成{kanji(year - 1988)}{suffix}"), window(f"{year}{suffix}"))


@given(valid_phrases())
def test_full_width_digits_resolve_like_ascii_digits(phrase):
    assert resolved_alike(window(phrase.translate(FULL_WIDTH)), window(phrase))


def assert_tiles(windows, bounds):
    """Assert that the windows run from bounds[0] to bounds[1] without gap or overlap."""
    assert windows[0][0] == bounds[0]
    assert windows[-1][1] == bounds[1]
    for (_, end), (start, _) in itertools.pairwise(windows):
        assert start == end + timedelta(days=1)


# Event-relative phrases -----------------------------------------------------------------------

AGENCY = periods.Event("デジタル庁の設置", D(2021, 9, 1))
REF = PLAN_DECIDED


@pytest.mark.parametrize(
    ("phrase", "start", "end", "rule"),
    [
        ("デジタル庁の設置後10年を経過する前", D(2031, 8, 31), D(2031, 8, 31), "event-before"),
        ("デジタル庁設置後10年を経過する前まで", None, D(2031, 8, 31), "event-before"),
        ("デジタル庁の設置後10年を経過した際", D(2031, 9, 1), D(2031, 9, 1), "event-at"),
        ("デジタル庁の設置後十年を経過した後", D(2031, 9, 1), D(2031, 9, 1), "event-at"),
    ],
)
def test_phrases_counted_from_a_named_event_resolve_against_its_date(phrase, start, end, rule):
    found = periods.resolve(phrase, reference=REF, events=[AGENCY])
    assert (found.start, found.end, found.precision, found.rule) == (start, end, "day", rule)


def test_a_phrase_naming_no_event_counts_from_the_milestones_anchor():
    found = periods.resolve("10年を経過する前から", reference=REF, anchor=AGENCY)
    assert (found.start, found.end, found.deadline("start")) == (
        D(2031, 8, 31),
        None,
        D(2031, 8, 31),
    )
    found = periods.resolve("設置後10年を経過する前", reference=REF, anchor=AGENCY)
    assert found.deadline("deadline") == D(2031, 8, 31)


def test_a_phrase_counting_from_no_known_event_is_an_error_naming_it():
    with pytest.raises(periods.PhraseError, match="does not name"):
        periods.resolve("10年を経過する前から", reference=REF)
    with pytest.raises(periods.PhraseError, match="国会の設置"):
        periods.resolve("国会の設置後3年を経過した際", reference=REF, events=[AGENCY])
