"""The polls' callback data, pinned (buttons stay in workers' chats): each builder's wire format,
the pattern its handler matches, its parser, and Telegram's 64-byte limit."""

from __future__ import annotations

import re

import pytest

from handlers.common.buttons import PollButtons, PollSetup

SUB = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("data", "wire", "pattern", "parsed"),
    [
        (PollButtons.join(7), "ks:v1:join:7", PollButtons.JOIN_PATTERN, ["join", "7"]),
        (PollButtons.confirm(7), "ks:v1:yes:7", PollButtons.CONFIRM_PATTERN, ["yes", "7"]),
        (
            PollButtons.answer(123456789, SUB, 4, 8),
            f"ks:v1:a:123456789:{SUB}:4:8",
            PollButtons.ANSWER_PATTERN,
            ["a", "123456789", SUB, "4", "8"],
        ),
        (PollButtons.leave(SUB), f"ks:v1:leave:{SUB}", PollButtons.LEAVE_PATTERN, ["leave", SUB]),
    ],
)
def test_poll_buttons(data: str, wire: str, pattern: str, parsed: list[str]) -> None:
    assert data == wire
    assert re.match(pattern, data)
    assert PollButtons.parse(data) == parsed
    assert len(data.encode()) <= 64


@pytest.mark.parametrize(
    "data",
    [
        f"ks:v1:a:1:{SUB}:10:1",  # no question 10
        f"ks:v1:a:1:{SUB[:-1]}:1:1",  # not a subscription id
        "ks:v1:join:1234567890",  # an id longer than the database keeps
        f"ks:v1:leave:{SUB}x",
    ],
)
def test_shapes_the_bot_never_sends_do_not_match(data: str) -> None:
    patterns = (PollButtons.ANSWER_PATTERN, PollButtons.JOIN_PATTERN, PollButtons.LEAVE_PATTERN)
    assert not any(re.match(p, data) for p in patterns)


@pytest.mark.parametrize(
    ("data", "wire", "pattern"),
    [
        (PollSetup.MORE, "ksm:v1:more", PollSetup.QUESTIONS_PATTERN),
        (PollSetup.DONE, "ksm:v1:done", PollSetup.QUESTIONS_PATTERN),
        (PollSetup.EARLY_YES, "ksm:v1:early:1", PollSetup.EARLY_PATTERN),
        (PollSetup.EARLY_NO, "ksm:v1:early:0", PollSetup.EARLY_PATTERN),
        (PollSetup.CREATE, "ksm:v1:create", PollSetup.CREATE_PATTERN),
        (PollSetup.CANCEL, "ksm:v1:cancel", PollSetup.CANCEL_PATTERN),
    ],
)
def test_poll_setup_buttons(data: str, wire: str, pattern: str) -> None:
    assert data == wire
    assert re.match(pattern, data)
