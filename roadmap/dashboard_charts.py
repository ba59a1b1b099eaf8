"""Dashboard charts drawn on the server: stacked bars, a 47-tile map of Japan, rate bars.

Each builder takes plain data (labels and counts, prefecture code → rate) and returns shapes in
pixels for an SVG template; the numbers are written on the chart and the same data is shown in
a table beside it, so the chart only adds to what the table says.
"""

from dataclasses import dataclass
from functools import cache

from django.utils.translation import ngettext

from roadmap.bodies import PREFECTURES_FILE
from roadmap.models import Milestone

BAR_HEIGHT = 28
BAR_GAP = 6
# Shading of the map in five steps of completion, lightest for least done.
SHADES = ((0, "shade-0"), (20, "shade-1"), (40, "shade-2"), (60, "shade-3"), (80, "shade-4"))
TILE = 64
TILE_GAP = 4
# (column, row) of each prefecture on a grid of Japan, north-east to south-west.
TILE_POSITIONS = {
    "01": (11, 0), "02": (11, 1), "05": (10, 2), "03": (11, 2),
    "17": (7, 3), "16": (8, 3), "15": (9, 3), "06": (10, 3), "04": (11, 3),
    "18": (6, 4), "21": (7, 4), "20": (8, 4), "10": (9, 4), "09": (10, 4), "07": (11, 4),
    "32": (2, 5), "31": (3, 5), "28": (4, 5), "26": (5, 5), "25": (6, 5), "23": (7, 5),
    "19": (8, 5), "11": (9, 5), "08": (10, 5),
    "35": (1, 6), "34": (2, 6), "33": (3, 6), "27": (5, 6), "29": (6, 6), "24": (7, 6),
    "22": (8, 6), "13": (9, 6), "12": (10, 6),
    "41": (0, 7), "40": (1, 7), "38": (3, 7), "37": (4, 7), "30": (6, 7), "14": (9, 7),
    "42": (0, 8), "43": (1, 8), "44": (2, 8), "39": (3, 8), "36": (4, 8),
    "46": (1, 9), "45": (2, 9),
    "47": (0, 10),
}  # fmt: skip


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    count: int
    x: float
    width: float

    @property
    def text_x(self):
        return round(self.x + self.width / 2, 1)

    @property
    def shows_count(self):
        """Return whether the count fits on the segment (the table has it in any case)."""
        return self.width >= 8 * len(str(self.count)) + 8


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    segments: list
    note: str
    end_x: float
    height: int

    @property
    def text_y(self):
        return round(self.y + self.height / 2 + 5, 1)


@dataclass(frozen=True)
class BarChart:
    bars: list
    width: int
    height: int
    label_width: int

    @property
    def labels_above(self):
        return self.label_width == 0


NOTE_ROOM = 130


def stacked_bars(rows, width=720, largest=None, label_width=0, bar_height=BAR_HEIGHT):
    """Return a bar chart of rows (label, [(key, label, count), ...], note), one bar per row.

    Bars share one scale: ``largest`` (by default the largest total) fills the width, less
    room for the label (written above each bar when ``label_width`` is 0) and the note
    written after the bar.
    """
    if largest is None:
        largest = max((sum(c for _, _, c in parts) for _, parts, _ in rows), default=0) or 1
    scale = (width - label_width - NOTE_ROOM) / largest
    above = 22 if label_width == 0 else 0
    bars, y = [], above
    for label, parts, note in rows:
        x, segments = float(label_width), []
        for key, part_label, count in parts:
            w = round(count * scale, 1)
            if count:
                segments.append(Segment(key, part_label, count, round(x, 1), w))
            x += w
        bars.append(Bar(label, y, segments, note, round(x + 6, 1), bar_height))
        y += bar_height + BAR_GAP + above
    return BarChart(bars, width, int(y - above), label_width)


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    rate: float | None
    x: int
    y: int

    @property
    def shade(self):
        if self.rate is None:
            return "shade-none"
        return [name for floor, name in SHADES if self.rate >= floor][-1]

    @property
    def center_x(self):
        return self.x + TILE // 2

    @property
    def rate_text(self):
        return "—" if self.rate is None else f"{self.rate:.1f}%"


@dataclass(frozen=True)
class TileMap:
    tiles: list
    width: int
    height: int
    tile: int = TILE


