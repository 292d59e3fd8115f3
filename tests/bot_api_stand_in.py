"""A Bot API server on loopback, for tests and fault scripts that run the real polling bot as a
subprocess.

It speaks the small part of the Bot API the bot uses: getMe, getUpdates (long polling over a
queue the test fills, with Telegram's offset semantics: an update stays until a getUpdates with a
higher offset confirms it, so a bot killed before confirming gets it again), sendMessage and
friends (recorded, also per chat), and answers True to the rest.

For benchmarks (benchmarks/latency.py) two options bring it closer to the real thing: ``delay``
answers every call but getUpdates that many seconds late (the round trip to Telegram's servers),
and ``keep_alive`` serves HTTP/1.1 persistent connections as the real Bot API does.

Failure injection (faults/bot_api_storm.py): ``fault`` is asked about every call and may answer
it with HTTP 500/502, a 429 with ``retry_after`` (Telegram's JSON), or a hang longer than the
client's timeout — either before the call is performed, or after it (the message is delivered and
never confirmed: the worst case for duplicates). ``Storms`` builds such a policy from time
windows. Everything injected is counted in ``injected`` and listed in ``faulted``.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT = {"id": 4242, "is_bot": True, "first_name": "Bot", "username": "stand_in_bot"}
# Calls whose effect a user sees in a chat: recorded per chat as well.
CHAT_METHODS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument"}
)
MAX_HANG = 15.0  # a hang never holds a server thread longer than this
FAULT_KINDS = ("500", "502", "hang", "429")


@dataclass(frozen=True)
class Fault:
    """What the stand-in does to one call instead of answering it normally.

    ``kind``: "500" or "502" (an error page, nothing performed), "429" (Too Many Requests with
    ``retry_after`` = ``seconds``, nothing performed) or "hang" (no answer for ``seconds``; with
    ``deliver`` the call is performed first, so its message is delivered but never confirmed;
    without it the client gets a 504 after the hang, if it still listens, and nothing is done).
    """

    kind: str
    seconds: float = 0.0
    deliver: bool = False


FaultPolicy = Callable[[str, dict[str, Any]], Fault | None]


@dataclass(frozen=True)
class Sent:
    """One recorded call to a chat: what a user there sees."""

    seq: int  # order over all recorded chat calls
    method: str
    params: dict[str, Any]
    at: float  # time.monotonic()
    message_id: int  # the message sent (the new one) or changed (an edit)

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of the inline keyboard, row by row."""
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = _maybe_json(markup)
        if not isinstance(markup, dict):
            return []
        return [
            (str(b.get("text", "")), str(b.get("callback_data", b.get("url", ""))))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]


@dataclass(frozen=True)
class Window:
    """From ``start`` to ``end`` seconds after ``Storms.begin()``, answer ``share`` of the calls
    (of ``methods``, or all) with ``kind``."""

    start: float
    end: float
    kind: str
    share: float = 1.0
    seconds: float = 0.0  # hang length or retry_after
    deliver_share: float = 0.0  # hang only: this share of the hung calls is performed first
    methods: frozenset[str] | None = None


class Storms:
    """A fault policy from time windows; calls outside every window are answered normally."""

    def __init__(self, windows: list[Window], seed: int = 0) -> None:
        self.windows = sorted(windows, key=lambda w: w.start)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.started: float | None = None

    def begin(self) -> None:
        self.started = time.monotonic()

    def active(self, now: float | None = None) -> Window | None:
        if self.started is None:
            return None
        elapsed = (now or time.monotonic()) - self.started
        for window in self.windows:
            if window.start <= elapsed < window.end:
                return window
        return None

    @property
    def length(self) -> float:
        return max((w.end for w in self.windows), default=0.0)

    def __call__(self, method: str, params: dict[str, Any]) -> Fault | None:
        window = self.active()
        if window is None or (window.methods is not None and method not in window.methods):
            return None
        with self.lock:
            if self.rng.random() >= window.share:
                return None
            if window.kind == "hang":
                deliver = self.rng.random() < window.deliver_share
                return Fault("hang", window.seconds, deliver)
            if window.kind == "429":
                return Fault("429", max(1, round(window.seconds * self.rng.uniform(0.5, 1.5))))
            return Fault(window.kind)


