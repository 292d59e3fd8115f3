"""The office's buttons in the chat (/moi, /mokhoa), pinned like tests/unit/test_buttons.py:
buttons already in users' chats must keep working after any upgrade."""

from __future__ import annotations

import re

import pytest

from handlers.common.buttons import Office
from services.periods import Period


@pytest.mark.parametrize(
    ("data", "wire", "pattern", "parsed"),
    [
        (Office.role("o"), "ofc:v1:role:o", Office.ROLE, ["role", "o"]),
        (Office.role("c"), "ofc:v1:role:c", Office.ROLE, ["role", "c"]),
        (Office.role("a"), "ofc:v1:role:a", Office.ROLE, ["role", "a"]),
        (Office.nav("o", 12), "ofc:v1:nav:o:12:0", Office.NAV, ["nav", "o", "12", "0"]),
        (Office.nav("c", 0, 2), "ofc:v1:nav:c:0:2", Office.NAV, ["nav", "c", "0", "2"]),
        (Office.nav("u", 7, 1), "ofc:v1:nav:u:7:1", Office.NAV, ["nav", "u", "7", "1"]),
        (Office.pick("o", 7), "ofc:v1:pick:o:7", Office.PICK, ["pick", "o", "7"]),
        (Office.pick("c", 3), "ofc:v1:pick:c:3", Office.PICK, ["pick", "c", "3"]),
        (Office.pick("u", 7), "ofc:v1:pick:u:7", Office.PICK, ["pick", "u", "7"]),
        (
            Office.unlock(7, Period(2026, 10)),
            "ofc:v1:unlock:7:2026-10",
            Office.UNLOCK,
            ["unlock", "7", "2026-10"],
        ),
    ],
)
def test_every_office_button_keeps_its_wire_format(
    data: str, wire: str, pattern: str, parsed: list[str]
) -> None:
    assert data == wire
    assert re.match(pattern, data)
    assert Office.parse(data) == parsed
    assert len(data.encode()) <= 64  # Telegram's limit for callback data


def test_office_data_in_no_shape_the_bot_sends_matches_no_pattern() -> None:
    assert not re.match(Office.ROLE, "ofc:v1:role:x")
    assert not re.match(Office.NAV, "ofc:v1:nav:o:1234567890:0")
    assert not re.match(Office.NAV, "ofc:v1:nav:z:1:0")
    assert not re.match(Office.PICK, "ofc:v1:pick:o:-1")
    assert not re.match(Office.UNLOCK, "ofc:v1:unlock:7:2026-13")