@cache
def prefecture_names():
    """Return code → (Japanese short name, English name) of the 47 prefectures."""
    rows = [line.split("\t") for line in PREFECTURES_FILE.read_text(encoding="utf-8").splitlines()]
    return {row[0]: (short_name(row[1]), row[2]) for row in rows if not row[0].startswith("#")}


def short_name(name_ja):
    """Return 「東京」 for 東京都, 「大阪」 for 大阪府, 「青森」 for 青森県; 北海道 stays."""
    return name_ja[:-1] if name_ja[-1] in "都府県" else name_ja


def tile_map(rates, language):
    """Return the 47-tile map of ``rates`` (two-digit prefecture code → percent, or missing)."""
    names = prefecture_names()
    tiles = []
    for code, (column, row) in sorted(TILE_POSITIONS.items()):
        name_ja, name_en = names.get(code, (code, code))
        tiles.append(
            Tile(
                code,
                name_en if language == "en" else name_ja,
                rates.get(code),
                column * (TILE + TILE_GAP),
                row * (TILE + TILE_GAP),
            )
        )
    columns = 1 + max(c for c, _ in TILE_POSITIONS.values())
    rows = 1 + max(r for _, r in TILE_POSITIONS.values())
    return TileMap(tiles, columns * (TILE + TILE_GAP), rows * (TILE + TILE_GAP))


def legend_steps():
    """Return the map legend: (shade class, lower bound, upper bound) of each step."""
    bounds = [floor for floor, _ in SHADES] + [100]
    return [(name, bounds[i], bounds[i + 1]) for i, (_, name) in enumerate(SHADES)]


def rate_bars(rates, width=520):
    """Return one bar per (label, percent) on a 0–100 scale, the percent written after it."""
    rows = [(label, [("rate", label, rate)], f"{rate:.1f}%") for label, rate in rates]
    return stacked_bars(rows, width, largest=100, label_width=120, bar_height=16)


def status_bars(areas, language):
    """Return the by-area chart: one bar per area, stacked by status, overdue noted after."""
    rows = []
    for row in areas:
        title = row["initiative"].title(language) if row.get("initiative") else ""
        parts = [(status, label, row[status]) for status, label in Milestone.Status.choices]
        note = ngettext("%(count)d overdue", "%(count)d overdue", row["overdue"]) % {
            "count": row["overdue"]
        }
        rows.append((f"{row['area']} {title}".strip(), ordered(parts), note))
    return stacked_bars(rows)


def ordered(parts):
    """Put done first, then in progress, planned and cancelled: the bar reads left to right."""
    order = ["done", "in_progress", "planned", "cancelled"]
    return sorted(parts, key=lambda part: order.index(part[0]))


def status_legend():
    """Return (key, label) of the stacked bars' segments, in the order they are drawn."""
    return ordered([(status, label, 0) for status, label in Milestone.Status.choices])


@dataclass(frozen=True)
class TrendPoint:
    label: str
    percent: float
    x: float
    y: float


@dataclass(frozen=True)
class TrendLine:
    points: list
    width: int
    height: int
    top: int
    bottom: int

    @property
    def path(self):
        """Return the polyline's points attribute."""
        return " ".join(f"{p.x},{p.y}" for p in self.points)

    @property
    def gridlines(self):
        """Return (y, label) of the 0, 50 and 100 per cent lines."""
        span = self.bottom - self.top
        return [(round(self.bottom - span * pct / 100, 1), f"{pct}%") for pct in (0, 50, 100)]


def national_trend(snapshots) -> dict:
    """Return the national completion rate at each snapshot, oldest first, as the rows of its
    table (``trend``: (as of, percent)) and the line drawn beside it (``trend_line``)."""
    from roadmap.programme.rates import percent

    trend = [(s.as_of, percent(s.complete, s.systems)) for s in snapshots]
    line = trend_line([(day.strftime("%Y-%m"), float(rate)) for day, rate in trend])
    return {"trend": trend, "trend_line": line if trend else None}


def trend_line(points, width=560, height=220):
    """Return a line of (label, percent) points, oldest first, on a 0–100 scale."""
    top, bottom, left, right = 16, height - 34, 48, width - 24
    step = (right - left) / max(len(points) - 1, 1)
    shaped = [
        TrendPoint(
            label,
            percent,
            round(left + i * step, 1),
            round(bottom - (bottom - top) * percent / 100, 1),
        )
        for i, (label, percent) in enumerate(points)
    ]
    return TrendLine(shaped, width, height, top, bottom)
