"""Resolve the deadline wording of Japanese government plans into windows of dates.

A phrase such as 「2025年度までに」 or 「2024年夏頃」 becomes a ``Window``: its first and last day
(either may be open), a precision, whether the wording is soft (目途・めど・頃・ごろ・程度・
目指す・予定・見込み) and the id of the rule that produced it (``RULES`` explains each id).
The rules are those of docs/deadline-phrases.md:

- fiscal years (April to March): ``fy-within`` 「Y年度中」, ``fy-by`` 「Y年度まで」「Y年度末」,
  ``fy-from`` 「Y年度から」「Y年度以降」「Y年度〜」, ``fy-half`` 「Y年度後半」, ``fy-quarter``
  「Y年度第3四半期」, ``span`` 「Y年度からZ年度まで」「Y〜Z年度」;
- calendar years: ``cy-within`` 「Y年中」, ``cy-by`` 「Y年まで」「遅くともY年」, ``cy-from``
  「Y年以降」, ``cy-half`` 「Y年前半」, ``year-end`` 「Y年末」 (the month of December);
- seasons (気象庁: 春 3–5月, 夏 6–8月, 秋 9–11月, 冬 12月–翌2月): ``season``, ``season-half``;
- months and days: ``month``, ``month-by`` 「Y年M月末」, ``ten-day`` 「Y年M月上旬」, ``day``;
- ``diet``: 「次期通常国会」 is the first ordinary session convened after the reference date,
  looked up in the sessions passed in (1 January to 29 June of the next year, soft, if unknown);
- ``event-before`` 「設置後10年を経過する前」 and ``event-at`` 「設置後10年を経過した際」: the day
  before, or the day of, the N-th anniversary of a named event (``Event``, kept as data); a
  phrase that names no event (「10年を経過する前から」) counts from the milestone's anchor event;
- ``within-years``: 「2025年度から概ね5年以内」 runs from the day after the base window ends to
  N years after that end;
- relative words (今年度・来年度・今年・来年・来春・今夏・年内 …) are replaced by years seen from
  the reference date first; the rule id then gets the prefix ``relative-`` (``relative-fy-by``);
- ``open``: 速やかに・順次・引き続き・継続的に・随時 … give neither start nor end.

Before matching, the text is normalised: NFKC (full-width digits), eras 令和・平成・昭和 with
Arabic or kanji numerals, and paired forms 「令和7年度(2025年度)」 or 「2025年度(令和7年度)」,
which must agree. After the period, 「まで(に)」 drops the start, 「から」「以降」 drop the end,
and a short clause may follow a particle (「…の本格稼働を目指す」) if it names no other date.
Leading 「原則」 is kept in the phrase and changes nothing. Where several rules match, the most
precise wins. Anything else raises ``PhraseError``: the resolver never guesses a date.
"""

from __future__ import annotations

import calendar
import enum
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta


class Precision(enum.StrEnum):
    """How finely a window pins its dates, most precise first."""

    DAY = "day"
    TEN_DAY = "ten_day"
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    SEASON = "season"
    FISCAL_YEAR = "fiscal_year"
    CALENDAR_YEAR = "calendar_year"
    DIET_SESSION = "diet_session"
    OPEN = "open"


class Kind(enum.StrEnum):
    """What a milestone commits to: finishing, starting, or an event that happens."""

    DEADLINE = "deadline"
    START = "start"
    EVENT = "event"


class PhraseError(ValueError):
    """A deadline phrase that names no window of dates."""


@dataclass(frozen=True)
class DietSession:
    """An ordinary Diet session (通常国会) with its closing day including any extension."""

    number: int
    convened_on: date
    closes_on: date


@dataclass(frozen=True)
class Event:
    """A dated event, such as the Digital Agency's establishment, that phrases count from."""

    name: str
    occurred_on: date


@dataclass(frozen=True)
class Window:
    """The dates a deadline phrase stands for; ``start`` and ``end`` are inclusive."""

    phrase: str
    start: date | None
    end: date | None
    precision: Precision
    soft: bool
    rule: str

    def deadline(self, kind: Kind | str) -> date | None:
        """Return the day a milestone of ``kind`` is due, or None if it cannot be late."""
        kind = Kind(kind)
        if kind is Kind.DEADLINE:
            return self.end
        if kind is Kind.START:
            return self.start
        return None

    def explanation(self, language: str = "ja") -> str:
        """Return how the phrase was resolved, in Japanese or English."""
        return RULES[self.rule][_language_index(language)]


# Newest era first: a year belongs to the first era whose offset it exceeds.
ERA_OFFSETS = {"令和": 2018, "平成": 1988, "昭和": 1925}
SEASON_FIRST_MONTHS = {"春": 3, "夏": 6, "秋": 9, "冬": 12}
PRECISION_ORDER = tuple(Precision)


# Calendar facts ---------------------------------------------------------------------------


