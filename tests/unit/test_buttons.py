"""Every button's callback data, pinned: buttons already in users' chats must keep working after
any upgrade, so handlers/common/buttons.py may add formats but never change one. Each builder's
output is matched by the pattern its handler listens with, and read back by its parser."""

from __future__ import annotations

import re

import pytest

from handlers.common.buttons import (
    Channel,
    Concern,
    Digest,
    Inbox,
    Language,
    Registration,
    Report,
    Review,
)
from services.digests import DigestPeriod
from services.periods import Period

NOV = Period(2026, 11)


@pytest.mark.parametrize(
    ("data", "wire", "pattern", "parsed"),
    [
        (Report.unit(7), "rpt:v1:unit:7", Report.UNIT, ["unit", "7"]),
        (Report.period(7, NOV), "rpt:v1:period:7:2026-11", Report.PERIOD, None),
        (Report.open(7, NOV), "rpt:v1:open:7:2026-11", None, ["open", "7", "2026-11"]),
        (Report.open(7, "2026-11"), "rpt:v1:open:7:2026-11", None, None),
        (Report.takeover(7, NOV), "rpt:v1:takeover:7:2026-11", Report.TAKEOVER, None),
        (Report.amend(7, NOV), "rpt:v1:amend:7:2026-11", Report.AMEND, None),
        (Report.leave(), "rpt:v1:leave", Report.LEAVE, ["leave"]),
        (Report.submit(3, 7, NOV), "rpt:v1:submit:3:7:2026-11", Report.REVIEW, None),
        (Report.edit(3), "rpt:v1:edit:3", Report.REVIEW, ["edit", "3"]),
        (Report.item(3, 2), "rpt:v1:item:3:2", Report.ITEM, ["item", "3", "2"]),
        (Report.keep_draft(3), "rpt:v1:keepdraft:3", Report.KEEP_OR_DISCARD, None),
        (Report.discard(3), "rpt:v1:discard:3", Report.KEEP_OR_DISCARD, None),
        (Report.stop(3), "rpt:v1:stop:3", Report.STOP, ["stop", "3"]),
        (Report.stop(3, beside_question=True), "!rpt:v1:stop:3", Report.STOP, ["stop", "3"]),
        (Report.shortcut("keep", 3, 4), "!rpt:v1:keep:3:4", Report.SHORTCUT, ["keep", "3", "4"]),
        (Report.shortcut("yes", 3, 4), "!rpt:v1:yes:3:4", Report.SHORTCUT, None),
        (Report.shortcut("jumpok", 3, 4), "!rpt:v1:jumpok:3:4", Report.JUMP, None),
        (Report.shortcut("jumpredo", 3, 4), "!rpt:v1:jumpredo:3:4", Report.JUMP, None),
        (Concern.GO, "tt:v1:go", Concern.GO_PATTERN, "go"),
        (Concern.CANCEL, "tt:v1:cancel", Concern.CANCEL_PATTERN, "cancel"),
        (Concern.category("wages"), "tt:v1:cat:wages", Concern.CATEGORY_PATTERN, "wages"),
        (Concern.SEND, "tt:v1:send", Concern.PREVIEW_PATTERN, "send"),
        (Concern.SEND_PUSH, "tt:v1:sendpush", Concern.PREVIEW_PATTERN, "sendpush"),
        (Concern.REWRITE, "tt:v1:rewrite", Concern.PREVIEW_PATTERN, "rewrite"),
        (Inbox.case("ab12"), "hop:v1:case:ab12", Inbox.CASE_PATTERN, None),
        (Inbox.LIST, "hop:v1:list", Inbox.LIST_PATTERN, None),
        (Inbox.reply("ab12"), "hop:v1:reply:ab12", Inbox.REPLY_PATTERN, None),
        (Inbox.status("ab12", "closed"), "hop:v1:st:ab12:closed", Inbox.STATUS_PATTERN, None),
        (Inbox.escalate("ab12"), "hop:v1:esc:ab12", Inbox.ESCALATE_PATTERN, None),
        (Inbox.escalate_yes("ab12"), "hop:v1:escok:ab12", Inbox.ESCALATE_YES_PATTERN, None),
        (Inbox.escalate_no("ab12"), "hop:v1:escno:ab12", Inbox.ESCALATE_NO_PATTERN, None),
        (Language.choose("en"), "lang:v1:en", Language.PATTERN, "en"),
        (Channel.choose("zalo"), "chn:v1:zalo", Channel.PATTERN, "zalo"),
        (Registration.CONFIRM, "reg:v1:yes", Registration.CONFIRM_PATTERN, None),
        (Registration.DECLINE, "reg:v1:no", Registration.DECLINE_PATTERN, None),
    ],
)
def test_every_button_keeps_its_wire_format(
    data: str, wire: str, pattern: str | None, parsed: object
) -> None:
    assert data == wire
    if pattern is not None:
        assert re.match(pattern, data)
    if data.lstrip("!").startswith("rpt:"):
        assert Report.ANY.match(data), "a report button the conversation can resume"
        if parsed is not None:
            assert Report.parse(data) == parsed
    elif parsed is not None:
        parser = {
            "tt": Concern.parse,
            "lang": Language.parse,
            "chn": Channel.parse,
        }[data.split(":")[0]]
        assert parser(data) == parsed


def test_the_parsers_read_back_what_the_builders_wrote() -> None:
    assert Inbox.case_of(Inbox.case("ab12")) == "ab12"
    assert Inbox.concern_of(Inbox.escalate_yes("ab12")) == "ab12"
    assert Inbox.status_of(Inbox.status("ab12", "in_progress")) == ("ab12", "in_progress")
    assert Inbox.status_of("hop:v1:st:ab12") == ("", "")
    period = DigestPeriod.from_month(NOV)
    data = Digest.show(42, period)
    assert data == f"dg:v1:p:42:{period.key}" and re.match(Digest.PATTERN, data)
    assert Digest.parse(data) == (42, period)
    with pytest.raises((IndexError, ValueError)):
        Digest.parse("dg:v1:p:42")


def test_data_in_no_shape_the_bot_sends_matches_no_pattern() -> None:
    for data in ("rpt:v1:unit:1234567890", "rpt:v1:period:1:2026-13", "!rpt:v1:keep:1"):
        assert not Report.ANY.match(data)
    assert not re.match(Report.UNIT, "rpt:v1:unit:1x")
    assert not re.match(Inbox.CASE_PATTERN, "hop:v1:case:XYZ")
    assert not re.match(Digest.PATTERN, "dg:v1:p:1234567890:2026-11")


@pytest.mark.parametrize(
    ("data", "wire", "pattern"),
    [
        (Review.approve(42), "rvw:v1:ok:42", Review.DECIDE_PATTERN),
        (Review.reopen(42), "rvw:v1:reopen:42", Review.DECIDE_PATTERN),
        (Review.send_back(42), "rvw:v1:back:42", Review.BACK_PATTERN),
    ],
)
def test_review_buttons_are_pinned(data: str, wire: str, pattern: str) -> None:
    assert data == wire
    assert re.match(pattern, data)
    assert Review.parse(data)[1] == 42
    assert not re.match(pattern, wire.replace("42", "1234567890"))
