"""The update fuzzer (faults/fuzz.py) in small: generated updates into every conversation state
of the real Application; nothing unhandled, nothing lost or answered twice, every reply one that
Telegram would accept."""

from __future__ import annotations

import pytest
from telegram import Update

from handlers.common import commands as common
from handlers.common.context import BotContext
from infra.settings import Settings
from models.db import UnitOfWork
from testkit import fuzz
from testkit.chat import Clock


def report(findings: fuzz.Findings) -> str:
    lines: list[str] = []
    findings.report(lines.append)
    return "\n".join(lines)


async def test_300_generated_updates_into_every_state(
    settings: Settings, uow: UnitOfWork, clock: Clock
) -> None:
    findings = await fuzz.run(
        settings, uow, size=300, seed=11, burst=(3, 11), clock=clock, out=lambda _: None
    )
    summary = report(findings)
    assert findings.fired == 300
    assert set(findings.reached) == {state.name for state in fuzz.STATES}, summary
    assert not findings.not_reached, summary
    assert findings.calls_checked > 300, summary
    assert findings.failures == 0, summary


async def test_the_fuzzer_sees_a_failing_handler_and_a_bad_reply(
    settings: Settings, uow: UnitOfWork, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the fuzzer is for: a handler that sends an over-long text, then raises."""

    async def broken(update: Update, context: BotContext) -> None:
        assert update.effective_chat is not None
        await update.effective_chat.send_message("x" * 5000)
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(common, "unknown_message", broken)
    findings = await fuzz.run(
        settings, uow, size=80, seed=11, burst=(3, 11), clock=clock, out=lambda _: None
    )
    assert any(key.startswith("RuntimeError@broken") for key in findings.unhandled), report(
        findings
    )
    assert findings.invalid["sendMessage text over 4096 characters"] > 0