def fiscal_year(d: date) -> int:
    """Return the fiscal year (April to March) that ``d`` falls in."""
    return d.year if d.month >= 4 else d.year - 1


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """Return the first and last day of fiscal year ``fy``."""
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def fiscal_quarter(d: date) -> int:
    """Return the fiscal quarter of ``d``: 1 for April–June through 4 for January–March."""
    return (d.month - 4) % 12 // 3 + 1


def fiscal_half(d: date) -> int:
    """Return the fiscal half of ``d``: 1 for April–September, 2 for October–March."""
    return 1 if 4 <= d.month <= 9 else 2


def quarter_bounds(fy: int, q: int) -> tuple[date, date]:
    """Return the first and last day of quarter ``q`` of fiscal year ``fy``."""
    _check_between("quarter", q, 1, 4)
    return _months_from(date(fy, 4, 1), 3 * (q - 1), 3)


def half_bounds(fy: int, h: int) -> tuple[date, date]:
    """Return the first and last day of half ``h`` of fiscal year ``fy``."""
    _check_between("half", h, 1, 2)
    return _months_from(date(fy, 4, 1), 6 * (h - 1), 6)


def season_bounds(year: int, season: str) -> tuple[date, date]:
    """Return the first and last day of a season (春夏秋冬); 冬 runs into February of year+1."""
    return _months_from(date(year, SEASON_FIRST_MONTHS[season], 1), 0, 3)


def _months_from(first: date, skip: int, length: int) -> tuple[date, date]:
    """Return the ``length`` months that begin ``skip`` months after ``first``."""
    start = _add_months(first, skip)
    return start, _add_months(start, length) - timedelta(days=1)


def _add_months(first: date, months: int) -> date:
    """Return the first day of the month ``months`` after the month of ``first``."""
    years, month0 = divmod(first.month - 1 + months, 12)
    return date(first.year + years, month0 + 1, 1)


def _month_end(year: int, month: int) -> date:
    """Return the last day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_years(d: date, years: int) -> date:
    """Return ``d`` moved by whole years; 29 February becomes 28 February."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def _check_between(name: str, value: int, low: int, high: int) -> None:
    """Raise ValueError unless ``low <= value <= high``."""
    if not low <= value <= high:
        raise ValueError(f"There is no {name} {value}: expected {low} to {high}.")


# Labels -----------------------------------------------------------------------------------


def era_year_label(year: int) -> str:
    """Return the Japanese era form of a Western year, such as 令和7年 (令和元年 for 2019)."""
    return f"{_era_year(year)}年"


def fiscal_year_label(fy: int, language: str = "ja") -> str:
    """Return 「2025年度（令和7年度）」 or "FY2025"."""
    if _language_index(language):
        return f"FY{fy}"
    return f"{fy}年度（{_era_year(fy)}年度）"


def quarter_label(q: int, language: str = "ja") -> str:
    """Return 「第3四半期」 or "Q3"."""
    _check_between("quarter", q, 1, 4)
    return f"Q{q}" if _language_index(language) else f"第{q}四半期"


def _era_year(year: int) -> str:
    """Return the era and its year number without 年, such as 令和7 or 平成元."""
    for era, offset in ERA_OFFSETS.items():
        if year > offset:
            number = year - offset
            return f"{era}{'元' if number == 1 else number}"
    raise ValueError(f"No era name for {year}: the eras known start with 昭和 (1926).")


def _language_index(language: str) -> int:
    """Return 0 for Japanese and 1 for English (``ja``, ``en``, ``en-us`` …)."""
    code = language[:2].lower()
    if code not in ("ja", "en"):
        raise ValueError(f"Unknown language {language!r}: expected 'ja' or 'en'.")
    return 0 if code == "ja" else 1


# Rule explanations --------------------------------------------------------------------------

