"""Poll results as the web pages show them (the dashboard's section, the office console's poll
page): the figures of services/polls/results.py turned into text and bar widths, nothing
counted here. Drawn by templates/poll_results.html (inline SVG bars, coloured by polls.css).

- An enterprise's option: its count and share, ``<5`` (1–4, no share, no bar) or "hidden"
  (the smallest other option hidden with a lone ``<5``).
- The area's option: the exact total and share, or "≥ N" (a lower bound) drawn as a lighter
  bar of N over the respondents of the enterprises shown.
- An enterprise with fewer than 5 respondents: "too few answers", nothing else.

A poll's dates are days; nothing here has a time, or anything of one answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from infra.i18n import day, number, tr
from services.polls import PollInPeriod, PollResults, PollView
from services.suppression import SuppressedCount


@dataclass(frozen=True)
class Row:
    label: str
    figure: str
    width: float | None  # 0–100, the bar; None: no bar (a hidden count)
    bound: bool = False  # a lower bound: drawn lighter


@dataclass(frozen=True)
class Block:
    question: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Part:
    """The area's or one enterprise's results: ``too_few`` shows nothing else."""

    name: str
    summary: str
    too_few: bool
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Shown:
    poll_id: int
    title: str  # the first question (and how many more)
    audience: str
    dates: str
    status: str
    open: bool
    answers: str | None  # after the close only
    note: str | None  # why there are no results (yet)
    final: bool
    area: Part | None
    enterprises: tuple[Part, ...]


def _width(share: float | None) -> float:
    return round(max(0.0, min(1.0, share or 0.0)) * 100, 1)


def _percent(share: float, lang: str) -> str:
    return f"{number(round(share * 100), lang)}%"


def suppressed(count: SuppressedCount, lang: str) -> str:
    if count.exact:
        return number(count.visible, lang)
    if count.below_five:
        return "<5"
    return tr(lang, "≥ {n}", n=number(count.lower_bound, lang))


def title_of(poll: PollView, lang: str) -> str:
    first = poll.questions[0].text.get(lang) if poll.questions else ""
    more = len(poll.questions) - 1
    return tr(lang, "{question} (+{count} more)", question=first, count=more) if more else first


def _area(results: PollResults, lang: str) -> Part:
    poll, area = results.poll, results.area
    blocks = []
    of = max(area.respondents, 1)
    for q, cells in enumerate(area.questions):
        rows = []
        for o, cell in enumerate(cells):
            label = poll.questions[q].options[o].get(lang)
            total = cell.total
            if total.exact:
                figure = number(total.visible, lang)
                if cell.share is not None:
                    figure += f" ({_percent(cell.share, lang)})"
                # Without a share (another option is a bound) the bar is of the respondents.
                bar = cell.share if cell.share is not None else total.visible / of
                rows.append(Row(label, figure, _width(bar)))
            else:
                # A bound: at least N of the respondents (the bar says no more than that).
                rows.append(
                    Row(label, suppressed(total, lang), _width(total.lower_bound / of), True)
                )
        blocks.append(Block(poll.questions[q].text.get(lang), tuple(rows)))
    summary = tr(
        lang,
        "{n} answered in {shown} enterprises",
        n=number(area.respondents, lang),
        shown=number(area.enterprises_shown, lang),
    )
    if area.enterprises_too_few:
        summary += " · " + tr(
            lang,
            "{count} enterprises with too few answers are not counted",
            count=number(area.enterprises_too_few, lang),
        )
    return Part(area.name, summary, False, tuple(blocks))


def _enterprises(results: PollResults, lang: str) -> tuple[Part, ...]:
    poll = results.poll
    parts = []
    for result in results.enterprises:
        if result.too_few:
            parts.append(Part(result.name, tr(lang, "too few answers to show"), True, ()))
            continue
        blocks = []
        for q, cells in enumerate(result.questions):
            rows = []
            for o, cell in enumerate(cells):
                label = poll.questions[q].options[o].get(lang)
                if cell.count is None:
                    figure = "<5" if cell.below_five else tr(lang, "hidden")
                    rows.append(Row(label, figure, None))
                    continue
                figure = number(cell.count, lang)
                if cell.share is not None:
                    figure += f" ({_percent(cell.share, lang)})"
                rows.append(Row(label, figure, _width(cell.share)))
            blocks.append(Block(poll.questions[q].text.get(lang), tuple(rows)))
        summary = tr(lang, "{n} answered", n=number(result.respondents or 0, lang))
        parts.append(Part(result.name, summary, False, tuple(blocks)))
    return tuple(parts)


def shown(listed: PollInPeriod, today: date, lang: str) -> Shown:
    poll, results = listed.poll, listed.results
    is_open = poll.is_open(today)
    if poll.finished or poll.is_closed(today):
        status = tr(lang, "closed")
    elif is_open:
        status = tr(lang, "open")
    else:
        status = tr(lang, "not open yet")
    note = None
    if results is None:
        note = tr(lang, "The results are shown when the poll closes.")
    elif not results.enterprises:
        note = tr(lang, "No answer.") if results.final else tr(lang, "No answer counted yet.")
    return Shown(
        poll_id=poll.id,
        title=title_of(poll, lang),
        audience=poll.audience_name,
        dates=tr(
            lang,
            "{opens} – {closes}",
            opens=day(poll.opens_on, lang),
            closes=day(poll.closes_on, lang),
        ),
        status=status,
        open=is_open,
        answers=None if listed.respondents is None else suppressed(listed.respondents, lang),
        note=note,
        final=results is not None and results.final,
        area=_area(results, lang) if results is not None and results.enterprises else None,
        enterprises=_enterprises(results, lang) if results is not None else (),
    )
