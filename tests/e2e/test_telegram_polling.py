"""With BOT_TOKEN the same command polls a Bot API server; TELEGRAM_API_BASE_URL picks which."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from testkit.bot_api import StandIn
from testkit.env import TEST_SECRET, concern_key_env


def start_update(update_id: int, text: str) -> dict[str, object]:
    user = {"id": 31337, "is_bot": False, "first_name": "Lan"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": 31337, "type": "private", "first_name": "Lan"},
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


def poll_once(
    api: StandIn, tmp_path: Path, database_url: str
) -> tuple[list[dict[str, object]], str, int]:
    """Run the bot against the stand-in, feed /start and /help, stop it; what it sent and said."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"},
        "BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.url,
        "APP_SECRET": TEST_SECRET,
        "DATABASE_URL": database_url,
        **concern_key_env(),
    }
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        api.wait_for("getUpdates")
        api.push(start_update(1, "/start"))
        api.push(start_update(2, "/help"))
        sent = api.wait_for("sendMessage", count=2)
    finally:
        bot.send_signal(signal.SIGINT)
        output, _ = bot.communicate(timeout=30)
    return sent, output, bot.returncode


async def test_polling_against_a_local_bot_api_server(
    tmp_path: Path, database_url: str, engine: AsyncEngine
) -> None:
    with StandIn() as api:
        sent, output, returncode = await asyncio.to_thread(poll_once, api, tmp_path, database_url)
    assert "vui lòng nhập mã mời" in str(sent[0]["text"])
    assert "/help" in str(sent[1]["text"])
    assert all(str(params["chat_id"]) == "31337" for params in sent)
    commands = [params for name, params in api.calls if name == "setMyCommands"]
    assert {str(params.get("language_code")) for params in commands} == {"None", "en"}
    # The token never reaches the logs.
    assert api.token not in output
    assert returncode == 0, output
