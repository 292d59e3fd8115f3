"""The chat driver: the real Application on an in-process Bot API (no network), driven as users
would drive it, on a clock the test moves; and the scenes several tests play through it (a worker
raising a concern, an officer answering the report's questions)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application

from bot.app import build_application, publish_commands
from bot.channels.local_bot_api import ApiCall
from handlers.concerns import jobs as concern_jobs
from infra.channel_updates import ChannelUser, UpdateFactory
from infra.settings import Settings
from models.db import UnitOfWork
from services.indicators import IndicatorKind, IndicatorSet
from testkit.bot_api import ScriptedBotApi

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class Chat:
    """Drive the Application as users would, and read what the bot answered."""

    app: Application  # type: ignore[type-arg]
    api: ScriptedBotApi
    updates: UpdateFactory = field(default_factory=UpdateFactory)

    async def feed(self, data: dict[str, Any]) -> list[ApiCall]:
        before = len(self.api.calls)
        await self.app.process_update(Update.de_json(data, self.app.bot))
        return [c for c in self.api.calls[before:] if c.method != "answerCallbackQuery"]

    @staticmethod
    def _to(calls: list[ApiCall], chat_id: object) -> str:
        """What reached this chat (a push to another user is not part of the answer)."""
        return "\n".join(
            c.text
            for c in calls
            if c.chat_id == str(chat_id)
            and not (isinstance(c.result, dict) and "error" in c.result)
        )

    async def send(self, user: ChannelUser, text: str, **kwargs: Any) -> str:
        """Send text; return everything the bot sent back to that chat, joined."""
        calls = await self.feed(self.updates.message(user, text, **kwargs))
        return self._to(calls, kwargs.get("chat_id", user.user_id))

    def last_with_buttons(self, user: ChannelUser) -> ApiCall:
        for call in reversed(self.api.sent(user.user_id)):
            if call.buttons:
                return call
        raise AssertionError("no message with buttons was sent to this user")

    async def press(self, user: ChannelUser, label: str) -> str:
        """Press the button whose text contains ``label`` on the last keyboard shown."""
        call = self.last_with_buttons(user)
        matches = [b for b in call.buttons if label in b["text"]]
        assert matches, f"no button {label!r} among {[b['text'] for b in call.buttons]}"
        message_id = call.params.get("message_id") or call.result["message_id"]
        calls = await self.feed(
            self.updates.callback(user, matches[0]["callback_data"], message_id=int(message_id))
        )
        return self._to(calls, user.user_id)

    async def callback(self, user: ChannelUser, data: str) -> str:
        calls = await self.feed(self.updates.callback(user, data))
        return self._to(calls, user.user_id)


@dataclass
class Clock:
    """A clock the test moves; the bot reads it through bot_data.clock."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 20, 3, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def set_local(self, year: int, month: int, day: int, hour: int = 10) -> None:
        self.now = datetime(year, month, day, hour, tzinfo=HANOI).astimezone(UTC)


async def start_app(
    settings: Settings,
    uow: UnitOfWork,
    clock: Callable[[], datetime],
    *,
    username: str = "test_bot",
    commands: bool = True,
    lead: bool = True,
) -> Chat:
    """The real Application on a ``ScriptedBotApi``, without a rate limiter, on ``clock``:
    initialised and started, its command menu published (``commands``) and the scheduler lock
    taken at once (``lead``: tests drive the jobs by hand)."""
    api = ScriptedBotApi(username=username)
    application = build_application(
        settings, uow, channel="telegram", request=api, rate_limit=False, clock=clock
    )
    await application.initialize()
    if commands:
        await publish_commands(application)
    await application.start()
    if lead:
        await application.bot_data.leadership.try_acquire()
    return Chat(application, api)


async def stop_app(chat: Chat) -> None:
    """Stop (if a test has not) and shut down: the shutdown hands the scheduler lock over."""
    if chat.app.running:
        await chat.app.stop()
    await chat.app.shutdown()


# --- scenes ---------------------------------------------------------------------------

RECEIPT = re.compile(r"\d{4} \d{4} \d{4}")


async def release(chat: Chat) -> None:
    """The notice batch (08:00, 14:00): only then do officers see new cases in /hopthu."""
    context = SimpleNamespace(bot_data=chat.app.bot_data, bot=chat.app.bot)
    await concern_jobs.announce_new_concerns(context)  # type: ignore[arg-type]


async def raise_concern(
    chat: Chat, worker: ChannelUser, text: str, *, code: str = "DN-01", push: bool = False
) -> str:
    """The whole worker flow from the QR link; returns the receipt."""
    promise = await chat.send(worker, f"/start c_{code}")
    assert "KHÔNG biết" in promise
    await chat.press(worker, "Tiếp tục")
    await chat.press(worker, "Tiền lương")
    preview = await chat.send(worker, text)
    assert "Vui lòng kiểm tra trước khi gửi" in preview
    sent = await chat.press(worker, "báo trả lời cho tôi" if push else "✅ Gửi")
    found = RECEIPT.search(sent)
    assert found is not None and "Mã vụ việc: TT-" in sent, sent
    return found.group(0)


def plausible(union_set: IndicatorSet) -> dict[str, str]:
    """An answer for every indicator that breaks no rule: members ≤ workers and so on."""
    answers = {}
    for indicator in union_set.indicators:
        answers[indicator.code] = {
            IndicatorKind.YES_NO: "có",
            IndicatorKind.PERCENT: "12,5",
        }.get(indicator.kind, "3")
    answers["workers"] = "1.200"
    answers["union_members"] = "1 000"
    return answers


async def answer_through(
    chat: Chat,
    user: ChannelUser,
    union_set: IndicatorSet,
    answers: dict[str, str],
    *,
    upto: int | None = None,
) -> str:
    """Answer questions in order (upto: how many); return the last thing the bot said."""
    said = ""
    for indicator in union_set.indicators[:upto]:
        said = await chat.send(user, answers[indicator.code])
    return said


# --- the console channel --------------------------------------------------------------


def run_console(tmp_path: Path, database_url: str, script: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "APP_SECRET"}}
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,  # .env with the generated secret lands here, not in the repository
        env=env,
        timeout=120,
    )
