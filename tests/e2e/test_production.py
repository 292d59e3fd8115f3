"""Production mode through `python -m bot`: webhook with its secret, /healthz, /readyz, /metrics,
and two instances on one PostgreSQL (one active, one standby that takes over)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from testkit.bot_api import StandIn
from testkit.env import TEST_SECRET, concern_key_env

SECRET = "webhook-secret_0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def command_update(update_id: int, text: str, user_id: int = 31337) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Lan"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Lan"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


@contextmanager
def bot_process(
    api: StandIn, tmp_path: Path, database_url: str, **settings: str
) -> Iterator[subprocess.Popen[str]]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"},
        "BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.url,
        "APP_SECRET": TEST_SECRET,
        "DATABASE_URL": database_url,
        "STANDBY_RETRY_SECONDS": "0.5",
        **concern_key_env(),
        **settings,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        if process.stdout is not None and not process.stdout.closed:
            print(process.communicate(timeout=30)[0])  # shown by pytest when a test fails


def wait_status(url: str, status: int, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == status:
                return response
            last = (response.status_code, response.text)
        except httpx.TransportError as error:
            last = error
        time.sleep(0.2)
    raise AssertionError(f"{url} never answered {status}; last: {last!r}")


def metric(text: str, name: str) -> float:
    """The value of one sample in Prometheus' text format."""
    for line in text.splitlines():
        sample, _, value = line.rpartition(" ")
        if sample == name:
            return float(value)
    raise AssertionError(f"no sample {name} in:\n{text}")


def test_webhook_checks_its_secret_answers_once_and_reports_health(
    tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (
        StandIn() as api,
        bot_process(
            api,
            tmp_path,
            database_url,
            WEBHOOK_URL=f"{base}/hook/telegram",
            WEBHOOK_SECRET=SECRET,
            HTTP_PORT=str(port),
            HTTP_HOST="127.0.0.1",
            LOG_FORMAT="json",
        ) as bot,
    ):
        assert wait_status(f"{base}/healthz", 200).json()["alive"] is True
        ready = wait_status(f"{base}/readyz", 200).json()
        assert ready == {
            "ready": True,
            "role": "active",
            "database": "ok",
            "migrations": "current",
        }
        (registration,) = api.wait_for("setWebhook")
        assert registration["url"] == f"{base}/hook/telegram"
        assert registration["secret_token"] == SECRET
        assert not [name for name, _ in api.calls if name == "getUpdates"]

        hook = f"{base}/hook/telegram"
        update = command_update(1, "/start")
        assert httpx.post(hook, json=update).status_code == 403  # no secret
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "not-it"}
        assert httpx.post(hook, json=update, headers=wrong).status_code == 403
        assert not [name for name, _ in api.calls if name == "sendMessage"]

        right = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        assert httpx.post(hook, content=b"{not json", headers=right).status_code == 400
        # Answered after the bot handled it: the reply is already at the Bot API.
        assert httpx.post(hook, json=update, headers=right, timeout=30).status_code == 200
        sent = [params for name, params in api.calls if name == "sendMessage"]
        assert len(sent) == 1 and "mã mời" in str(sent[0]["text"])
        # Telegram delivers again when it missed our 200: handled once.
        assert httpx.post(hook, json=update, headers=right, timeout=30).status_code == 200
        assert httpx.post(hook, json=command_update(2, "/help"), headers=right).status_code == 200
        sent = [params for name, params in api.calls if name == "sendMessage"]
        assert len(sent) == 2 and "/help" in str(sent[1]["text"])

        scraped = httpx.get(f"{base}/metrics").text
        assert metric(scraped, 'bot_updates_total{kind="command"}') == 2
        assert metric(scraped, 'bot_messages_sent_total{method="sendMessage"}') == 2
        assert metric(scraped, 'bot_update_handling_seconds_count{kind="command"}') == 2
        assert metric(scraped, "bot_outbox_backlog") == 0
        assert metric(scraped, "bot_instance_active") == 1
        assert "bot_api_throttled_total 0.0" in scraped

        bot.send_signal(signal.SIGTERM)
        output, _ = bot.communicate(timeout=30)
    assert bot.returncode == 0, output
    log_lines = [line for line in output.splitlines() if line.strip()]
    assert log_lines and all(line.startswith("{") for line in log_lines), output
    assert api.token not in output and SECRET not in output


def test_polling_serves_health_only_when_a_port_is_given(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    with (
        StandIn() as api,
        bot_process(api, tmp_path, database_url, HTTP_PORT=str(port)) as bot,
    ):
        api.wait_for("getUpdates")
        assert wait_status(f"http://127.0.0.1:{port}/readyz", 200).json()["role"] == "active"
        # No webhook route in polling mode.
        assert httpx.post(f"http://127.0.0.1:{port}/telegram", json={}).status_code == 404
        bot.send_signal(signal.SIGINT)
        output, _ = bot.communicate(timeout=30)
    assert bot.returncode == 0, output


@pytest.mark.postgresql  # two instances share PostgreSQL; SQLite is one process by design
def test_second_instance_waits_on_standby_and_takes_over(tmp_path: Path, database_url: str) -> None:
    first_port, second_port = free_port(), free_port()
    with StandIn() as api:
        url = f"http://127.0.0.1:{first_port}/telegram"
        common = {"WEBHOOK_SECRET": SECRET, "HTTP_HOST": "127.0.0.1"}
        with bot_process(
            api, tmp_path, database_url, WEBHOOK_URL=url, HTTP_PORT=str(first_port), **common
        ) as first:
            wait_status(f"http://127.0.0.1:{first_port}/readyz", 200)
            with bot_process(
                api,
                tmp_path,
                database_url,
                WEBHOOK_URL=url,
                HTTP_PORT=str(second_port),
                **common,
            ) as second:
                standby = wait_status(f"http://127.0.0.1:{second_port}/readyz", 503).json()
                assert standby["role"] == "standby" and standby["database"] == "ok"
                assert wait_status(f"http://127.0.0.1:{second_port}/healthz", 200)
                right = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
                hook = f"http://127.0.0.1:{second_port}/telegram"
                refused = httpx.post(hook, json=command_update(1, "/start"), headers=right)
                assert refused.status_code == 503
                assert len([n for n, _ in api.calls if n == "setWebhook"]) == 1

                first.send_signal(signal.SIGKILL)
                first.wait(timeout=10)
                took_over = wait_status(f"http://127.0.0.1:{second_port}/readyz", 200, 30)
                assert took_over.json()["role"] == "active"
                assert len([n for n, _ in api.calls if n == "setWebhook"]) == 2
                answered = httpx.post(
                    hook, json=command_update(1, "/start"), headers=right, timeout=30
                )
                assert answered.status_code == 200
                assert [n for n, _ in api.calls].count("sendMessage") == 1
                second.send_signal(signal.SIGTERM)
                output, _ = second.communicate(timeout=30)
                assert second.returncode == 0, output
