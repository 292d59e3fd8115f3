"""Buttons on text-only channels: a numbered list, chosen by number or by text."""

from __future__ import annotations

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