_BASE_RULES = {
    "fy-within": (
        "Y年度中：4月1日から翌年3月31日まで",
        "Within fiscal year Y: from 1 April to 31 March of the following year",
    ),
    "fy-by": (
        "年度末（翌年3月31日）までに完了",
        "By the end of the fiscal year (31 March of the following year)",
    ),
    "fy-from": (
        "年度の初日（4月1日）から開始",
        "From the first day of the fiscal year (1 April)",
    ),
    "fy-half": (
        "年度の前半・上期（4〜9月）または後半・下期（10月〜翌3月）",
        "First half of the fiscal year (April–September) or second half (October–March)",
    ),
    "fy-quarter": (
        "年度の四半期（第1：4〜6月、第2：7〜9月、第3：10〜12月、第4：翌1〜3月）",
        "Fiscal quarter (Q1 April–June, Q2 July–September, Q3 October–December, Q4 January–March)",
    ),
    "cy-within": (
        "暦年：1月1日から12月31日まで",
        "Within the calendar year: from 1 January to 31 December",
    ),
    "cy-by": ("その年の12月31日までに完了", "By 31 December of the year"),
    "cy-from": ("その年の1月1日から開始", "From 1 January of the year"),
    "cy-half": (
        "暦年の前半（1〜6月）または後半（7〜12月）",
        "First half (January–June) or second half (July–December) of the calendar year",
    ),
    "season": (
        "気象庁の季節区分（春3〜5月、夏6〜8月、秋9〜11月、冬12月〜翌2月）。「まで」は季節の末日まで",
        "Meteorological season (spring March–May, summer June–August, autumn "
        "September–November, winter December–February); 'by' means by its last day",
    ),
    "season-half": (
        "季節の日数を二分した前半（端数は前半に含める）または後半",
        "First or second half of the season's days (the first half takes the odd day)",
    ),
    "year-end": ("年末：12月1日から12月31日まで", "Year end: from 1 to 31 December"),
    "month": ("その月の1日から末日まで", "The month, from its first to its last day"),
    "month-by": ("その月の末日までに完了", "By the last day of the month"),
    "ten-day": (
        "旬：上旬1〜10日、中旬11〜20日、下旬21日〜月末",
        "Ten-day period: early 1–10, mid 11–20, late 21 to the end of the month",
    ),
    "day": ("記載された日", "The day named"),
    "diet": (
        "基準日の後に召集される最初の通常国会の会期（会期未登録の間は翌年1月1日〜6月29日の目安）",
        "The first ordinary Diet session convened after the reference date (while its dates "
        "are not known: 1 January to 29 June of the next year, as an estimate)",
    ),
    "relative": (
        "基準日（計画の決定日）から見た年・年度として解釈",
        "Read relative to the reference date (the plan's decision date)",
    ),
    "span": (
        "開始年度の4月1日から終了年度末（翌年3月31日）まで",
        "From 1 April of the first fiscal year to 31 March after the last one",
    ),
    "within-years": (
        "基準となる期間の終了日の翌日から、終了日のN年後まで",
        "From the day after the base period ends to N years after its end",
    ),
    "event-before": (
        "基準となる出来事（設置等）からN年を経過する日の前日",
        "The day before N years have passed since the named event (such as an establishment)",
    ),
    "event-at": (
        "基準となる出来事（設置等）からN年を経過した日",
        "The day N years have passed since the named event (such as an establishment)",
    ),
    "open": (
        "期日の定めなし（速やかに・順次・引き続き等）：期限超過にはならない",
        "No date given (promptly, progressively, continuing …): never overdue",
    ),
}
_NOT_RELATIVE = frozenset({"diet", "open", "relative", "event-before", "event-at"})

RULES: dict[str, tuple[str, str]] = {
    **_BASE_RULES,
    **{
        f"relative-{rule}": (
            f"基準日（計画の決定日）から見た年・年度に置き換えて解釈。{ja}",
            f"Years read from the reference date (the plan's decision date). {en}",
        )
        for rule, (ja, en) in _BASE_RULES.items()
        if rule not in _NOT_RELATIVE
    },
}


# Normalisation ------------------------------------------------------------------------------

_NUMERAL = r"(?:元|\d+|[〇一二三四五六七八九十百]+)"
_YEAR_FORM = rf"(?:(?:令和|平成|昭和){_NUMERAL}|\d{{4}})"
_PAIRED_YEARS = re.compile(
    rf"(?P<a>{_YEAR_FORM})(?P<sa>年度|年)?\((?P<b>{_YEAR_FORM})(?P<sb>年度|年)?\)(?P<sc>年度|年)?"
)
_ERA_RANGE = re.compile(rf"(?P<era>令和|平成|昭和)(?P<a>{_NUMERAL})〜(?P<b>{_NUMERAL})(?=年)")
_ERA = re.compile(rf"(?P<era>令和|平成|昭和)(?P<a>{_NUMERAL})(?=年)")
_MARKER_IN_PARENS = re.compile(r"\((予定|見込み|目途|目処|めど|頃)\)")
_DASHES = str.maketrans(dict.fromkeys("~-‐‑‒–—―〜", "〜"))
_WHITESPACE = re.compile(r"\s+")
_KANJI_DIGITS = {kanji: value for value, kanji in enumerate("〇一二三四五六七八九")}


def _normalise(phrase: str) -> str:
    """Return the phrase with plain digits, Western years and one kind of range dash."""
    text = _WHITESPACE.sub("", unicodedata.normalize("NFKC", phrase)).rstrip("。")
    text = text.translate(_DASHES)
    if not text:
        raise PhraseError(
            "The deadline phrase is empty: expected a period such as 「2025年度まで」."
        )
    text = _PAIRED_YEARS.sub(lambda m: _merge_pair(m, phrase), text)
    text = _ERA_RANGE.sub(
        lambda m: f"{_western(m['era'], m['a'], phrase)}〜{_western(m['era'], m['b'], phrase)}",
        text,
    )
    text = _ERA.sub(lambda m: str(_western(m["era"], m["a"], phrase)), text)
    return _MARKER_IN_PARENS.sub(r"\1", text)


