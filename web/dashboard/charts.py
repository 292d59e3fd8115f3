"""The dashboard's charts as numbers an SVG template draws: no CDN, no script, no image
rendering. Each chart is a few dozen attributes computed here from the digest's figures; the
template (templates/dashboard/charts.html) writes them as inline SVG, scaled to the phone's width
by its viewBox. Colours and fonts come from the stylesheet (classes), never from style
attributes, which the pages' Content-Security-Policy refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 320  # viewBox units; the SVG is drawn at 100 % of its card
LINE_HEIGHT = 64
PLOT_TOP = 8
PLOT_BOTTOM = 48  # the month labels go below
BAR_HEIGHT = 56


@dataclass(frozen=True)
class Line:
    """A 12-month line: polylines for runs of known values (a month without data breaks the
    line rather than pretending a zero), and the last known point as a dot."""

    width: int
    height: int
    runs: tuple[str, ...]  # "x,y x,y …"
    dot: tuple[float, float] | None
    baseline: float


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    y: float
    height: float
    inner_y: float  # the on-time part of a reporting bar
    inner_height: float


@dataclass(frozen=True)
class Bars:
    width: int
    height: int
    bars: tuple[Bar, ...]
    baseline: float


def line(values: Sequence[Decimal | float | None]) -> Line:
    """Scaled from 0 (or the lowest value, when all are far above 0) to the highest value."""
    known = [float(v) for v in values if v is not None]
    step = WIDTH / max(1, len(values))
    if not known:
        return Line(WIDTH, LINE_HEIGHT, (), None, PLOT_BOTTOM)
    high, low = max(known), min(known)
    # A stock that moves by a few percent would look flat from zero: start the scale near the
    # lowest value then, and say so in the figures printed beside the line (the template).
    floor = 0.0 if low <= 0 or low < high * 0.5 else low * 0.95
    span = (high - floor) or 1.0

    def y(value: float) -> float:
        return round(PLOT_BOTTOM - (value - floor) / span * (PLOT_BOTTOM - PLOT_TOP), 1)

    runs: list[str] = []
    current: list[str] = []
    dot = None
    for index, value in enumerate(values):
        x = round(step * index + step / 2, 1)
        if value is None:
            if current:
                runs.append(" ".join(current))
            current = []
            continue
        point = (x, y(float(value)))
        current.append(f"{point[0]},{point[1]}")
        dot = point
    if current:
        runs.append(" ".join(current))
    return Line(WIDTH, LINE_HEIGHT, tuple(runs), dot, PLOT_BOTTOM)


def rate_bars(rates: Sequence[tuple[float | None, float | None]]) -> Bars:
    """One bar per month: its height the reporting rate, the darker inner part the on-time
    rate (0–100 %)."""
    step = WIDTH / max(1, len(rates))
    bars = []
    for index, (reported, on_time) in enumerate(rates):
        height = round((reported or 0) * (PLOT_BOTTOM - PLOT_TOP), 1)
        inner = round((on_time or 0) * (PLOT_BOTTOM - PLOT_TOP), 1)
        bars.append(
            Bar(
                x=round(step * index + step * 0.15, 1),
                width=round(step * 0.7, 1),
                y=round(PLOT_BOTTOM - height, 1),
                height=height,
                inner_y=round(PLOT_BOTTOM - inner, 1),
                inner_height=inner,
            )
        )
    return Bars(WIDTH, BAR_HEIGHT + 8, tuple(bars), PLOT_BOTTOM)


@dataclass(frozen=True)
class Progress:
    """A horizontal bar out of 100: the share reached (capped at the end) and where the pace of
    the year says it should be by now."""

    filled: float
    pace: float | None


def progress(achieved: float | None, expected: float | None) -> Progress:
    def clamp(value: float) -> float:
        return round(max(0.0, min(1.0, value)) * 100, 1)

    return Progress(clamp(achieved or 0.0), None if expected is None else clamp(expected))
