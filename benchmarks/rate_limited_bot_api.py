"""A rate-limited Bot API stand-in on loopback, for benchmarks that run the real bot as a child;
and the same limits (``FloodLimits``) for the conversation stand-in of tests/bot_api_stand_in.py.

It answers the part of the Bot API the bot uses when it starts and sends scheduled messages:
``getMe``, ``deleteWebhook``, ``getUpdates`` (always empty, held at most a second),
``setMyCommands`` and the rest (``True``), and ``sendMessage``, which is rate-limited:

* one token bucket for all chats, refilled at ``limit`` per second and holding at most ``burst``
  tokens (default: one second's worth, like Telegram's "about 30 messages per second" in bulk);
* a ``sendMessage`` that finds no token is refused as Telegram refuses it: HTTP 429,
  ``{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after N",
  "parameters": {"retry_after": N}}``, N whole seconds (at least 1), and is not recorded;
* an accepted one is recorded (monotonic time, chat id, text) before it is answered, so lost and
  duplicated messages can be counted exactly afterwards.

``on_delivery(n)`` is called in the request's thread after the n-th accepted message is recorded
and *before* its answer is written: a benchmark can kill the sender at that moment, so that a
message is delivered but never confirmed (the worst moment for a crash).

Bounded on purpose: it listens on 127.0.0.1 only, serves at most ``max_connections`` connections
at once (HTTP/1.1 keep-alive, 30 s idle timeout), refuses bodies over 1 MiB, holds ``getUpdates``
at most a second, and stops recording (answering 500) after ``max_records`` messages.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tests.bot_api_stand_in import Fault

BOT = {"id": 4242, "is_bot": True, "first_name": "Bot", "username": "fanout_bench_bot"}
MAX_BODY = 1 << 20
IDLE_TIMEOUT = 30.0
LONG_POLL_CAP = 1.0
RATE_LIMITED = frozenset({"sendMessage"})


@dataclass(frozen=True)
class Delivery:
    at: float  # time.monotonic() in the benchmark's process
    chat_id: str
    text: str


class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` kept; starts full."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = time.monotonic()

    def wait(self, now: float) -> float:
        """0.0 when a token is there, else the seconds until one will be; takes nothing."""
        # A ``now`` read just before the bucket was made (FloodLimits makes a chat's on its first
        # call) is not a refill backwards: the clock only moves forward here.
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> float:
        """0.0 when a token was taken, else the seconds until one will be there."""
        wait = self.wait(now)
        if wait == 0.0:
            self.tokens -= 1.0
        return wait


class FloodLimits:
    """Telegram's flood limits as a fault policy for tests/bot_api_stand_in.py's ``StandIn``
    (its ``fault``), so that a stand-in serving the whole conversation refuses what Telegram
    would refuse.

    A call to a chat (one with a ``chat_id``: sendMessage, the edits — what PTB's AIORateLimiter
    paces) needs a token from the bot's bucket (``bot_rate`` a second, at most ``bot_burst`` at
    once: Telegram's "about 30 messages per second") and one from its chat's (``chat_rate`` a
    second, ``chat_burst`` at once: "no more than one message per second in a chat", with the
    short bursts Telegram tolerates; ``chat_rate`` 0: no per-chat limit). Without both it is
    refused as Telegram refuses it — HTTP 429 with ``retry_after`` in whole seconds, at least 1 —
    and takes no token. Other calls (getUpdates, answerCallbackQuery …) always pass.

    ``refused_by_bot`` and ``refused_by_chat`` count the refusals by the bucket that ran dry (the
    chat's when both did)."""

    def __init__(
        self,
        bot_rate: float = 30.0,
        bot_burst: float | None = None,
        chat_rate: float = 1.0,
        chat_burst: float = 3.0,
    ) -> None:
        self.bot = TokenBucket(bot_rate, bot_burst if bot_burst is not None else bot_rate)
        self.chat_rate = chat_rate
        self.chat_burst = chat_burst
        self.chats: dict[str, TokenBucket] = {}
        self.lock = threading.Lock()
        self.refused_by_bot = 0
        self.refused_by_chat = 0

    def __call__(self, method: str, params: dict[str, Any]) -> Fault | None:
        if "chat_id" not in params:
            return None
        with self.lock:
            now = time.monotonic()  # under the lock: the buckets' clocks never run backwards
            chat: TokenBucket | None = None
            if self.chat_rate > 0:
                key = str(params["chat_id"])
                chat = self.chats.get(key)
                if chat is None:
                    chat = self.chats[key] = TokenBucket(self.chat_rate, self.chat_burst)
            chat_wait = chat.wait(now) if chat is not None else 0.0
            bot_wait = self.bot.wait(now)
            if chat_wait > 0 or bot_wait > 0:
                if chat_wait > 0:
                    self.refused_by_chat += 1
                else:
                    self.refused_by_bot += 1
                return Fault("429", max(1, math.ceil(max(chat_wait, bot_wait))))
            self.bot.take(now)
            if chat is not None:
                chat.take(now)
        return None

    @property
    def refused(self) -> int:
        return self.refused_by_bot + self.refused_by_chat


class RateLimitedBotApi:
    """Start with ``start()`` (or ``with``); ``url`` is what TELEGRAM_API_BASE_URL should be."""

    def __init__(
        self,
        limit: float,
        *,
        burst: float | None = None,
        token: str = "123456:FANOUT-BENCH",
        max_connections: int = 64,
        max_records: int = 100_000,
    ) -> None:
        self.limit = limit
        self.burst = burst if burst is not None else max(1.0, limit)
        self.token = token
        self.max_records = max_records
        self.bucket = TokenBucket(limit, self.burst)
        self.lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        self.refused: list[float] = []  # times of the 429 answers
        self.other_calls: dict[str, int] = {}
        self.overflow = 0
        self.on_delivery: Callable[[int], None] | None = None
        self._connections = threading.BoundedSemaphore(max_connections)
        self._message_id = 0
        self.server: ThreadingHTTPServer | None = None

    # --- what the benchmark reads --------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def delivered(self) -> int:
        with self.lock:
            return len(self.deliveries)

    def snapshot(self) -> tuple[list[Delivery], list[float]]:
        with self.lock:
            return list(self.deliveries), list(self.refused)

    # --- answering -----------------------------------------------------------------------

    def send_message(self, params: dict[str, str]) -> tuple[int, dict[str, Any], int]:
        """(HTTP status, payload, delivery number or 0)."""
        with self.lock:
            now = time.monotonic()  # under the lock: the bucket's clock never runs backwards
            wait = self.bucket.take(now)
            if wait > 0:
                self.refused.append(now)
                retry_after = max(1, math.ceil(wait))
                return (
                    429,
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {retry_after}",
                        "parameters": {"retry_after": retry_after},
                    },
                    0,
                )
            if len(self.deliveries) >= self.max_records:
                self.overflow += 1
                return 500, {"ok": False, "error_code": 500, "description": "stand-in full"}, 0
            chat_id = str(params.get("chat_id", ""))
            text = str(params.get("text", ""))
            self.deliveries.append(Delivery(now, chat_id, text))
            number = len(self.deliveries)
            self._message_id += 1
            message = {
                "message_id": self._message_id,
                "date": int(time.time()),
                "chat": {"id": _int_or(chat_id), "type": "private"},
                "text": text,
            }
        return 200, {"ok": True, "result": message}, number

    def answer(self, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any], int]:
        if method in RATE_LIMITED:
            return self.send_message(params)
        with self.lock:
            self.other_calls[method] = self.other_calls.get(method, 0) + 1
        if method == "getMe":
            return 200, {"ok": True, "result": BOT}, 0
        if method == "getUpdates":
            try:
                hold = min(float(params.get("timeout") or 0), LONG_POLL_CAP)
            except ValueError:
                hold = 0.0
            time.sleep(max(0.0, hold))
            return 200, {"ok": True, "result": []}, 0
        return 200, {"ok": True, "result": True}, 0

    # --- serving -------------------------------------------------------------------------

    def start(self) -> RateLimitedBotApi:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as PTB's httpx client expects
            timeout = IDLE_TIMEOUT

            def setup(self) -> None:
                super().setup()
                # Headers and body leave in separate writes: without this, Nagle's algorithm and
                # the client's delayed ACK would add 40 ms to every answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.close_connection = True
                    self._reply(413, {"ok": False, "error_code": 413, "description": "too big"})
                    return
                body = self.rfile.read(length).decode("utf-8", "replace")
                params = _parse(body, self.headers.get("Content-Type", ""))
                prefix = f"/bot{stand_in.token}/"
                if not self.path.startswith(prefix):
                    self._reply(
                        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    )
                    return
                method = self.path[len(prefix) :].split("?", 1)[0]
                status, payload, number = stand_in.answer(method, params)
                if number and stand_in.on_delivery is not None:
                    stand_in.on_delivery(number)  # may kill the sender before it hears back
                self._reply(status, payload)

            do_GET = do_POST

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the sender was killed meanwhile
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                return None

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def process_request(self, request: Any, client_address: Any) -> None:
                if not stand_in._connections.acquire(timeout=5):
                    self.shutdown_request(request)
                    return
                super().process_request(request, client_address)

            def process_request_thread(self, request: Any, client_address: Any) -> None:
                try:
                    super().process_request_thread(request, client_address)
                finally:
                    stand_in._connections.release()

            def handle_error(self, request: Any, client_address: Any) -> None:
                import sys

                if not isinstance(sys.exc_info()[1], OSError):  # a killed client: expected
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> RateLimitedBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _parse(body: str, content_type: str) -> dict[str, str]:
    if content_type.startswith("application/json"):
        try:
            loaded = json.loads(body or "{}")
        except ValueError:
            return {}
        return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in loaded.items()}
    if content_type.startswith("multipart/form-data"):
        return _parse_multipart(body, content_type)
    return dict(parse_qsl(body, keep_blank_values=True))


def _parse_multipart(body: str, content_type: str) -> dict[str, str]:
    boundary = content_type.split("boundary=", 1)[-1].strip('"')
    fields: dict[str, str] = {}
    for part in body.split(f"--{boundary}"):
        head, _, value = part.partition("\r\n\r\n")
        if 'name="' not in head:
            continue
        name = head.split('name="', 1)[1].split('"', 1)[0]
        fields[name] = value.removesuffix("\r\n")
    return fields


def _int_or(value: str) -> int | str:
    try:
        return int(value)
    except ValueError:
        return value
