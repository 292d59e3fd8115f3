"""The Bot API stand-in on loopback, for tests, fault scripts and benchmarks that run the real
bot (``python -m bot`` or an Application with ``TELEGRAM_API_BASE_URL`` pointed here); and
``ScriptedBotApi``, the console's in-process Bot API with scripted failures, for tests that run the
Application in process.

It speaks the small part of the Bot API the bot uses: getMe, getUpdates (long polling over a
queue the test fills, with Telegram's offset semantics: an update stays until a getUpdates with a
higher offset confirms it, so a bot killed before confirming gets it again), sendMessage and
friends (recorded, also per chat, in order: ``sent()``), and answers True to the rest.

Options bring it closer to the real thing:

* latency: ``delay`` answers every call but getUpdates that many seconds late (the round trip to
  Telegram's servers), and ``keep_alive`` serves HTTP/1.1 persistent connections as the real Bot
  API does;
* rate limits: ``fault=FloodLimits(...)`` refuses what Telegram's flood limits refuse (HTTP 429
  with ``retry_after``) — the bot's bucket, and each chat's;
* scripted failures (faults/bot_api_storm.py): ``fault`` is asked about every call and may
  answer it with HTTP 500/502, a 429 with ``retry_after`` (Telegram's JSON), or a hang longer than
  the client's timeout — either before the call is performed, or after it (the message is
  delivered and never confirmed: the worst case for duplicates). ``Storms`` builds such a policy
  from time windows. Everything injected is counted in ``injected`` and listed in ``faulted``;
* bounds for long runs: ``max_connections`` at once, ``max_records`` chat calls recorded (then
  HTTP 500), bodies up to 1 MiB.

``on_sent`` is called with each recorded chat call, in the request's thread, after it is recorded
and *before* its answer is written: a benchmark can kill the bot at that moment, so that a message
is delivered but never confirmed."""

from __future__ import annotations

import json
import math
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import RequestData

from bot.channels.local_bot_api import SENDING_METHODS, LocalBotApi

BOT = {"id": 4242, "is_bot": True, "first_name": "Bot", "username": "stand_in_bot"}
# Calls whose effect a user sees in a chat: recorded per chat as well.
CHAT_METHODS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument"}
)
MENU_METHODS = frozenset({"setMyCommands", "deleteMyCommands"})
MAX_HANG = 15.0  # a hang never holds a server thread longer than this
FAULT_KINDS = ("500", "502", "hang", "429")
MAX_BODY = 1 << 20
IDLE_TIMEOUT = 30.0  # a kept-alive connection idle this long is closed


@dataclass(frozen=True)
class Fault:
    """What a stand-in (this one, or testkit.zalo's) does to one call instead of answering it.

    ``kind``: "500" or "502" (an error page, nothing performed), "429" (Too Many Requests with
    ``retry_after`` = ``seconds``, nothing performed; Zalo's "Quota exceeded"), "429html" (Zalo
    only: nginx's HTML 429 page) or "hang" (no answer for ``seconds``; with ``deliver`` the call is
    performed first, so its message is delivered but never confirmed; without it the client gets
    a 504 after the hang, if it still listens, and nothing is done).
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
    chat_id: int = 0

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
    """Telegram's flood limits as a fault policy for ``StandIn`` (its ``fault``), so that the
    stand-in refuses what Telegram would refuse.

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


class CallLog:
    """Every call a stand-in was sent, in order, and a way to wait for some (both stand-ins)."""

    calls: list[tuple[str, dict[str, Any]]]  # (method, params)
    lock: threading.Condition  # notified on every call

    def count(self, method: str) -> int:
        with self.lock:
            return sum(1 for name, _ in self.calls if name == method)

    def wait_for(self, method: str, count: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
        """The params of the calls of ``method`` once there are ``count`` (TimeoutError else)."""
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


@dataclass
class StandIn(CallLog):
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
    # Recorded calls per chat (see ``Sent``); ``on_sent`` is told of each, from the server's
    # thread, right after it is recorded and before it is answered.
    by_chat: dict[int, list[Sent]] = field(default_factory=dict)
    on_sent: Callable[[Sent], None] | None = None
    confirmed_offset: int = 0  # the highest offset a getUpdates has confirmed
    # Every call but getUpdates is performed and answered this many seconds after it arrived,
    # as if over the network: the call takes effect (is recorded, reaches the chat) at the end.
    delay: float = 0.0
    # HTTP/1.1 keep-alive with TCP_NODELAY, as the real Bot API serves: without it every call
    # opens a new connection (HTTP/1.0), which costs both sides CPU a real bot does not spend.
    keep_alive: bool = False
    username: str = "stand_in_bot"
    max_connections: int | None = None  # connections served at once (None: no bound)
    max_records: int | None = None  # chat calls recorded; later ones get HTTP 500
    overflow: int = 0  # chat calls refused because ``max_records`` was reached
    _all: list[Sent] = field(default_factory=list)
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

    def sent(self, method: str | None = None) -> list[Sent]:
        """Every recorded chat call (of ``method``, or all), in the order they were recorded."""
        with self.lock:
            return [c for c in self._all if method is None or c.method == method]

    def menu(self, chat_id: object, language: str | None = None) -> list[str]:
        """The commands the chat's "/" menu shows now (``menu_shown``)."""
        with self.lock:
            return menu_shown(list(self.calls), chat_id, language)

    def refused(self) -> list[float]:
        """When each 429 was answered (time.monotonic())."""
        with self.lock:
            return [at for at, _, kind, _, _ in self.faulted if kind == "429"]

    def full(self) -> bool:
        with self.lock:
            return self.max_records is not None and self._seq >= self.max_records

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        chat_id: int | None = None
        sent: Sent | None = None
        with self.lock:
            self.calls.append((method, params))
            self.lock.notify_all()
            if method == "getMe":
                return {**BOT, "username": self.username}
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
                    sent = Sent(self._seq, method, params, time.monotonic(), message_id, chat_id)
                    self.by_chat.setdefault(chat_id, []).append(sent)
                    self._all.append(sent)
        if sent is not None and self.on_sent is not None:
            self.on_sent(sent)
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
            timeout = IDLE_TIMEOUT if stand_in.keep_alive else None

            def setup(self) -> None:
                super().setup()
                if stand_in.keep_alive:
                    # Headers and body leave in separate writes: without this, Nagle's algorithm
                    # and the client's delayed ACK would add 40 ms to answers on a kept connection.
                    self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.close_connection = True
                    self._reply(413, {"ok": False, "error_code": 413, "description": "too big"})
                    return
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
                if fault is None and method in CHAT_METHODS and stand_in.full():
                    with stand_in.lock:
                        stand_in.overflow += 1
                    self._reply(500, {"ok": False, "error_code": 500, "description": "full"})
                    return
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
                except OSError:
                    self.close_connection = True  # the client gave up (a timeout, a killed bot)

            def log_message(self, *args: Any) -> None:
                return None

        server_class = _KeptAliveServer if self.keep_alive else QuietServer
        if self.max_connections is not None:
            server_class = _bounded(server_class, threading.BoundedSemaphore(self.max_connections))
        self.server = server_class(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


class QuietServer(ThreadingHTTPServer):
    """A bot stopped mid long-poll closes its socket; that is expected, not worth a traceback."""

    daemon_threads = True  # a hung answer must not keep the test process alive

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], OSError):  # a killed client: expected
            super().handle_error(request, client_address)


