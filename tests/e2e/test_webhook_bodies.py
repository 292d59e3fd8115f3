"""A malformed webhook body is a 400 and one log line, never a 500 with a traceback."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.web import SECRET_HEADER, InstanceState, build_web_app, telegram_webhook
from testkit.chat import Chat

SECRET = "webhook-secret-for-tests"


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'[{"update_id": 1}]',
        b"42",
        b'"text"',
        b"null",
        b'{"update_id": "not a number"}',
        b'{"update_id": 7, "message": []}',
        b'{"update_id": 8, "message": {"chat": 5}}',
        b"\xff\xfe not utf-8",
        b"{not json",
    ],
)
async def test_malformed_bodies_are_refused_with_400_and_one_line(
    chat: Chat, engine: AsyncEngine, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    hook = telegram_webhook(chat.app, "/telegram", SECRET)
    hook.ready = True
    app = build_web_app(chat.app, engine, InstanceState(active=True), webhooks=[hook])
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://bot.test",
    ) as client:
        answer = await client.post("/telegram", content=body, headers={SECRET_HEADER: SECRET})
    assert answer.status_code == 400
    lines = [r for r in caplog.records if r.name == "bot.web"]
    assert len(lines) == 1 and "malformed" in lines[0].getMessage()
    assert body.decode("utf-8", "replace") not in lines[0].getMessage()  # never the body
    assert not [r for r in caplog.records if r.exc_info]
    assert chat.api.calls == [c for c in chat.api.calls if c.method != "sendMessage"]
