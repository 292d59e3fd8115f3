"""Buttons on text-only channels: a numbered list, chosen by number or by text."""

from __future__ import annotations

import pytest

from bot.channels.updates import NumberedChoices, render_numbered

BUTTONS = [
    {"text": "✅ Xác nhận", "callback_data": "reg:v1:yes"},
    {"text": "✖ Hủy", "callback_data": "reg:v1:no"},
]


def test_render_numbered() -> None:
    assert render_numbered("Bạn xác nhận chứ?", BUTTONS) == (
        "Bạn xác nhận chứ?\n\n  1. ✅ Xác nhận\n  2. ✖ Hủy"
    )
    assert render_numbered("Chỉ chữ", []) == "Chỉ chữ"


def test_choose_by_number_or_text() -> None:
    choices = NumberedChoices()
    choices.remember(7, 42, BUTTONS)
    assert choices.match(7, "2") == (42, BUTTONS[1])
    assert choices.match(7, " 1 ") == (42, BUTTONS[0])
    assert choices.match(7, "✖ HỦY") == (42, BUTTONS[1])
    assert choices.match(7, "3") is None
    assert choices.match(7, "0") is None
    assert choices.match(8, "1") is None  # another chat's buttons are not yours


def test_forget() -> None:
    choices = NumberedChoices()
    choices.remember(7, 42, BUTTONS)
    choices.forget(7)
    assert choices.match(7, "1") is None


QUESTION_BUTTONS = [
    {"text": "Giữ như tháng trước: 1.200", "callback_data": "!rpt:v1:keep:1:0"},
    {"text": "Bỏ qua", "callback_data": "!rpt:v1:skip:1:0"},
    {"text": "◀ Quay lại", "callback_data": "!rpt:v1:back:1:0"},
]


def test_shortcuts_are_bullets_and_numbers_stay_answers() -> None:
    rendered = render_numbered("Câu 2/9", QUESTION_BUTTONS)
    assert "  • Giữ như tháng trước: 1.200" in rendered and "  1. " not in rendered
    choices = NumberedChoices()
    choices.remember(7, 42, QUESTION_BUTTONS)
    assert choices.match(7, "2") is None  # the number 2 is an answer, not a button
    assert choices.match(7, "1") is None


@pytest.mark.parametrize(
    ("typed", "index"),
    [
        ("giữ", 0),
        ("Giu", 0),
        ("giữ như tháng trước", 0),
        ("bỏ qua", 1),
        ("bo qua", 1),
        ("quay lại", 2),
        ("QUAY LAI", 2),
    ],
)
def test_shortcuts_are_chosen_by_their_leading_words(typed: str, index: int) -> None:
    choices = NumberedChoices()
    choices.remember(7, 42, QUESTION_BUTTONS)
    assert choices.match(7, typed) == (42, QUESTION_BUTTONS[index])


@pytest.mark.parametrize("typed", ["g", "quay lạii", "giữa", "12", "b"])
def test_partial_words_do_not_press_shortcuts(typed: str) -> None:
    choices = NumberedChoices()
    choices.remember(7, 42, QUESTION_BUTTONS)
    assert choices.match(7, typed) is None
