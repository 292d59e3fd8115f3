"""The console channel: chat with the real handlers in a terminal, as any demo person.

Lines typed (or piped in) become Telegram-shaped updates for the same PTB Application; what the
bot sends comes back through the in-process Bot API and is printed, buttons as numbered options.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import uvicorn
from telegram import Update
from telegram.ext import Application

from bot.channels.local_bot_api import ApiCall, LocalBotApi
from bot.update_processor import processor_of
from infra.channel_updates import ChannelUser, NumberedChoices, UpdateFactory
from infra.settings import CONSOLE_BOT_USERNAME, Settings
from models import utcnow
from models.db import UnitOfWork
from services.reporting import ReportingSetup

CONSOLE_HELP = """\
Bảng điều khiển (console) — trò chuyện với bot như một người dùng mẫu.
  /as officer | officer2 | committee | admin | worker | new   đổi người dùng
                                   (/as new: mỗi lần là một người mới, chưa đăng ký)
  #sticker  #photo  #voice  #location                        gửi thử tin không phải chữ
  /group <tin nhắn>                                          gửi tin trong một nhóm chat
  #notices                                                   chạy đợt thông báo tâm tư (như 08:00)
  #pushes                                                    gửi ngay đợt trả lời cho người lao động
  #polls                                                     gửi ngay đợt khảo sát và kết quả
  /quit                                                      thoát
