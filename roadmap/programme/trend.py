"""The trend of the national completion rate over the snapshots, drawn on the server as SVG."""

from dataclasses import dataclass

from roadmap.programme.rates import percent

WIDTH, HEIGHT, MARGIN = 640, 220, 40


@dataclass(frozen=True)
class Point:
    as_of: object
    completion: object
    x: float
    y: float


@dataclass(frozen=True)
class Chart:
    points: list[Point]
    width: int = WIDTH
    height: int = HEIGHT
    margin: int = MARGIN

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def gridlines(self) -> list[dict]:
        return [{"value": v, "y": y_of(v)} for v in (0, 25, 50, 75, 100)]

    @property
    def baseline(self) -> float:
        return y_of(0)

    @property
    def right(self) -> int:
        return WIDTH - MARGIN // 2


def y_of(value) -> float:
    """Return the vertical position of a percentage."""
    return HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * float(value) / 100


def trend_chart(snapshots) -> Chart | None:
    """Return the chart of the snapshots' national completion, oldest first (None without any)."""
    if not snapshots:
        return None
    span = max(len(snapshots) - 1, 1)
    points = []
    for index, snapshot in enumerate(snapshots):
        completion = percent(snapshot.complete, snapshot.systems)
        x = MARGIN + (WIDTH - 2 * MARGIN) * (index / span if len(snapshots) > 1 else 0.5)
        points.append(Point(snapshot.as_of, completion, x, y_of(completion)))
    return Chart(points)
