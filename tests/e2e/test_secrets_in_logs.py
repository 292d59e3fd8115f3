"""No secret reaches a log line: the real `python -m bot` against a Bot API that answers 404
(what a mistyped TELEGRAM_API_BASE_URL does with a valid token: PTB raises InvalidToken with the
whole token in its message)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from infra.logging_setup import RedactSecrets
from testkit.env import concern_key_env

TOKEN = "7301234567:AAHk3vQ9zX2mN8pL5rT1yW4uE6iO0aSdFgJ"


class _NotFound(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = b'{"ok":false,"error_code":404,"description":"Not Found"}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def not_found_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_a_rejected_token_is_reported_without_the_token(
    tmp_path: Path, not_found_api: str, log_format: str
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BOT_", "ZALO_", "WEBHOOK", "DATABASE_URL", "TELEGRAM_"))
    }
    env.update(concern_key_env())
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=not_found_api,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        APP_SECRET="Zq8#mK2$vN5pL9wR3tY7uE1iO4aS6dF0gH",
        LOG_LEVEL="DEBUG",
        LOG_FORMAT=log_format,
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 2, log
    assert "rejected its token" in log
    secret_part = TOKEN.split(":", 1)[1]
    assert secret_part not in log and secret_part[:12] not in log
    assert env["APP_SECRET"] not in log and env["RECEIPT_PEPPER"] not in log


def test_the_filter_hides_secrets_in_messages_arguments_and_tracebacks() -> None:
    redact = RedactSecrets([TOKEN, "short"])
    try:
        raise RuntimeError(f"call to https://api.example/bot{TOKEN}/getMe failed")
    except RuntimeError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed: %s", (TOKEN,), sys.exc_info()
        )
    assert redact.filter(record)
    rendered = logging.Formatter("%(message)s").format(record)
    assert TOKEN.split(":", 1)[1] not in rendered and "[đã ẩn]" in rendered
    assert "RuntimeError" in rendered  # the traceback stays, without the token
    kept = logging.LogRecord("x", logging.INFO, __file__, 1, "a short word", None, None)
    redact.filter(kept)
    assert kept.getMessage() == "a short word"  # values under 8 characters are not secrets