Nút bấm hiện thành danh sách đánh số: gõ số (hoặc chữ trên nút) để chọn."""


FRESH = "new"  # the persona who is a new person each time


@dataclass
class _JobContext:
    """What a JobQueue callback reads from its context, for jobs run by hand."""

    bot_data: Any
    bot: Any


@dataclass
class ConsoleChat:
    application: Application  # type: ignore[type-arg]
    api: LocalBotApi
    personas: dict[str, ChannelUser]
    out: TextIO = field(default_factory=lambda: sys.stdout)
    current: str = "officer"
    updates: UpdateFactory = field(default_factory=UpdateFactory)
    choices: NumberedChoices = field(default_factory=NumberedChoices)
    # "/as new" is somebody else each time (nothing of an earlier try, a half-done registration
    # or a lock-out, carries over), also in a later run on the same database: ids from the clock.
    fresh_ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(time.time_ns() // 1_000_000)
    )

    def __post_init__(self) -> None:
        self.api.on_call = self._show

    @property
    def user(self) -> ChannelUser:
        return self.personas[self.current]

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _show(self, call: ApiCall, result: Any) -> None:
        """Print what the bot sends, and remember its buttons for the next typed number."""
        if call.files:
            # Pictures and files cannot be shown in a terminal: keep them where one can open them.
            folder = Path("data") / "console-files"
            folder.mkdir(parents=True, exist_ok=True)
            for name, content in call.files.values():
                target = folder / Path(name).name
                target.write_bytes(content)
                self._print(f"📎 {target}")
            return
        if call.method in {"sendMessage", "editMessageText", "sendPhoto", "sendDocument"}:
            chat_id = int(call.chat_id or 0)
            message_id = result.get("message_id", 0) if isinstance(result, dict) else 0
            shown = self.choices.shown(chat_id, message_id, call.text, call.buttons)
            self._print("🤖 " + shown.replace("\n", "\n   "))
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            self._print("ℹ️  " + str(call.params["text"]))

    async def handle_line(self, line: str) -> bool:
        """One typed line. Returns False when the user asked to quit."""
        line = line.strip()
        if not line:
            return True
        if line in {"/quit", "/exit", "/thoat"}:
            return False
        if line.startswith("/as"):
            self._switch(line.removeprefix("/as").strip())
            return True
        if line == "#notices":
            # What the 08:00 and 14:00 job does: officers hear of new concerns, and see them.
            from handlers.concerns import jobs as concern_jobs

            await self.application.bot_data.leadership.try_acquire()
            context = _JobContext(self.application.bot_data, self.application.bot)
            await concern_jobs.announce_new_concerns(context)  # type: ignore[arg-type]
            return True
        if line == "#pushes":
            # The pushed-answers batch, now rather than after its random wait.
            from handlers.concerns import jobs as concern_jobs

            await self.application.bot_data.leadership.try_acquire()
            await concern_jobs.deliver_pushes(self.application.bot_data)
            return True
        if line == "#polls":
            # The polls' batch, now rather than at its random time: new polls, then results.
            from handlers.polls.jobs import run_batch

            await self.application.bot_data.leadership.try_acquire()
            await run_batch(self.application.bot_data)
            return True
        user = self.user
        data: dict[str, Any]
        media = {
            "#sticker": self.updates.sticker,
            "#photo": self.updates.photo,
            "#voice": self.updates.voice,
            "#location": self.updates.location,
        }
        if line in media:
            self.choices.typed(user.user_id, None)
            data = media[line](user)
        elif line.startswith("/group"):
            data = self.updates.message(
                user,
                line.removeprefix("/group").strip() or "/start",
                chat_id=-100123,
                chat_type="group",
            )
        elif (picked := self.choices.typed(user.user_id, line)) is not None:
            message_id, button = picked
            if "callback_data" not in button:
                self._print(f"   (liên kết: {button.get('url', '')})")
                return True
            data = self.updates.callback(user, button["callback_data"], message_id=message_id)
        else:
            data = self.updates.message(user, line)
        # Through the processor, as every channel: the console waits for its one person's answer.
        update = Update.de_json(data, self.application.bot)
        await processor_of(self.application).handle(self.application, update)
        self.choices.settled(user.user_id)
        return True

    def _switch(self, who: str) -> None:
        if who not in self.personas:
            self._print(f"   Không có người dùng mẫu “{who}”. Chọn: {', '.join(self.personas)}")
            return
        if who == FRESH:
            self.personas[who] = replace(self.personas[who], user_id=next(self.fresh_ids))
        self.current = who
        self.choices.forget(self.user.user_id)
        self._print(f"   — Bây giờ bạn là: {self.user.first_name} {self.user.last_name} ({who}) —")

    async def run(self, source: TextIO) -> None:
        interactive = source.isatty()
        self._print(CONSOLE_HELP)
        self._switch(self.current)
        while True:
            if interactive:
                print(f"[{self.current}] > ", end="", file=self.out, flush=True)
            line = await asyncio.to_thread(source.readline)
            if not line:  # end of input: a pipe ran dry or Ctrl-D
                break
            if not interactive:
                self._print(f"[{self.current}] > {line.rstrip()}")
            if not await self.handle_line(line):
                break
        self._print("Tạm biệt.")


class _LocalServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Ctrl-C belongs to the console (it ends the chat, which then stops this server).
        yield


@dataclass
class LocalPages:
    """The web pages served on this computer only, while the console runs."""

    url: str
    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


async def serve_pages(
    application: Application,  # type: ignore[type-arg]
    port: int | None,
) -> LocalPages | None:
    """Serve the web pages (web/) at http://127.0.0.1:<port> (None or 0: a free port), so
    that /baocao's link opens the form in this computer's browser. None when the port is taken:
    the chat works on without the form."""
    from starlette.applications import Starlette

    from web import build_pages

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", port or 0))
    except OSError:
        listener.close()
        return None
    bound = listener.getsockname()[1]
    server = _LocalServer(
        uvicorn.Config(
            Starlette(routes=build_pages(application.bot_data)),
            log_config=None,
            access_log=False,
            lifespan="off",
        )
    )
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started and not task.done():  # noqa: ASYNC110 (uvicorn has only a flag)
        await asyncio.sleep(0.01)
    if task.done():  # it could not start: the console goes on without pages
        listener.close()
        return None
    url = f"http://127.0.0.1:{bound}"
    application.bot_data.pages_url = url
    return LocalPages(url, server, task)


def make_console(
    settings: Settings,
    uow: UnitOfWork,
    setup: ReportingSetup,
    *,
    clock: Callable[[], datetime] = utcnow,
    out: TextIO | None = None,
) -> ConsoleChat:
    """The real Application on the in-process Bot API, with the demo people to speak as."""
    from bot.app import build_application
    from services import demo

    api = LocalBotApi(username=settings.bot_username or CONSOLE_BOT_USERNAME)
    application = build_application(
        settings,
        uow,
        channel=demo.DEMO_CHANNEL,
        request=api,
        rate_limit=False,
        reporting=setup,
        clock=clock,
    )
    people = {
        p.key: ChannelUser(int(p.external_id), p.first_name, p.last_name)
        for p in (*demo.DEMO_PEOPLE, *demo.DEMO_STRANGERS)
    }
    return ConsoleChat(application, api, people, out=out or sys.stdout)
