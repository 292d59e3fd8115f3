"""The digest's one PNG chart: targets against their pace, and the areas' reporting rates.

Drawn with matplotlib in a worker thread (infra/rendering.py off_the_loop): half a second of CPU
nobody else should wait for."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from handlers.digests.labels import area_name, percent, period_label
from infra.i18n import percent as percent_sign
from infra.i18n import tr
from services.digests import (
    AreaRate,
    Digest,
    TargetProgress,
)
from services.targets import TargetStatus

# The chart shows at most this many areas (the lowest reporting rates when there are more).
MAX_CHART_AREAS: Final = 25

_GREEN: Final = "#2e7d32"
_RED: Final = "#c62828"
_GREY: Final = "#9e9e9e"
_BLUE: Final = "#1565c0"
_LIGHT_BLUE: Final = "#90caf9"


def _tick(value: float, language: str) -> str:
    return percent_sign(round(value), language, places=0)


def _wrap(text: str, width: int = 34) -> str:
    return "\n".join(textwrap.wrap(text, width)[:2]) or text


def _charted_targets(digest: Digest) -> list[TargetProgress]:
    return [t for t in digest.targets if t.achieved is not None]


def has_chart(digest: Digest) -> bool:
    """Whether a chart shows anything to compare: a target with a result against its pace, or
    two areas or more side by side. One bar alone, or an empty frame, is not worth a message."""
    return bool(_charted_targets(digest)) or len(digest.areas) >= 2


def _draw_targets(axes: Any, targets: Sequence[TargetProgress], language: str) -> None:
    from matplotlib.patches import Patch

    axes.set_title(tr(language, "Annual targets: share reached (| = pace)"), loc="left")
    labels = [_wrap(t.label.get(language)) for t in targets][::-1]
    achieved = [min(t.achieved or 0.0, 1.5) * 100 for t in targets][::-1]
    colours = [
        _GREY if t.status is None else _GREEN if t.status is TargetStatus.ON_TRACK else _RED
        for t in targets
    ][::-1]
    positions = range(len(targets))
    axes.barh(positions, achieved, color=colours, height=0.6)
    for y, progress in zip(positions, targets[::-1], strict=True):
        axes.plot(
            [progress.expected * 100] * 2,
            [y - 0.4, y + 0.4],
            color="black",
            linewidth=2.5,
        )
        axes.text(
            min((progress.achieved or 0.0), 1.5) * 100 + 1.5,
            y,
            percent(progress.achieved, language),
            va="center",
            fontsize=9,
        )
    axes.set_yticks(list(positions), labels)
    axes.set_xlim(0, 175)
    axes.legend(
        handles=[
            Patch(color=_GREEN, label=tr(language, "on track")),
            Patch(color=_RED, label=tr(language, "behind")),
        ],
        loc="lower right",
        bbox_to_anchor=(1, 1),
        ncols=2,
        frameon=False,
        fontsize=8,
    )
    axes.xaxis.set_major_formatter(lambda x, _pos: _tick(x, language))


def _draw_areas(axes: Any, areas: Sequence[AreaRate], note: str, language: str) -> None:
    axes.set_title(tr(language, "Reporting rate by area") + note, loc="left")
    ordered = list(areas)[::-1]  # best at the top
    positions = range(len(ordered))
    on_time = [(a.rate.on_time_rate or 0) * 100 for a in ordered]
    late = [((a.rate.reporting_rate or 0) - (a.rate.on_time_rate or 0)) * 100 for a in ordered]
    axes.barh(positions, on_time, color=_BLUE, height=0.6, label=tr(language, "on time"))
    axes.barh(
        positions,
        late,
        left=on_time,
        color=_LIGHT_BLUE,
        height=0.6,
        label=tr(language, "late"),
    )
    for y, area in zip(positions, ordered, strict=True):
        axes.text(
            (area.rate.reporting_rate or 0) * 100 + 1,
            y,
            percent(area.rate.reporting_rate, language),
            va="center",
            fontsize=9,
        )
    axes.set_yticks(list(positions), [_wrap(area_name(a, language)) for a in ordered])
    axes.set_xlim(0, 115)
    axes.legend(loc="lower right", bbox_to_anchor=(1, 1), ncols=2, frameon=False, fontsize=8)
    axes.xaxis.set_major_formatter(lambda x, _pos: _tick(x, language))


def render_chart(digest: Digest, path: Path, language: str = "vi") -> Path:
    """One PNG: progress against each annual target (with the pace marker), and the reporting
    rate of each area (on time and late); a part with nothing to compare is left out (see
    ``has_chart`` for whether to send a chart at all). Rendered with Agg, in DejaVu Sans, which
    has every Vietnamese letter; no pyplot, so nothing global is touched."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    targets = _charted_targets(digest)
    areas = list(digest.areas) if len(digest.areas) >= 2 else []
    area_note = ""
    if len(areas) > MAX_CHART_AREAS:
        areas = sorted(areas, key=lambda a: a.rank)[-MAX_CHART_AREAS:]
        area_note = " " + tr(language, "(the {count} lowest)", count=MAX_CHART_AREAS)
    panels: list[tuple[float, str]] = []
    if targets:
        panels.append((0.6 + 0.5 * len(targets), "targets"))
    if areas:
        panels.append((0.6 + 0.38 * len(areas), "areas"))
    if not panels:
        panels.append((1.0, "empty"))
    height = 1.0 + sum(size + 0.8 for size, _ in panels)
    with rc_context({"font.family": "DejaVu Sans", "font.size": 10}):
        figure = Figure(figsize=(10, height), dpi=120, layout="constrained")
        FigureCanvasAgg(figure)
        axes_list = figure.subplots(
            len(panels), 1, height_ratios=[size for size, _ in panels], squeeze=False
        )[:, 0]
        figure.suptitle(
            f"{digest.scope.name} — {period_label(digest.period, language)}",
            fontsize=13,
            fontweight="bold",
        )
        for axes, (_size, kind) in zip(axes_list, panels, strict=True):
            if kind == "targets":
                _draw_targets(axes, targets, language)
            elif kind == "areas":
                _draw_areas(axes, areas, area_note, language)
            else:
                axes.text(
                    0.5,
                    0.5,
                    tr(language, "Nothing to compare in this period."),
                    ha="center",
                    va="center",
                    transform=axes.transAxes,
                )
                axes.set_axis_off()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    return path