@dataclass
class StandIn:
    token: str = "123456:TEST"
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)
    server: ThreadingHTTPServer | None = None
    # Failure injection (None: every call is answered normally).
    fault: FaultPolicy | None = None
    injected: Counter[str] = field(default_factory=Counter)  # kind → calls
    # (monotonic time, method, kind, chat id or None, delivered first) of every injected fault.
    faulted: list[tuple[float, str, str, int | None, bool]] = field(default_factory=list)
    # Recorded calls per chat (see ``Sent``); ``on_chat`` is told the chat id of each, from the
    # server's thread, right after it is recorded.
    by_chat: dict[int, list[Sent]] = field(default_factory=dict)
    on_chat: Callable[[int], None] | None = None
    confirmed_offset: int = 0  # the highest offset a getUpdates has confirmed
    # Every call but getUpdates is performed and answered this many seconds after it arrived,
    # as if over the network: the call takes effect (is recorded, reaches the chat) at the end.
    delay: float = 0.0
    # HTTP/1.1 keep-alive with TCP_NODELAY, as the real Bot API serves: without it every call
    # opens a new connection (HTTP/1.0), which costs both sides CPU a real bot does not spend.
    keep_alive: bool = False
    _message_id: int = 0
    _seq: int = 0

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def push(self, update: dict[str, Any]) -> None:
        with self.lock:
            self.updates.append(update)
            self.lock.notify_all()

    def pending_updates(self) -> int:
        """Updates pushed and not yet confirmed by a getUpdates offset."""
        with self.lock:
            return len(self.updates)

    def chat(self, chat_id: int, since: int = 0) -> list[Sent]:
        """What was recorded for ``chat_id``, from position ``since`` on."""
        with self.lock:
            return list(self.by_chat.get(chat_id, ())[since:])

    def count(self, method: str) -> int:
        with self.lock:
            return sum(1 for name, _ in self.calls if name == method)

    def wait_for(self, method: str, count: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                found = [params for name, params in self.calls if name == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"{method} x{count} not called; calls: {[name for name, _ in self.calls]}"
                    )
                self.lock.wait(left)

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        chat_id: int | None = None
        with self.lock:
            self.calls.append((method, params))
            self.lock.notify_all()
            if method == "getMe":
                return BOT
            if method == "getUpdates":
                offset = int(params.get("offset") or 0)
                if offset > self.confirmed_offset:
                    # Confirmed: Telegram forgets them.
                    self.confirmed_offset = offset
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
                while True:
                    ready = [u for u in self.updates if u["update_id"] >= offset]
                    if ready or time.monotonic() >= deadline:
                        return ready
                    self.lock.wait(deadline - time.monotonic())
            result: Any = True
            message_id = _int(params.get("message_id")) or 0
            if method in {"sendMessage", "editMessageText", "sendPhoto", "sendDocument"}:
                self._message_id += 1
                if method != "editMessageText":
                    message_id = self._message_id
                result = {
                    "message_id": message_id or self._message_id,
                    "date": int(time.time()),
                    "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                    "text": params.get("text", ""),
                }
            if method in CHAT_METHODS and "chat_id" in params:
                chat_id = _int(params["chat_id"])
                if chat_id is not None:
                    self._seq += 1
                    sent = Sent(self._seq, method, params, time.monotonic(), message_id)
                    self.by_chat.setdefault(chat_id, []).append(sent)
        if chat_id is not None and self.on_chat is not None:
            self.on_chat(chat_id)
        return result

    def _injected(self, method: str, params: dict[str, Any], fault: Fault) -> None:
        with self.lock:
            self.injected[fault.kind] += 1
            chat = _int(params.get("chat_id")) if "chat_id" in params else None
            self.faulted.append((time.monotonic(), method, fault.kind, chat, fault.deliver))

    def __enter__(self) -> StandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if stand_in.keep_alive else "HTTP/1.0"

            def setup(self) -> None:
                super().setup()
                if stand_in.keep_alive:
                    # Headers and body leave in separate writes: without this, Nagle's algorithm
                    # and the client's delayed ACK would add 40 ms to answers on a kept connection.
                    self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(body or "{}")
                else:
                    params = {k: _maybe_json(v) for k, v in parse_qsl(body)}
                prefix = f"/bot{stand_in.token}/"
                if not self.path.startswith(prefix):
                    self._reply(
                        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    )
                    return
                method = self.path[len(prefix) :]
                if stand_in.delay > 0 and method != "getUpdates":
                    time.sleep(stand_in.delay)  # this thread's only: other calls go on meanwhile
                policy = stand_in.fault
                fault = policy(method, params) if policy is not None else None
                if fault is None:
                    self._reply(200, {"ok": True, "result": stand_in.answer(method, params)})
                    return
                stand_in._injected(method, params, fault)
                self._inject(method, params, fault)

            do_GET = do_POST

            def _inject(self, method: str, params: dict[str, Any], fault: Fault) -> None:
                if fault.kind in ("500", "502"):
                    code = int(fault.kind)
                    description = "Internal Server Error" if code == 500 else "Bad Gateway"
                    self._reply(code, {"ok": False, "error_code": code, "description": description})
                elif fault.kind == "429":
                    after = max(1, int(fault.seconds))
                    self._reply(
                        429,
                        {
                            "ok": False,
                            "error_code": 429,
                            "description": f"Too Many Requests: retry after {after}",
                            "parameters": {"retry_after": after},
                        },
                    )
                else:  # hang
                    result = stand_in.answer(method, params) if fault.deliver else None
                    time.sleep(min(max(fault.seconds, 0.0), MAX_HANG))
                    if fault.deliver:
                        self._reply(200, {"ok": True, "result": result})
                    else:
                        self._reply(
                            504, {"ok": False, "error_code": 504, "description": "Gateway Timeout"}
                        )

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except ConnectionError:
                    pass  # the client gave up (a timeout, or a killed bot)

            def log_message(self, *args: Any) -> None:
                return None

        server_class = _KeptAliveServer if self.keep_alive else _QuietServer
        self.server = server_class(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


class _QuietServer(ThreadingHTTPServer):
    """A bot stopped mid long-poll closes its socket; that is expected, not worth a traceback."""

    daemon_threads = True  # a hung answer must not keep the test process alive

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _KeptAliveServer(_QuietServer):
    """A bot opens up to its pool size of connections at once when many chats are busy: a
    listen backlog of 5 (the default) would drop some of those connects, and the kernel retries
    a dropped connect only after a second."""

    request_queue_size = 256


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
