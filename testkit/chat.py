"""The chat driver: the real Application on an in-process Bot API (no network), driven as users
would drive it, on a clock the test moves; and the scenes several tests play through it (a worker
raising a concern, an officer answering the report's questions).

Two ways to hand an update over, one driver:

* ``send`` / ``press`` / ``callback`` — one update at a time straight into
  ``Application.process_update``; they return what reached the user's chat meanwhile, as text.
  The tests use these.
* ``send_step`` / ``press_step`` (``step`` underneath) — as the bot's update fetcher does it:
  through the Application's update processor (the bot's bound on updates at once, chats side by
  side), so many users can be driven concurrently from one event loop. Each returns a ``Step``:
  the answers to this very update (matched through a context variable, so a scheduled message or
  another user's answer is never mistaken for it), when it was handed over, started and done,
  and an exception that escaped ``process_update`` (there should be none). The benchmarks
  (benchmarks/report_throughput.py, also on a bare PTB echo bot) and faults/db_outage.py use
  these.
"""

from __future__ import annotations

import contextvars
import os
import re
import subprocess
import sys
import time
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
from bot.channels.local_bot_api import ApiCall, LocalBotApi
from handlers.concerns import jobs as concern_jobs
from infra.channel_updates import ChannelUser, UpdateFactory
from infra.settings import Settings
from models.db import UnitOfWork
from services.indicators import IndicatorKind, IndicatorSet
from testkit.bot_api import ScriptedBotApi

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class Step:
    """What one update handed over by ``Chat.step`` got (times: ``time.perf_counter``)."""

    chat_id: str
    handed_over: float  # given to the update processor
    started: float = 0.0  # the processor let it through: process_update began
    done: float = 0.0
    replies: list[str] = field(default_factory=list)  # texts sent or edited into chat_id
    escaped: str | None = None  # the type of an exception out of process_update (a bug)

    @property
    def text(self) -> str:
        return "\n".join(self.replies)

    @property
    def last(self) -> str:
        return self.replies[-1] if self.replies else ""


# The step being handled in this task (and the tasks it starts): its answers are recorded on it.
_CURRENT: contextvars.ContextVar[Step | None] = contextvars.ContextVar("step", default=None)


@dataclass
class Chat:
    """Drive the Application as users would, and read what the bot answered. ``app`` may be any
    PTB Application on a ``LocalBotApi`` (the benchmarks drive a bare echo bot with it too)."""

    app: Application  # type: ignore[type-arg]
    api: LocalBotApi
    updates: UpdateFactory = field(default_factory=UpdateFactory)
    # Per chat: the last keyboard an update handed over by ``step`` got (message id, buttons).
    keyboards: dict[str, tuple[int, list[dict[str, Any]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.api.on_call = self._seen

    def _seen(self, call: ApiCall, result: Any) -> None:
        step = _CURRENT.get()
        if step is None or call.method == "answerCallbackQuery" or call.chat_id != step.chat_id:
            return  # not an answer to the update in hand (a job's message, another chat)
        if call.buttons and isinstance(result, dict):
            message_id = call.params.get("message_id") or result["message_id"]
            self.keyboards[call.chat_id] = (int(message_id), call.buttons)
        if call.text:
            step.replies.append(call.text)

    async def step(self, data: dict[str, Any], chat_id: object) -> Step:
        """Hand ``data`` to the Application as its update fetcher does (through its update
        processor) and wait until it is handled; the answers to ``chat_id`` come back."""
        update = Update.de_json(data, self.app.bot)
        step = Step(str(chat_id), time.perf_counter())

        async def handle() -> None:
            step.started = time.perf_counter()
            await self.app.process_update(update)

        token = _CURRENT.set(step)
        try:
            await self.app.update_processor.process_update(update, handle())
        except Exception as error:  # nothing should ever escape process_update
            step.escaped = type(error).__name__
        finally:
            _CURRENT.reset(token)
            step.done = time.perf_counter()
        return step

    async def send_step(self, user: ChannelUser, text: str) -> Step:
        """``send`` through the update processor (see ``step``)."""
        return await self.step(self.updates.message(user, text), user.user_id)

    async def press_step(self, user: ChannelUser, label: str) -> Step:
        """Press the button whose text contains ``label`` on the last keyboard a ``step`` of this
        user got; LookupError when there is none."""
        message_id, buttons = self.keyboards.get(str(user.user_id), (0, []))
        matches = [b for b in buttons if label in b.get("text", "")]
        if not matches:
            raise LookupError(f"no button {label!r} among {[b.get('text') for b in buttons]}")
        data = self.updates.callback(user, matches[0]["callback_data"], message_id=message_id)
        return await self.step(data, user.user_id)

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