def _merge_pair(m: re.Match, phrase: str) -> str:
    """Return one year for 「令和7年度(2025年度)」-style pairs, which must agree."""
    first, second = _year_value(m["a"], phrase), _year_value(m["b"], phrase)
    a, b = f"「{m['a']}{m['sa'] or ''}」", f"「{m['b']}{m['sb'] or ''}」"
    if first != second:
        raise PhraseError(
            f"「{phrase}」 gives two different years: {a} is {first} but {b} is {second}."
        )
    if m["sa"] and m["sb"] and m["sa"] != m["sb"]:
        raise PhraseError(f"「{phrase}」 mixes a fiscal year and a calendar year: {a} and {b}.")
    return f"{first}{m['sc'] or m['sa'] or m['sb'] or ''}"


def _year_value(form: str, phrase: str) -> int:
    """Return the Western year of 「2025」 or 「令和7」."""
    if form[:2] in ERA_OFFSETS:
        return _western(form[:2], form[2:], phrase)
    return int(form)


def _western(era: str, numeral: str, phrase: str) -> int:
    """Return the Western year of an era year such as 令和 + 七."""
    number = _number(numeral)
    if number < 1:
        raise PhraseError(f"「{phrase}」 names {era}{numeral}年: era years start at 元年 (1).")
    return ERA_OFFSETS[era] + number


def _number(numeral: str) -> int:
    """Return the value of 「元」, Arabic digits, or kanji numerals (三十一, 二〇二五)."""
    if numeral == "元":
        return 1
    if numeral.isascii():
        return int(numeral)
    total = digits = 0
    for char in numeral:
        if char in _KANJI_DIGITS:
            digits = digits * 10 + _KANJI_DIGITS[char]
        else:
            total += (digits or 1) * (10 if char == "十" else 100)
            digits = 0
    return total + digits


# Relative words -----------------------------------------------------------------------------

_RELATIVE_YEARS = {
    "今年度": ("年度", 0),
    "本年度": ("年度", 0),
    "当年度": ("年度", 0),
    "来年度": ("年度", 1),
    "次年度": ("年度", 1),
    "翌年度": ("年度", 1),
    "昨年度": ("年度", -1),
    "前年度": ("年度", -1),
    "今年": ("年", 0),
    "本年": ("年", 0),
    "来年": ("年", 1),
    "翌年": ("年", 1),
    "昨年": ("年", -1),
}
_RELATIVE_WORD = re.compile(
    "|".join(sorted(_RELATIVE_YEARS, key=len, reverse=True)) + r"|(?P<when>今|来)(?P<s>[春夏秋冬])"
)
# Bare 「年内」「年度末」… at the start mean the reference date's own year.
_BARE_YEAR = re.compile(r"^(?:年度(?=内|中|末)|年(?=内|末))")


def _substitute_relative(body: str, reference: date) -> tuple[str, bool]:
    """Replace words relative to ``reference`` by years; say whether there were any."""
    body, words = _RELATIVE_WORD.subn(lambda m: _relative_year(m, reference), body)
    body, bare = _BARE_YEAR.subn(lambda m: _year_text(m[0], 0, reference), body)
    return body, bool(words or bare)


def _relative_year(m: re.Match, reference: date) -> str:
    """Return the explicit year for one relative word such as 来年度 or 来春."""
    if m["s"]:
        season = m["s"]
        finder = _this_season_year if m["when"] == "今" else _next_season_year
        return f"{finder(season, reference)}年{season}"
    suffix, offset = _RELATIVE_YEARS[m[0]]
    return _year_text(suffix, offset, reference)


def _year_text(suffix: str, offset: int, reference: date) -> str:
    """Return 「2025年度」 or 「2025年」 counted from the reference date."""
    year = fiscal_year(reference) if suffix == "年度" else reference.year
    return f"{year + offset}{suffix}"


def _this_season_year(season: str, reference: date) -> int:
    """Return the year naming this season on ``reference`` (今冬 in January: last year's)."""
    return reference.year - 1 if season == "冬" and reference.month <= 2 else reference.year


def _next_season_year(season: str, reference: date) -> int:
    """Return the year of the first such season that begins after ``reference``."""
    if season_bounds(reference.year, season)[0] > reference:
        return reference.year
    return reference.year + 1


# Dated rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    phrase: str
    reference: date
    diet_sessions: tuple[DietSession, ...]
    events: tuple[Event, ...] = ()
    anchor: Event | None = None


@dataclass(frozen=True)
class _Span:
    start: date | None
    end: date | None
    soft: bool = False


@dataclass(frozen=True)
class _Rule:
    id: str
    precision: Precision
    pattern: re.Pattern
    build: Callable[[re.Match, _Context], _Span]
    modes: frozenset[str]


_RULES: list[_Rule] = []
_ALL_MODES = frozenset({"by", "from", "within"})
_Y = r"(?P<y>\d{4})"
_N = r"(?:\d+|[〇一二三四五六七八九十]+)"


