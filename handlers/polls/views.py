"""How a poll and its results read, in a chat (the worker's message, the digest's section)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from handlers.common.buttons import PollButtons
from handlers.common.context import keyboard
from infra.i18n import day, tr
from services.polls import AreaResult, Cell, Choice, EnterpriseResult, PollResults, PollView


def poll_text(poll: PollView, lang: str) -> str:
    lines = [
        tr(lang, "📋 A poll of the union for workers of {area}", area=poll.audience_name),
        tr(
            lang,
            "Answer until the end of {date}; you can change your answer until then. "
            "Nobody can see which answer is yours. The results will be sent to you when "
            "the poll closes.",
            date=day(poll.closes_on, lang),
        ),
    ]
    for number, question in enumerate(poll.questions, start=1):
        prefix = f"{number}. " if len(poll.questions) > 1 else ""
        lines.append("")
        lines.append(prefix + question.text.get(lang))
    return "\n".join(lines)


def poll_buttons(
    poll: PollView, subscription_id: str, lang: str, choice: Choice | None = None
) -> InlineKeyboardMarkup:
    """One button per option (a numbered list on Zalo and the console), the worker's own
    choice ticked, and the way out of the poll list under it."""
    rows = []
    several = len(poll.questions) > 1
    for q, question in enumerate(poll.questions):
        chosen = choice.options[q] if choice is not None and q < len(choice.options) else None
        for o, option in enumerate(question.options):
            mark = "✅ " if chosen == o else ""
            label = f"{mark}{q + 1}. {option.get(lang)}" if several else mark + option.get(lang)
            rows.append([(label, PollButtons.answer(poll.id, subscription_id, q, o))])
    rows.append([(tr(lang, "🚪 Stop receiving polls"), PollButtons.leave(subscription_id))])
    return keyboard(*rows)


def _share(share: float | None) -> str:
    return "" if share is None else f" ({round(share * 100)}%)"


def _cell(cell: Cell, lang: str) -> str:
    if cell.count is not None:
        return f"{cell.count}{_share(cell.share)}"
    return "<5" if cell.below_five else tr(lang, "hidden")


def _enterprise(result: EnterpriseResult, poll: PollView, lang: str) -> list[str]:
    if result.too_few:
        return [tr(lang, "{enterprise}: too few answers to show.", enterprise=result.name)]
    lines = [
        tr(
            lang,
            "{enterprise}: {n} answered",
            enterprise=result.name,
            n=result.respondents,
        )
    ]
    for q, cells in enumerate(result.questions):
        if len(poll.questions) > 1:
            lines.append(f"  {q + 1}. {poll.questions[q].text.get(lang)}")
        for o, cell in enumerate(cells):
            lines.append(f"   • {poll.questions[q].options[o].get(lang)}: {_cell(cell, lang)}")
    return lines


def _area(area: AreaResult, poll: PollView, lang: str) -> list[str]:
    lines = [
        tr(
            lang,
            "{area}: {n} answered in {shown} enterprises",
            area=area.name,
            n=area.respondents,
            shown=area.enterprises_shown,
        )
    ]
    if area.enterprises_too_few:
        lines.append(
            tr(
                lang,
                "  ({count} enterprises with too few answers are not counted)",
                count=area.enterprises_too_few,
            )
        )
    for q, cells in enumerate(area.questions):
        if len(poll.questions) > 1:
            lines.append(f"  {q + 1}. {poll.questions[q].text.get(lang)}")
        for o, cell in enumerate(cells):
            total = cell.total
            figure = (
                f"{total.visible}{_share(cell.share)}"
                if total.exact
                else "<5"
                if total.below_five
                else f"≥ {total.lower_bound}"
            )
            lines.append(f"   • {poll.questions[q].options[o].get(lang)}: {figure}")
    return lines


def results_text(results: PollResults, lang: str, *, enterprise_id: int | None = None) -> str:
    """The results: one enterprise's and the area's (a worker), or every enterprise's (None)."""
    poll = results.poll
    head = (
        tr(lang, "📊 Results of the poll (closed on {date})", date=day(poll.closes_on, lang))
        if results.final
        else tr(
            lang,
            "📊 Results so far of the poll (open until {date})",
            date=day(poll.closes_on, lang),
        )
    )
    lines = [head]
    if len(poll.questions) == 1:
        lines.append(poll.questions[0].text.get(lang))
    shown = [
        e for e in results.enterprises if enterprise_id is None or e.enterprise_id == enterprise_id
    ]
    for enterprise in shown:
        lines.append("")
        lines += _enterprise(enterprise, poll, lang)
    lines.append("")
    lines += _area(results.area, poll, lang)
    return "\n".join(lines)
