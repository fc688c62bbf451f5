"""Articles per topic per day as an inline SVG line chart, drawn on the server (no library)."""

from dataclasses import dataclass
from datetime import date

WIDTH = 520
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 32, 190, 12, 28
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


@dataclass(frozen=True)
class Dot:
    """A day with articles, marked on its line (lines of equal counts overlap; dots and their
    tooltips still tell the days apart)."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Line:
    """One topic's polyline and legend entry."""

    topic: str
    colour: str
    points: str
    total: int
    legend_y: int
    dots: list[Dot]


@dataclass(frozen=True)
class Tick:
    """An axis label at a position."""

    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    """What the SVG template draws; ``lines`` is empty when no article has a topic."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    lines: list[Line]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    days: int

    @property
    def empty(self) -> bool:
        """No topic has an article in the period."""
        return not self.lines


def volume_chart(days: list[date], series: dict[str, list[int]]) -> Chart:
    """The chart of ``series`` (topic -> articles per day of ``days``), largest topics first."""
    ranked = sorted(series.items(), key=lambda kv: (-sum(kv[1]), kv[0]))[: len(COLOURS)]
    ranked = [(topic, counts) for topic, counts in ranked if sum(counts)]
    peak = max((max(counts) for _, counts in ranked), default=0) or 1
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(days) - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + i * step, 1)

    def y(count: int) -> float:
        return round(TOP + plot_h - count / peak * plot_h, 1)

    lines = [
        Line(
            topic=topic,
            colour=COLOURS[n],
            points=" ".join(f"{x(i)},{y(c)}" for i, c in enumerate(counts)),
            total=sum(counts),
            legend_y=TOP + 6 + n * 18,
            dots=[
                Dot(x(i), y(c), f"{topic}, {days[i]:%Y-%m-%d}: {c} article(s)")
                for i, c in enumerate(counts)
                if c
            ],
        )
        for n, (topic, counts) in enumerate(ranked)
    ]
    every = max(1, len(days) // 7)
    x_ticks = [Tick(x(i), f"{d:%m-%d}") for i, d in enumerate(days) if i % every == 0]
    y_ticks = [Tick(y(v), str(v)) for v in sorted({0, peak // 2, peak})]
    return Chart(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, lines, x_ticks, y_ticks, len(days))