def _rule(rule_id: str, precision: Precision, pattern: str, modes: frozenset[str] = _ALL_MODES):
    """Register the decorated function as the builder of rule ``rule_id``."""

    def register(build: Callable[[re.Match, _Context], _Span]):
        _RULES.append(_Rule(rule_id, precision, re.compile(pattern), build, modes))
        return build

    return register


@_rule("day", Precision.DAY, rf"{_Y}年(?P<m>{_N})月(?P<d>{_N})日")
def _day(m: re.Match, ctx: _Context) -> _Span:
    """Return the single day Y-M-D."""
    year, month, day = int(m["y"]), _checked_month(m, ctx), _number(m["d"])
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise PhraseError(
            f"「{ctx.phrase}」 names {year}年{month}月{day}日, which does not exist: "
            f"that month has days 1 to {days}."
        )
    return _Span(date(year, month, day), date(year, month, day))


@_rule("ten-day", Precision.TEN_DAY, rf"{_Y}年(?P<m>{_N})月(?P<part>上旬|初旬|中旬|下旬)")
def _ten_day(m: re.Match, ctx: _Context) -> _Span:
    """Return days 1–10 (上旬), 11–20 (中旬) or 21 to the end (下旬) of month M."""
    year, month = int(m["y"]), _checked_month(m, ctx)
    first = {"上旬": 1, "初旬": 1, "中旬": 11, "下旬": 21}[m["part"]]
    last = _month_end(year, month) if first == 21 else date(year, month, first + 9)
    return _Span(date(year, month, first), last)


@_rule("month-by", Precision.MONTH, rf"{_Y}年(?P<m>{_N})月末")
def _month_by(m: re.Match, ctx: _Context) -> _Span:
    """Return the window without start that ends on the last day of month M."""
    return _Span(None, _month_end(int(m["y"]), _checked_month(m, ctx)))


@_rule("month", Precision.MONTH, rf"{_Y}年(?P<m>{_N})月")
def _month(m: re.Match, ctx: _Context) -> _Span:
    """Return month M of year Y."""
    year, month = int(m["y"]), _checked_month(m, ctx)
    return _Span(date(year, month, 1), _month_end(year, month))


def _checked_month(m: re.Match, ctx: _Context) -> int:
    """Return month M, raising PhraseError unless it is 1 to 12."""
    month = _number(m["m"])
    if not 1 <= month <= 12:
        raise PhraseError(f"「{ctx.phrase}」 names month {month}: expected 1月 to 12月.")
    return month


@_rule("year-end", Precision.MONTH, rf"{_Y}年末")
def _year_end(m: re.Match, ctx: _Context) -> _Span:
    """Return December of year Y."""
    year = int(m["y"])
    return _Span(date(year, 12, 1), date(year, 12, 31))


@_rule("fy-quarter", Precision.QUARTER, rf"{_Y}年度の?第(?P<q>{_N})四半期")
def _fy_quarter(m: re.Match, ctx: _Context) -> _Span:
    """Return quarter n of fiscal year Y."""
    q = _number(m["q"])
    if not 1 <= q <= 4:
        raise PhraseError(f"「{ctx.phrase}」 names quarter {q}: a fiscal year has 第1〜第4四半期.")
    return _Span(*quarter_bounds(int(m["y"]), q))


@_rule("fy-half", Precision.HALF, rf"{_Y}年度の?(?P<h>前半|上半期|上期|後半|下半期|下期)")
def _fy_half(m: re.Match, ctx: _Context) -> _Span:
    """Return the first (前半・上期) or second (後半・下期) half of fiscal year Y."""
    return _Span(*half_bounds(int(m["y"]), 1 if m["h"] in ("前半", "上半期", "上期") else 2))


@_rule("cy-half", Precision.HALF, rf"{_Y}年の?(?P<h>前半|後半)")
def _cy_half(m: re.Match, ctx: _Context) -> _Span:
    """Return January–June (前半) or July–December (後半) of year Y."""
    first = date(int(m["y"]), 1 if m["h"] == "前半" else 7, 1)
    return _Span(*_months_from(first, 0, 6))


