"""A chat with the bot over Zalo, through the Zalo stand-in and the real webhook: the fixture
and the driver shared by the Zalo and office-chat tests."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.channels.zalo import (
    ChatMemory,
    ZaloBridge,
    ZaloClient,
    ZaloInbound,
)
from bot.runtime import ZALO_SECRET_HEADER, file_shelf
from bot.web import InstanceState, Webhook, build_web_app
from infra.leadership import Leadership
from infra.settings import Settings
from models.db import UnitOfWork
from testkit.chat import Clock
from testkit.zalo import ZaloStandIn, text_update

SECRET = "zalo-hook-secret-4207815"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ZaloChat:
    app: Application  # type: ignore[type-arg]
    api: ZaloStandIn
    inbound: ZaloInbound
    base_url: str

    async def send(self, user: str, text: str, name: str = "Lan") -> str:
        """A Zalo user writes; everything the bot wrote back to them, joined."""
        return await self.event(text_update(user, text, name=name))

    async def event(self, event: dict[str, Any]) -> str:
        user = str(event["message"]["chat"]["id"])
        self.api.add_chat(user)
        before = len(self.api.messages(user))
        data = self.inbound.to_update(event)
        if data is not None:
            await self.app.process_update(Update.de_json(data, self.app.bot))
        return "\n".join(self.api.messages(user)[before:])


@pytest.fixture
async def zalo(
    settings: Settings, uow: UnitOfWork, engine: AsyncEngine, clock: Clock
) -> AsyncIterator[ZaloChat]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={"public_base_url": base})
    with ZaloStandIn() as api:
        client = ZaloClient(api.url, api.token)
        memory = ChatMemory()
        bridge = ZaloBridge(client, file_shelf(settings, uow), memory)
        app = build_application(
            settings, uow, channel="zalo", request=bridge, rate_limit=False, clock=clock
        )
        inbound = ZaloInbound(memory)

        def to_update(payload: Any) -> Update | None:
            data = inbound.to_update(payload)
            return None if data is None else Update.de_json(data, app.bot)

        hook = Webhook(app, "/zalo", ZALO_SECRET_HEADER, SECRET, to_update, ready=True)
        web = build_web_app(
            app, engine, InstanceState(active=True, role="active"), webhooks=[hook], files=True
        )
        server = uvicorn.Server(
            uvicorn.Config(web, host="127.0.0.1", port=port, log_config=None, lifespan="off")
        )
        serving = asyncio.create_task(server.serve())
        await app.initialize()
        await app.start()
        for _ in range(500):  # uvicorn offers no event for "listening"
            if server.started:
                break
            await asyncio.sleep(0.01)
        # Its own scheduler lock: on PostgreSQL a lock left behind by an earlier test's app (a
        # connection not yet collected) would make this one a follower whose jobs do nothing.
        app.bot_data.leadership = Leadership(settings.database_url, key=secrets.randbits(31))
        await app.bot_data.leadership.try_acquire()
        assert app.bot_data.leadership.is_leader, "the Zalo test app must run the jobs"
        try:
            yield ZaloChat(app, api, inbound, base)
        finally:
            await app.bot_data.leadership.release()
            await app.stop()
            await app.shutdown()
            server.should_exit = True
            await serving
            await client.aclose()


async def register(zalo: ZaloChat, user: str, code: str) -> str:
    asked = await zalo.send(user, "/start")
    assert "mã mời" in asked
    shown = await zalo.send(user, code)
    assert "1. " in shown  # the confirmation's buttons, as a numbered list
    return await zalo.send(user, "1")
