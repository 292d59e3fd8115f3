"""The committee digest as people receive it, in text messages (its chart: chart.py, its Excel
file: excel.py).

Texts are plain (no parse mode): unit and enterprise names come from the org import and may hold
any character. The first message is the headline and always a message of its own, short enough
for one phone screen (HEADLINE_MAX_LINES, HEADLINE_MAX_CHARS): the headline stocks, the union
density, who reported and the targets in one line. The details follow in the next messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Final

from handlers.digests.labels import (
    DASH,
    area_name,
    change,
    count,
    month_short,
    percent,
    period_label,
    suppressed,
    target_status,
)
from handlers.polls.views import results_text
from infra.i18n import day, tr
from services.digests import (
    Digest,
    FlowTotal,
    PeriodKind,
    Rate,
    StockTotal,
    TargetProgress,
)
from services.errors import N_
from services.indicators import Label
from services.targets import MeasureKind, TargetStatus

# Telegram refuses messages over 4,096 characters; the margin covers a handler's own prefix.
TEXT_LIMIT: Final = 4000
# One phone screen: what a committee member reads before deciding to scroll.
HEADLINE_MAX_LINES: Final = 15
HEADLINE_MAX_CHARS: Final = 700
# Beyond this, the text lists the first missing units and points to the spreadsheet.
MAX_MISSING_LINES: Final = 40
_PREVIOUS: Final = {
    PeriodKind.MONTH: N_("previous month"),
    PeriodKind.QUARTER: N_("previous quarter"),
    PeriodKind.YEAR: N_("previous year"),
}


def split_message(sections: Iterable[Sequence[str]], limit: int = TEXT_LIMIT) -> list[str]:
    """Pack sections (lists of lines) into messages of at most ``limit`` characters.

    Sections are kept whole when they fit, separated by a blank line; a section longer than a
    message is cut between lines, never inside one. A single line longer than ``limit`` (no
    digest line comes near it) is shortened with "…" rather than cut in two.
    """
    parts: list[str] = []
    current: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal current, size
        if current:
            parts.append("\n".join(current).strip("\n"))
        current, size = [], 0

    for section in sections:
        lines = [line if len(line) <= limit else line[: limit - 1] + "…" for line in section]
        if not lines:
            continue
        block = len("\n".join(lines))
        if current and size + 2 + block > limit and block <= limit:
            flush()  # the section fits in a message of its own: keep it whole
        if current:
            current.append("")  # the blank line between sections
            size += 1
        for line in lines:
            extra = len(line) + (1 if current else 0)
            if current and size + extra > limit:
                flush()
                extra = len(line)
            current.append(line)
            size += extra
    flush()
    return parts


def _header(digest: Digest, language: str) -> list[str]:
    return [
        tr(
            language,
            "DIGEST: {scope}, {period}",
            scope=digest.scope.name,
            period=period_label(digest.period, language),
        ),
        tr(language, "Figures as of {date}.", date=day(digest.today, language)),
    ]


def _before(kind: PeriodKind, language: str) -> str:
    return tr(language, _PREVIOUS[kind])


def _stock_line(stock: StockTotal, digest: Digest, language: str) -> str | None:
    if stock.value is None:
        return None
    line = f"• {stock.label.get(language)}: {count(stock.value, language)}"
    if stock.previous is not None:
        line += f" ({_before(digest.period.kind, language)} {count(stock.previous, language)})"
    return line


def _reported_line(digest: Digest, language: str) -> str:
    line = _submitted_line(digest, language)
    if digest.reviewed and digest.overall.expected:
        line += " " + _approved(digest.overall, language)
    return line


def _approved(rate: Rate, language: str) -> str:
    """Beside the reporting rate when the level above reviews reports: how many it approved."""
    return tr(
        language,
        "Approved: {approved_rate} ({approved}).",
        approved_rate=percent(rate.approved_rate, language),
        approved=count(rate.approved, language),
    )


def _submitted_line(digest: Digest, language: str) -> str:
    overall = digest.overall
    if not overall.expected:
        return tr(language, "No month of this period is open for reports yet.")
    return tr(
        language,
        "Reported: {rate} ({submitted} of {expected}); on time: {on_time_rate} "
        "({on_time}); late: {late}; missing: {missing}.",
        rate=percent(overall.reporting_rate, language),
        submitted=count(overall.submitted, language),
        expected=count(overall.expected, language),
        on_time_rate=percent(overall.on_time_rate, language),
        on_time=count(overall.on_time, language),
        late=count(overall.late, language),
        missing=count(overall.missing, language),
    )


def _headline(digest: Digest, language: str) -> list[str]:
    """The part read on one screen: the headline stocks, the union density, who reported and
    how the targets stand. A figure nobody reported is left out rather than shown as "—"."""
    headline = digest.headline
    lines = [line for s in headline.stocks if (line := _stock_line(s, digest, language))]
    if headline.density is not None:
        density = f"• {tr(language, 'Union density (members / workers)')}: "
        density += percent(headline.density, language)
        if headline.density_previous is not None:
            before = percent(headline.density_previous, language)
            density += f" ({_before(digest.period.kind, language)} {before})"
        lines.append(density)
    lines.append("• " + _reported_line(digest, language))
    judged = [t for t in digest.targets if t.status is not None]
    if judged:
        good = sum(t.reached or t.status is TargetStatus.ON_TRACK for t in judged)
        lines.append(
            "• "
            + tr(
                language,
                "Annual targets {year}: {good} of {total} on track or reached.",
                year=digest.period.year,
                good=good,
                total=len(digest.targets),
            )
        )
    return lines


def _reporting(digest: Digest, language: str) -> list[str]:
    if not digest.overall.expected or not digest.areas:
        return []
    lines = [tr(language, "REPORTING"), tr(language, "By area, best first:")]
    for area in digest.areas:
        lines.append(
            tr(
                language,
                "{rank}. {area}: {rate}, on time {on_time_rate} ({submitted}/{expected})",
                rank=area.rank,
                area=area_name(area, language),
                rate=percent(area.rate.reporting_rate, language),
                on_time_rate=percent(area.rate.on_time_rate, language),
                submitted=count(area.rate.submitted, language),
                expected=count(area.rate.expected, language),
            )
            + (" " + _approved(area.rate, language) if digest.reviewed else "")
        )
    return lines


def _missing(digest: Digest, language: str, max_lines: int) -> list[str]:
    if not digest.overall.expected:
        return []
    lines = [tr(language, "UNITS NOT YET REPORTED ({count})", count=len(digest.missing))]
    if not digest.missing:
        lines.append(tr(language, "Every unit has reported."))
        return lines
    several_months = len(digest.months_open) > 1
    for unit in digest.missing[:max_lines]:
        line = f"• {unit.code} {unit.name} — {unit.area_name}"
        if several_months:
            line += f" ({', '.join(month_short(m) for m in unit.months)})"
        lines.append(line)
    rest = len(digest.missing) - max_lines
    if rest > 0:
        lines.append(
            tr(language, "… and {count} more (see the Excel file).", count=count(rest, language))
        )
    return lines


def _compared(label: str, value: Decimal | None, current: Decimal | None, language: str) -> str:
    shown = f"{label} {count(value, language)}"
    delta = change(current, value, language)
    return f"{shown} ({delta})" if delta else shown


def _flow_line(flow: FlowTotal, digest: Digest, language: str) -> str:
    """The period's figure, then only the comparisons that have data: a "—" twenty times over
    says nothing and pushes the figures off the screen."""
    kind = digest.period.kind
    current = count(flow.current, language)
    if flow.approved is not None and flow.current is not None:  # reviewed by the level above
        current = tr(
            language,
            "{value} (approved {approved})",
            value=current,
            approved=count(flow.approved, language),
        )
    parts = [f"• {flow.label.get(language)}: {current}"]
    figures = (
        flow.current,
        flow.previous,
        flow.last_year,
        flow.year_to_date,
        flow.year_to_date_last_year,
    )
    if all(not figure for figure in figures):
        return parts[0]  # nothing happened in any span: "0 · 0 · 0 · 0" compares nothing
    if kind is not PeriodKind.YEAR and flow.previous is not None:
        parts.append(_compared(_before(kind, language), flow.previous, flow.current, language))
    if flow.last_year is not None:
        same = tr(language, "same period last year")
        parts.append(_compared(same, flow.last_year, flow.current, language))
    if kind is not PeriodKind.YEAR and flow.year_to_date is not None:
        if flow.year_to_date_last_year is None:
            parts.append(
                tr(language, "year to date {value}", value=count(flow.year_to_date, language))
            )
        else:
            parts.append(
                tr(
                    language,
                    "year to date {value} (last year {before})",
                    value=count(flow.year_to_date, language),
                    before=count(flow.year_to_date_last_year, language),
                )
            )
    return " · ".join(parts)


def _flows(digest: Digest, language: str) -> list[str]:
    shown = [
        flow
        for flow in digest.flows
        if any(
            value is not None
            for value in (
                flow.current,
                flow.previous,
                flow.last_year,
                flow.year_to_date,
                flow.year_to_date_last_year,
            )
        )
    ]
    if not shown:
        return []
    lines = [tr(language, "FIGURES OF THE PERIOD")]
    current_set: Label | None = None
    for flow in shown:
        if flow.set_label != current_set:
            current_set = flow.set_label
            lines.append(f"{flow.set_label.get(language)}:")
        lines.append(_flow_line(flow, digest, language))
    return lines


def _target_line(progress: TargetProgress, language: str) -> str:
    label = progress.label.get(language)
    status = target_status(progress, language)
    if progress.measure is MeasureKind.SHARE:
        value = DASH if progress.value is None else percent(float(progress.value) / 100, language)
        return tr(
            language,
            "• {label}: {value} (target {target}; {yes} of {total} enterprises): {status}",
            label=label,
            value=value,
            target=percent(float(progress.target) / 100, language),
            yes=count(progress.numerator or 0, language),
            total=count(progress.denominator or 0, language),
            status=status,
        )
    return tr(
        language,
        "• {label}: {value} of {target} ({achieved}; {expected} due by now): {status}",
        label=label,
        value=count(progress.value, language),
        target=count(progress.target, language),
        achieved=percent(progress.achieved, language),
        expected=percent(progress.expected, language),
        status=status,
    )


def _targets(digest: Digest, language: str) -> list[str]:
    lines = [
        tr(
            language,
            "ANNUAL TARGETS {year} (months counted: {months}/12)",
            year=digest.period.year,
            months=digest.elapsed_months,
        )
    ]
    if not digest.targets:
        lines.append(tr(language, "No annual target is set for this level."))
        return lines
    lines.extend(_target_line(progress, language) for progress in digest.targets)
    return lines


def _concerns(digest: Digest, language: str) -> list[str]:
    lines = [
        tr(
            language,
            "WORKERS' CONCERNS: new / answered in the period / overdue on {date}",
            date=day(digest.today, language),
        )
    ]
    total = digest.concerns_total
    if all(c.exact and c.visible == 0 for c in (total.new, total.answered, total.overdue)):
        lines.append(tr(language, "No concerns in this period."))
        return lines
    for line in digest.concerns:
        cells = (line.new, line.answered, line.overdue)
        if all(c.exact and c.visible == 0 for c in cells):
            continue
        shown = " / ".join(suppressed(c, language) for c in cells)
        lines.append(f"• {line.label.get(language)}: {shown}")
    lines.append(
        tr(
            language,
            "Total: {new} / {answered} / {overdue}",
            new=suppressed(total.new, language),
            answered=suppressed(total.answered, language),
            overdue=suppressed(total.overdue, language),
        )
    )
    lines.append(
        tr(
            language,
            "<5: fewer than five at one enterprise, hidden to protect workers; "
            "≥ N: at least N, with the counts under five left out.",
        )
    )
    return lines


def _polls(digest: Digest, language: str) -> list[list[str]]:
    """One section per workers' poll closed in the period (none: no section at all)."""
    return [
        [tr(language, "WORKERS' POLL"), *results_text(result, language).splitlines()]
        for result in digest.polls
    ]


def render_text(
    digest: Digest,
    language: str,
    *,
    limit: int = TEXT_LIMIT,
    max_missing_lines: int = MAX_MISSING_LINES,
) -> list[str]:
    """The digest as messages of at most ``limit`` characters: the headline as a message of its
    own, then the details split between sections (and, for a section longer than one message,
    between lines)."""
    headline = split_message([_header(digest, language), _headline(digest, language)], limit)
    details = [
        _reporting(digest, language),
        _missing(digest, language, max_missing_lines),
        _flows(digest, language),
        _targets(digest, language),
        _concerns(digest, language),
        *_polls(digest, language),
    ]
    return headline + split_message(details, limit)