@_rule("season-half", Precision.SEASON, rf"{_Y}年の?(?P<s>[春夏秋冬])季?の?(?P<h>前半|後半)")
def _season_half(m: re.Match, ctx: _Context) -> _Span:
    """Return the first ⌈n/2⌉ days of the season's n days (前半) or the rest (後半)."""
    start, end = season_bounds(int(m["y"]), m["s"])
    first_end = start + timedelta(days=((end - start).days + 2) // 2 - 1)
    if m["h"] == "前半":
        return _Span(start, first_end)
    return _Span(first_end + timedelta(days=1), end)


@_rule("season", Precision.SEASON, rf"{_Y}年の?(?P<s>[春夏秋冬])季?")
def _season(m: re.Match, ctx: _Context) -> _Span:
    """Return a meteorological season of year Y."""
    return _Span(*season_bounds(int(m["y"]), m["s"]))


# Spans and counted years carry their own から and まで.
@_rule(
    "span",
    Precision.FISCAL_YEAR,
    r"(?P<a>\d{4})(?:年度)?(?:から|〜)(?P<b>\d{4})年度(?:まで)?",
    frozenset({"within"}),
)
def _span(m: re.Match, ctx: _Context) -> _Span:
    """Return fiscal years Y to Z inclusive."""
    first, last = int(m["a"]), int(m["b"])
    if last < first:
        raise PhraseError(f"「{ctx.phrase}」 ends (FY{last}) before it starts (FY{first}).")
    return _Span(fiscal_year_bounds(first)[0], fiscal_year_bounds(last)[1])


@_rule(
    "within-years",
    Precision.FISCAL_YEAR,
    rf"(?P<base>.+?)(?:から|より)(?:概ね|おおむね|約)?(?P<n>{_N})年以内",
    frozenset({"within"}),
)
def _within_years(m: re.Match, ctx: _Context) -> _Span:
    """Return the N years after the end of the base window named before 「から」."""
    base, years = _base_window(m["base"], ctx), _number(m["n"])
    if years < 1:
        raise PhraseError(f"「{ctx.phrase}」 counts {years} years: expected at least 1年以内.")
    return _Span(base.end + timedelta(days=1), _add_years(base.end, years))


def _base_window(text: str, ctx: _Context) -> _Span:
    """Return the window of the period a 「…から概ねN年以内」 phrase counts from."""
    matches = [
        (rule, m)
        for rule in _RULES
        if rule.id != "within-years" and (m := rule.pattern.fullmatch(text))
    ]
    spans = [(rule.precision, rule.build(m, ctx)) for rule, m in matches]
    spans = [(precision, span) for precision, span in spans if span.end is not None]
    if not spans:
        raise PhraseError(
            f"「{ctx.phrase}」 counts years from 「{text}」, which is not a period with an end: "
            "expected e.g. 「2025年度から概ね5年以内」."
        )
    return min(spans, key=lambda pair: PRECISION_ORDER.index(pair[0]))[1]


@_rule("fy-by", Precision.FISCAL_YEAR, rf"{_Y}年度末")
def _fy_end(m: re.Match, ctx: _Context) -> _Span:
    """Return the window without start that ends on the last day of fiscal year Y."""
    return _Span(None, fiscal_year_bounds(int(m["y"]))[1])


@_rule("fy-within", Precision.FISCAL_YEAR, rf"{_Y}年度")
def _fy(m: re.Match, ctx: _Context) -> _Span:
    """Return fiscal year Y."""
    return _Span(*fiscal_year_bounds(int(m["y"])))


@_rule("cy-within", Precision.CALENDAR_YEAR, rf"{_Y}年(?!度)")
def _cy(m: re.Match, ctx: _Context) -> _Span:
    """Return calendar year Y."""
    year = int(m["y"])
    return _Span(date(year, 1, 1), date(year, 12, 31))


@_rule("diet", Precision.DIET_SESSION, r"(?:次期|次の|(?P<y>\d{4})年の?)(?:通常国会|常会)")
def _diet(m: re.Match, ctx: _Context) -> _Span:
    """Return the next ordinary Diet session (or that of year Y), estimated if not yet known."""
    if m["y"]:
        year = int(m["y"])
        sessions = [s for s in ctx.diet_sessions if s.convened_on.year == year]
    else:
        year = ctx.reference.year + 1
        sessions = [s for s in ctx.diet_sessions if s.convened_on > ctx.reference]
    if not sessions:
        return _Span(date(year, 1, 1), date(year, 6, 29), soft=True)
    session = min(sessions, key=lambda s: s.convened_on)
    return _Span(session.convened_on, session.closes_on)


# Words that say what happened without naming to whom: the milestone's anchor event is meant.
_UNNAMED_EVENTS = frozenset({"", "設置", "発足", "設立", "創設", "施行", "開始"})


_AFTER_EVENT = rf"(?:(?P<event>[^0-9]*?)後)?(?P<n>{_N})年を?経過"


@_rule("event-before", Precision.DAY, rf"{_AFTER_EVENT}(?:する前|する(?=まで))")
def _event_eve(m: re.Match, ctx: _Context) -> _Span:
    """Return the day before the N-th anniversary of an event: 「…を経過する前」."""
    day = _anniversary(m, ctx) - timedelta(days=1)
    return _Span(day, day)


@_rule("event-at", Precision.DAY, rf"{_AFTER_EVENT}(?:した際|した時|した後|後)")
def _event_at(m: re.Match, ctx: _Context) -> _Span:
    """Return the N-th anniversary of an event: 「…を経過した際」."""
    day = _anniversary(m, ctx)
    return _Span(day, day)


def _anniversary(m: re.Match, ctx: _Context) -> date:
    """Return the day N years after the event the phrase counts from."""
    event, years = _counted_event(m["event"] or "", ctx), _number(m["n"])
    if years < 1:
        raise PhraseError(f"「{ctx.phrase}」 counts {years} years: expected at least 1年.")
    return _add_years(event.occurred_on, years)


def _counted_event(named: str, ctx: _Context) -> Event:
    """Return the event a phrase counts from: the one it names, else the milestone's anchor."""
    wanted = named.replace("の", "")
    if wanted in _UNNAMED_EVENTS:
        if ctx.anchor is None:
            raise PhraseError(
                f"「{ctx.phrase}」 counts from an event it does not name: give the milestone "
                "the event it counts from, or name it (「デジタル庁の設置後10年を経過する前」)."
            )
        return ctx.anchor
    for event in ctx.events:
        if event.name.replace("の", "") == wanted:
            return event
    known = "、".join(f"「{event.name}」" for event in ctx.events) or "none"
    raise PhraseError(
        f"「{ctx.phrase}」 counts from 「{named}」, an event with no date: known: {known}."
    )


_BY_RULES = {"fy-within": "fy-by", "cy-within": "cy-by", "month": "month-by"}
_FROM_RULES = {"fy-within": "fy-from", "cy-within": "cy-from"}


# Particles and trailing clauses ---------------------------------------------------------------

_TAIL_TOKEN = re.compile(
    r"までには|までに|まで|迄に|迄|から|より|以降|以後|〜|中|内|頃|ごろ|目途|目処|めど|メド|程度"
    r"|目指します|目指して|目指す|予定|見込み|見込|として|には|に|を|の|で|へ|、|,"
)
_TOKEN_MODES = {
    **dict.fromkeys(("までには", "までに", "まで", "迄に", "迄"), "by"),
    **dict.fromkeys(("から", "より", "以降", "以後", "〜"), "from"),
    **dict.fromkeys(("中", "内"), "within"),
}
# Particles after which a clause of ordinary words may follow.
_CONNECTORS = frozenset(
    t for t, mode in _TOKEN_MODES.items() if t != "〜" and mode != "within"
) | {*("として", "には", "に", "を", "の", "で", "へ", "、", ",")}
_MAX_CLAUSE = 40
_DATE_WORDS = re.compile(
    r"[0-9春夏秋冬。]|年|月|旬|国会|常会|半期|上期|下期|前半|後半|まで|以降|以内|令和|平成|昭和"
)
_CLAUSE_OPENERS = re.compile(
    r"以前|以後|前に|前まで|前の|後に|後の|初め|初頭|当初|冒頭|半ば|中頃|中盤|終盤|序盤|早々|明け|末|いっぱい|一杯"
)
_SOFT = re.compile(r"目途|目処|めど|メド|頃|ごろ|程度|目指|めざ|予定|見込")
_OPEN_WORDS = (
    r"可能な限り早期に|可能な限り速やかに|できる限り早期に|できる限り速やかに|できるだけ早期に"
    r"|速やかに|早期に|直ちに|順次|引き続き|継続的に|継続して|随時"
)
_LEADING = re.compile(rf"^(?:(?:原則として|原則|遅くとも|概ね|おおむね|{_OPEN_WORDS})[、,]?)+")
_OPEN_WORD = re.compile(_OPEN_WORDS)
_NO_MODE = ""


def _tail_mode(tail: str, mode: str) -> str | None:
    """Return the mode the particles of ``tail`` set, or None if ``tail`` is not a tail."""
    tokens = _tokens(tail)
    # The longest run of particles first: what it leaves must be nothing or a plain clause.
    for count in range(len(tokens), -1, -1):
        last, end = tokens[count - 1] if count else ("", 0)
        if not tail[end:] or (last in _CONNECTORS and _is_clause(tail[end:])):
            return _single_mode(mode, [token for token, _ in tokens[:count]])
    return None


def _single_mode(mode: str, tokens: list[str]) -> str | None:
    """Return the one mode ``mode`` and ``tokens`` set, or None if they contradict each other."""
    modes = {mode, *(_TOKEN_MODES.get(token, _NO_MODE) for token in tokens)} - {_NO_MODE}
    if len(modes) > 1:
        return None
    return modes.pop() if modes else _NO_MODE


def _tokens(tail: str) -> list[tuple[str, int]]:
    """Return the particles and markers that open ``tail``, each with where it ends."""
    tokens, position = [], 0
    while m := _TAIL_TOKEN.match(tail, position):
        tokens.append((m[0], m.end()))
        position = m.end()
    return tokens


def _is_clause(text: str) -> bool:
    """Say whether ``text`` is a short clause naming no date, such as 「本格稼働を目指す」."""
    return (
        len(text) <= _MAX_CLAUSE
        and not _DATE_WORDS.search(text)
        and not _CLAUSE_OPENERS.match(text)
    )


# Resolution ---------------------------------------------------------------------------------


def resolve(
    phrase: str,
    *,
    reference: date,
    diet_sessions: Sequence[DietSession] = (),
    events: Sequence[Event] = (),
    anchor: Event | None = None,
) -> Window:
    """Return the window of dates that ``phrase`` stands for, seen from ``reference``.

    ``events`` are the dated events a phrase may name; ``anchor`` is the one a phrase that
    names none (「10年を経過する前から」) counts from.
    """
    ctx = _Context(phrase, reference, tuple(diet_sessions), tuple(events), anchor)
    text = _normalise(phrase)
    leading = _LEADING.match(text)
    lead, body = (leading[0], text[leading.end() :]) if leading else ("", text)
    body, relative = _substitute_relative(body, reference)
    window = _resolve_dated(body, ctx, "by" if "遅くとも" in lead else _NO_MODE)
    if window is None:
        window = _resolve_open(lead, body, ctx)
    if relative and window.rule not in _NOT_RELATIVE:
        window = replace(window, rule=f"relative-{window.rule}")
    return replace(window, soft=window.soft or bool(_SOFT.search(text)))


def _resolve_dated(body: str, ctx: _Context, mode: str) -> Window | None:
    """Return the most precise window a dated rule gives for ``body``, if any."""
    windows = [w for rule in _RULES if (w := _apply_rule(rule, body, ctx, mode))]
    return min(windows, key=lambda w: PRECISION_ORDER.index(w.precision), default=None)


def _apply_rule(rule: _Rule, body: str, ctx: _Context, mode: str) -> Window | None:
    """Return the window ``rule`` gives for ``body``, or None if it does not match."""
    m = rule.pattern.match(body)
    if m is None:
        return None
    mode = _tail_mode(body[m.end() :], mode)
    if mode is None or (mode and mode not in rule.modes):
        return None
    try:
        span = rule.build(m, ctx)
    except PhraseError:
        raise
    except (ValueError, OverflowError) as error:
        raise PhraseError(
            f"「{ctx.phrase}」 names a date outside the calendar ({error})."
        ) from error
    return _with_mode(rule, span, mode, ctx)


def _with_mode(rule: _Rule, span: _Span, mode: str, ctx: _Context) -> Window:
    """Return the window of ``span`` read with 「まで」 (by), 「から」 (from) or neither."""
    start, end, rule_id = span.start, span.end, rule.id
    if mode == "by":
        start, rule_id = None, _BY_RULES.get(rule_id, rule_id)
    elif mode == "from":
        if start is None:
            raise PhraseError(
                f"「{ctx.phrase}」 has no first day to start from: expected e.g. 「2025年度から」."
            )
        end, rule_id = None, _FROM_RULES.get(rule_id, rule_id)
    return Window(ctx.phrase, start, end, rule.precision, span.soft, rule_id)


def _resolve_open(lead: str, body: str, ctx: _Context) -> Window:
    """Return the open window of 「速やかに」-style wording, or raise PhraseError."""
    if _OPEN_WORD.search(lead) and (not body or _is_clause(body)):
        return Window(ctx.phrase, None, None, Precision.OPEN, False, "open")
    raise PhraseError(
        f"Cannot resolve 「{ctx.phrase}」: expected a period such as 「2025年度まで」, "
        "「2024年夏頃」, 「2024年度第3四半期」, 「2025年3月末」, 「次期通常国会」 or 「速やかに」."
    )


# Recurring commitments --------------------------------------------------------------------------

_RECURRENCE = re.compile(
    r"^毎年(?P<fiscal>度)?(?:(?P<end>末)|(?P<m>\d{1,2})月(?P<rest>末|上旬|中旬|下旬)?)?$"
)


def occurrence_phrase(phrase: str, year: int) -> str:
    """Return the dated phrase of year ``year`` of a recurrence such as 「毎年度6月」.

    「毎年度」 counts fiscal years (「毎年度1月」 of FY2025 is January 2026), 「毎年」 calendar
    years; without a month the occurrence is the whole year (「2025年度中」), with 末 its end.
    """
    m = _RECURRENCE.match(_normalise(phrase))
    if m is None:
        raise PhraseError(
            f"「{phrase}」 is not a yearly recurrence: expected 「毎年」, 「毎年度」, "
            "「毎年度末」, 「毎年度6月」 or 「毎年12月末」."
        )
    suffix = "年度" if m["fiscal"] else "年"
    if m["m"] is None:
        return f"{year}{suffix}{'末' if m['end'] else '中'}"
    month = int(m["m"])
    if not 1 <= month <= 12:
        raise PhraseError(f"「{phrase}」 names month {month}: expected 1 to 12.")
    if m["fiscal"] and month < 4:
        year += 1
    return f"{year}年{month}月{m['rest'] or ''}"


def occurrence_year(phrase: str, day: date) -> int:
    """Return the year of a recurrence ``day`` is in: fiscal for 「毎年度」, else calendar."""
    return fiscal_year(day) if "年度" in _normalise(phrase) else day.year
