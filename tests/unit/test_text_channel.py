"""Buttons on text-only channels: a numbered list, chosen by number or by text."""

from __future__ import annotations

import pytest

from infra.channel_updates import NumberedChoices, render_numbered

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


# --- a mistake keeps the list (issue 12) -------------------------------------------------------


def test_a_number_out_of_range_keeps_the_list_for_the_next_number() -> None:
    """One wrong number used to leave a dead list: every later number, valid ones included,
    was refused until the command was started again."""
    choices = NumberedChoices()
    assert choices.shown(7, 42, "Bạn có xác nhận đăng ký không?", BUTTONS).endswith("2. ✖ Hủy")
    assert choices.typed(7, "5") is None  # out of range: goes to the bot as text
    hint = choices.shown(7, 43, "Vui lòng chọn một trong các lựa chọn.", [])
    assert hint == "Vui lòng chọn một trong các lựa chọn.\n\n  1. ✅ Xác nhận\n  2. ✖ Hủy"
    assert choices.typed(7, "2") == (42, BUTTONS[1])


def test_a_word_or_a_sticker_keeps_the_list_too() -> None:
    choices = NumberedChoices()
    choices.shown(7, 42, "?", BUTTONS)
    for typed in ("có", None):
        assert choices.typed(7, typed) is None
        assert "  1. ✅ Xác nhận" in choices.shown(7, 50, "Gợi ý", [])
    assert choices.typed(7, "1") == (42, BUTTONS[0])


def test_the_bot_moving_on_ends_the_list() -> None:
    choices = NumberedChoices()
    choices.shown(7, 42, "?", BUTTONS)
    assert choices.typed(7, "1") == (42, BUTTONS[0])
    # The pressed choice's answer has no buttons: the list is over.
    assert choices.shown(7, 51, "Đăng ký thành công.", []) == "Đăng ký thành công."
    assert choices.typed(7, "1") is None
    # A command starts something new; its button-less answer ends the list as well.
    choices.shown(7, 52, "?", BUTTONS)
    assert choices.typed(7, "/help") is None
    assert choices.shown(7, 53, "Các lệnh:", []) == "Các lệnh:"
    assert choices.match(7, "1") is None


def test_only_the_first_answer_to_a_miss_repeats_the_list() -> None:
    choices = NumberedChoices()
    choices.shown(7, 42, "?", BUTTONS)
    choices.typed(7, "9")
    assert "1. ✅" in choices.shown(7, 60, "Gợi ý", [])
    choices.settled(7)
    assert choices.shown(7, 61, "Nhắc việc hằng tháng", []) == "Nhắc việc hằng tháng"


def test_a_passing_note_changes_nothing() -> None:
    choices = NumberedChoices()
    choices.shown(7, 42, "?", BUTTONS)
    assert choices.shown(7, 70, "ℹ️ Nút này đã hết hiệu lực.", [], keep=True).startswith("ℹ️")
    assert choices.typed(7, "2") == (42, BUTTONS[1])


def test_typed_numbers_beside_shortcuts_are_answers_not_misses() -> None:
    choices = NumberedChoices()
    choices.shown(7, 42, "Câu 2/9", QUESTION_BUTTONS)
    assert choices.typed(7, "150") is None
    # The next question (or anything else) follows; no list is repeated under it.
    assert choices.shown(7, 80, "Đã lưu.", []) == "Đã lưu."
