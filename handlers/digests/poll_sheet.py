"""The workbook's "Khảo sát" (Polls) sheet: one row per poll, area or enterprise, question and
option, with the suppression of services/polls/results.py as it is (nothing recomputed).

A count of 1–4 in an enterprise is the text ``<5`` (no share), an area's total with a hidden
part the text "≥ N" (a lower bound, no share), an enterprise with fewer than 5 respondents one
row "too few answers to show". Text cells stay text (excel.py ``_text_stays_text``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from infra.i18n import day, tr
from services.polls import PollResults

COUNT_FORMAT: Final = "#,##0"
PERCENT_FORMAT: Final = "0.0%"
WIDTHS: Final = (40, 14, 32, 14, 40, 28, 12, 10)


def _bound(total: Any, language: str) -> int | str:
    if total.exact:
        return int(total.visible)
    if total.below_five:
        return "<5"
    return tr(language, "≥ {n}", n=total.lower_bound)


def add_poll_sheet(
    workbook: Any, results: Sequence[PollResults], title: str, language: str
) -> Any | None:
    """The sheet, filled (not styled), or None when there is no poll to list."""
    if not results:
        return None
    sheet = workbook.create_sheet(tr(language, "Polls"))
    sheet.append([title])
    sheet.append(
        [
            tr(language, "Poll"),
            tr(language, "Closes on"),
            tr(language, "Area or enterprise"),
            tr(language, "Respondents"),
            tr(language, "Question"),
            tr(language, "Option"),
            tr(language, "Count"),
            tr(language, "Share"),
        ]
    )

    def add(cells: list[Any]) -> None:
        sheet.append(cells)
        row = sheet.max_row
        for column in (4, 7):
            if isinstance(sheet.cell(row, column).value, int):
                sheet.cell(row, column).number_format = COUNT_FORMAT
        if isinstance(sheet.cell(row, 8).value, float):
            sheet.cell(row, 8).number_format = PERCENT_FORMAT

    for result in results:
        poll = result.poll
        name = poll.questions[0].text.get(language) if poll.questions else ""
        closes = day(poll.closes_on, language)
        if not result.final:
            name = tr(language, "{poll} (results so far)", poll=name)
        area = result.area
        area_name = tr(language, "{area} (all enterprises shown)", area=area.name)
        for q, cells in enumerate(area.questions):
            question = poll.questions[q].text.get(language)
            for o, cell in enumerate(cells):
                add(
                    [
                        name,
                        closes,
                        area_name,
                        area.respondents,
                        question,
                        poll.questions[q].options[o].get(language),
                        _bound(cell.total, language),
                        cell.share,
                    ]
                )
        for enterprise in result.enterprises:
            if enterprise.too_few:
                add(
                    [
                        name,
                        closes,
                        enterprise.name,
                        tr(language, "too few answers to show"),
                        None,
                        None,
                        None,
                        None,
                    ]
                )
                continue
            for q, row in enumerate(enterprise.questions):
                question = poll.questions[q].text.get(language)
                for o, item in enumerate(row):
                    count: int | str
                    if item.count is not None:
                        count = item.count
                    else:
                        count = "<5" if item.below_five else tr(language, "hidden")
                    add(
                        [
                            name,
                            closes,
                            enterprise.name,
                            enterprise.respondents,
                            question,
                            poll.questions[q].options[o].get(language),
                            count,
                            item.share,
                        ]
                    )
    return sheet