class _KeptAliveServer(QuietServer):
    """A bot opens up to its pool size of connections at once when many chats are busy: a
    listen backlog of 5 (the default) would drop some of those connects, and the kernel retries
    a dropped connect only after a second."""

    request_queue_size = 256


def _bounded(base: type[QuietServer], connections: threading.BoundedSemaphore) -> type[QuietServer]:
    """``base`` serving at most the semaphore's count of connections at once."""

    class Bounded(base):  # type: ignore[valid-type,misc]
        def process_request(self, request: Any, client_address: Any) -> None:
            if not connections.acquire(timeout=5):
                self.shutdown_request(request)
                return
            super().process_request(request, client_address)

        def process_request_thread(self, request: Any, client_address: Any) -> None:
            try:
                super().process_request_thread(request, client_address)
            finally:
                connections.release()

    return Bounded


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def menu_shown(
    calls: Iterable[tuple[str, dict[str, Any]]], chat_id: object, language: str | None = None
) -> list[str]:
    """The "/" menu a private chat shows after ``calls`` (method, params), as Telegram picks it:
    the chat's scope in the user's language, the chat's scope, the default scope in the
    language, the default scope (setMyCommands sets a scope, deleteMyCommands removes it)."""
    menus: dict[tuple[str, str | None], list[str]] = {}
    for method, params in calls:
        if method not in MENU_METHODS:
            continue
        scope = params.get("scope") or {"type": "default"}
        scope = _maybe_json(scope) if isinstance(scope, str) else scope
        where = f"chat:{scope['chat_id']}" if scope["type"] == "chat" else scope["type"]
        key = (where, params.get("language_code") or None)
        if method == "deleteMyCommands":
            menus.pop(key, None)
            continue
        commands = params.get("commands") or []
        commands = _maybe_json(commands) if isinstance(commands, str) else commands
        menus[key] = [c["command"] for c in commands]
    for key in (
        (f"chat:{chat_id}", language),
        (f"chat:{chat_id}", None),
        ("default", language),
        ("default", None),
    ):
        if key in menus:
            return menus[key]
    return []


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


# --- in process -------------------------------------------------------------------------------


@dataclass
class ScriptedBotApi(LocalBotApi):
    """The console's in-process Bot API (no socket at all) with scripted failures: ``failures``
    maps a chat id to the answers its next sending calls get instead of success, in order —
    (HTTP status, description, parameters), e.g. (429, "Too Many Requests", {"retry_after": 5}).
    A refused call is recorded with ``result`` {"error": status}."""

    failures: dict[str, list[tuple[int, str, dict[str, Any]]]] = field(default_factory=dict)

    def menu(self, chat_id: object, language: str | None = None) -> list[str]:
        """The commands the chat's "/" menu shows now (``menu_shown``)."""
        return menu_shown(((c.method, c.params) for c in self.calls), chat_id, language)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        params = request_data.parameters if request_data else {}
        scope: Any = params.get("scope") or {}
        scope = _maybe_json(scope) if isinstance(scope, str) else scope
        # A chat's menu calls name the chat in their scope; they fail like sending calls.
        queued = self.failures.get(str(params.get("chat_id", scope.get("chat_id", ""))))
        if not queued or url.rsplit("/", 1)[-1] not in SENDING_METHODS | MENU_METHODS:
            return await super().do_request(
                url,
                method,
                request_data,
                read_timeout,
                write_timeout,
                connect_timeout,
                pool_timeout,
            )
        status, description, parameters = queued.pop(0)
        call = self._call(url, request_data)
        call.result = {"error": status}
        self.calls.append(call)
        body = {
            "ok": False,
            "error_code": status,
            "description": description,
            "parameters": parameters,
        }
        return status, json.dumps(body).encode()
