"""A Zalo Bot Platform API server on loopback, for tests and fault scripts.

Built from the documented and observed payloads in docs/zalo-api-notes.md; modelled on
testkit/bot_api.py (the Telegram one). It speaks ``POST /bot<TOKEN>/<method>`` with a
JSON body (GET with a query string and form bodies are accepted too, as the docs allow) and
answers Zalo's envelope ``{"ok": true, "result": …}`` / ``{"ok": false, "error_code": N,
"description": …}``.

- getMe; getUpdates (long polling over a queue the test fills with ``push``: ONE update object per
  call, no offset/ack, and ``408 Request timeout`` when the window passes empty);
- setWebhook / deleteWebhook / getWebhookInfo. While a webhook is set, ``push`` POSTs the update to
  it (with ``X-Bot-Api-Secret-Token``) from a background thread and records the status the bot
  answered in ``webhook_deliveries``; ``post_webhook`` sends one synchronously with any secret;
- sendMessage (1–2000 characters), sendPhoto (the stand-in fetches the URL, loopback only, as Zalo
  fetches it before answering), sendSticker, sendChatAction ("typing" only). A bot may only write
  to a chat that has written to it (a chat seen in a pushed update, or ``add_chat``).

Failure injection: ``fail_next(method, kind, times)`` answers the next calls of a method with 429
(Zalo's "Quota exceeded"), 500/502, an nginx HTML 429 page, or a hang; ``fault`` may hold a policy
called on every call (``testkit.bot_api.Storms`` fits: both stand-ins take the same ``Fault``).
Injected faults are counted in ``injected`` and listed in ``faulted``.

``calls`` lists every authenticated call (also the invalid, faulted and unknown ones), in order;
``messages``/``by_chat``/``photos``/``stickers``/``chat_actions`` list only what was performed.
"""

from __future__ import annotations

import ipaddress
import json
import queue
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from testkit.bot_api import CallLog, Fault, QuietServer

TOKEN = "12345689:stand-in-secret"  # Zalo's token form: <numeric bot id>:<secret>
BOT = {
    "id": "1459232241454765289",
    "account_name": "bot.standin",
    "account_type": "BASIC",
    "can_join_groups": False,
}
TEXT_LIMIT = 2000  # characters (not bytes, not UTF-16 units) for text and caption
SECRET_MIN, SECRET_MAX = 8, 256
POLL_CAP = 1.0  # getUpdates waits at most this long, whatever the timeout asked for
MAX_HANG = 15.0  # a hang never holds a server thread longer than this
WEBHOOK_TIMEOUT = 10.0  # how long a delivery waits for the bot's answer (Zalo's is undocumented)
FETCH_TIMEOUT = 5.0
FAULT_KINDS = ("429", "429html", "500", "502", "hang")
CHAT_METHODS = ("sendMessage", "sendPhoto", "sendSticker", "sendChatAction")
METHODS = frozenset(
    {"getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", *CHAT_METHODS}
)
NGINX_429 = (
    "<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n"
    "<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)

Json = dict[str, Any]


class ZaloError(Exception):
    """An error envelope: ``{"ok": false, "error_code": code, "description": …}``."""

    def __init__(self, code: int, description: str, http_status: int | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.http_status = code if http_status is None else http_status

    def envelope(self) -> Json:
        return {"ok": False, "error_code": self.code, "description": self.description}


FaultPolicy = Callable[[str, Json], Fault | None]


# ---------------------------------------------------------------------------------------------
# Updates, built exactly as Zalo sends them (docs/zalo-api-notes.md §3).


def new_id() -> str:
    """A Zalo-style id: 20 lowercase hex characters (message ids, user ids)."""
    return secrets.token_hex(10)


def now_ms() -> int:
    return int(time.time() * 1000)


def _message(
    user_id: str,
    name: str,
    chat_type: str,
    chat_id: str | None,
    content: Json,
    message_id: str | None,
    date: int | None,
) -> Json:
    if chat_type == "PRIVATE":
        if chat_id is not None and chat_id != user_id:
            raise ValueError("in a PRIVATE chat chat.id is the sender's id")
        chat_id = user_id
    elif chat_id is None:
        raise ValueError(f"a {chat_type} update needs its chat_id")
    return {
        "from": {"id": user_id, "display_name": name, "is_bot": False},
        "chat": {"id": chat_id, "chat_type": chat_type},
        **content,
        "message_id": message_id or new_id(),
        "date": now_ms() if date is None else date,
    }


def text_update(
    user_id: str,
    text: str,
    name: str = "Lan",
    chat_type: str = "PRIVATE",
    message_id: str | None = None,
    *,
    chat_id: str | None = None,
    date: int | None = None,
) -> Json:
    """``message.text.received``: the official webhook sample's shape."""
    message = _message(user_id, name, chat_type, chat_id, {"text": text}, message_id, date)
    return {"event_name": "message.text.received", "message": message}


def image_update(
    user_id: str,
    photo_url: str,
    caption: str | None = None,
    name: str = "Lan",
    chat_type: str = "PRIVATE",
    message_id: str | None = None,
    *,
    chat_id: str | None = None,
    date: int | None = None,
    photo_key: str = "photo_url",
) -> Json:
    """``message.image.received``. Real events carry ``photo_url``; the docs' table says
    ``photo`` — pass ``photo_key="photo"`` for that form. ``caption`` is left out when None."""
    content: Json = {photo_key: photo_url}
    if caption is not None:
        content["caption"] = caption
    message = _message(user_id, name, chat_type, chat_id, content, message_id, date)
    return {"event_name": "message.image.received", "message": message}


def sticker_update(
    user_id: str,
    sticker: str = "0e078a2fb66a5f34067b",
    url: str = "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=0e078a2fb66a5f34067b",
    name: str = "Lan",
    chat_type: str = "PRIVATE",
    message_id: str | None = None,
    *,
    chat_id: str | None = None,
    date: int | None = None,
) -> Json:
    """``message.sticker.received``: the sticker id and its image URL."""
    content = {"sticker": sticker, "url": url}
    message = _message(user_id, name, chat_type, chat_id, content, message_id, date)
    return {"event_name": "message.sticker.received", "message": message}


def unsupported_update(
    user_id: str,
    name: str = "Lan",
    chat_type: str = "PRIVATE",
    message_id: str | None = None,
    *,
    chat_id: str | None = None,
    date: int | None = None,
) -> Json:
    """``message.unsupported.received``: no content (files, video, links, or a sender Zalo
    protects)."""
    message = _message(user_id, name, chat_type, chat_id, {}, message_id, date)
    return {"event_name": "message.unsupported.received", "message": message}


def chat_id_of(update: Json) -> str | None:
    """The ``message.chat.id`` of an update (bare or wrapped in ``{"ok":true,"result":…}``)."""
    if update.get("ok") is True and isinstance(update.get("result"), dict):
        update = update["result"]
    message = update.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return None
    chat = message["chat"].get("id")
    return None if chat is None else str(chat)


# ---------------------------------------------------------------------------------------------


@dataclass
class ZaloStandIn(CallLog):
    token: str = TOKEN
    # Updates waiting for a getUpdates (one per call, taken when answered: Zalo has no ack).
    updates: deque[Json] = field(default_factory=deque)
    calls: list[tuple[str, Json]] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)
    server: ThreadingHTTPServer | None = None
    # getUpdates with nothing in the window answers 408 with this HTTP status (seen: 200 and 408).
    poll_timeout_status: int = 200
    # getWebhookInfo on a bot that never had a webhook: seen as HTTP 404 "Not Found" (REAL-1,
    # single source); by default it answers ``{"url": "", "updated_at": 0}``.
    webhook_info_404_when_never_set: bool = False
    # Webhook state (never set: url None).
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_updated_at: int = 0
    # (the update pushed, the HTTP status the bot answered; 0 = no HTTP answer), in push order.
    webhook_deliveries: list[tuple[Json, int]] = field(default_factory=list)
    # Chats that wrote to the bot: the only ones it may write to.
    known_chats: set[str] = field(default_factory=set)
    # What was performed, per chat: (method, params), in order.
    by_chat: dict[str, list[tuple[str, Json]]] = field(default_factory=dict)
    photos: list[tuple[str, str, str | None, bytes]] = field(default_factory=list)
    stickers: list[tuple[str, str]] = field(default_factory=list)
    chat_actions: list[tuple[str, str]] = field(default_factory=list)
    # Failure injection.
    fault: FaultPolicy | None = None
    planned: dict[str, deque[Fault]] = field(default_factory=dict)  # method ("*": any) → faults
    injected: Counter[str] = field(default_factory=Counter)  # kind → calls
    # (monotonic time, method, kind, chat id or None, performed first) of every injected fault.
    faulted: list[tuple[float, str, str, str | None, bool]] = field(default_factory=list)
    _deliveries: queue.Queue[tuple[Json, str, str, bool] | None] = field(
        default_factory=queue.Queue
    )
    _worker: threading.Thread | None = None

    # -- test side ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, like ``https://bot-api.zaloplatforms.com`` (no trailing slash)."""
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """``<url>/bot<token>``: append ``/<method>``."""
        return f"{self.url}/bot{self.token}"

    def push(self, update: Json, wrapped: bool = False) -> None:
        """A user wrote: queue the update for getUpdates, or — while a webhook is set — POST it
        there from the delivery thread (``wrapped``: as ``{"ok":true,"result":update}``)."""
        with self.lock:
            chat = chat_id_of(update)
            if chat is not None:
                self.known_chats.add(chat)
            if self.webhook_url is not None and self.webhook_secret is not None:
                self._deliveries.put((update, self.webhook_url, self.webhook_secret, wrapped))
            else:
                self.updates.append(update)
            self.lock.notify_all()

    def post_webhook(
        self,
        update: Json,
        secret: str | None = None,
        wrapped: bool = False,
        url: str | None = None,
    ) -> int:
        """POST one update to the webhook now, with ``secret`` (None: the one set) and return the
        HTTP status (0: no HTTP answer). Not recorded in ``webhook_deliveries``; with the right
        secret its chat becomes known, as a real delivery's would."""
        with self.lock:
            target = url or self.webhook_url
            real_secret = self.webhook_secret
        if target is None:
            raise RuntimeError("no webhook is set (pass url=…)")
        use = real_secret if secret is None else secret
        if use is None:
            raise RuntimeError("no secret: set a webhook or pass secret=…")
        if use == real_secret:
            chat = chat_id_of(update)
            if chat is not None:
                with self.lock:
                    self.known_chats.add(chat)
        return _deliver(target, use, update, wrapped)

    def add_chat(self, chat_id: str) -> None:
        """Mark a chat as having written to the bot before (without an update)."""
        with self.lock:
            self.known_chats.add(chat_id)

    def fail_next(
        self, method: str, kind: str, times: int = 1, seconds: float = 0.0, deliver: bool = False
    ) -> None:
        """The next ``times`` calls of ``method`` ("*": of any method) get ``kind`` (see
        ``Fault``; ``seconds`` is the hang's length)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        with self.lock:
            planned = self.planned.setdefault(method, deque())
            planned.extend(Fault(kind, seconds, deliver) for _ in range(times))

    def pending_updates(self) -> int:
        with self.lock:
            return len(self.updates)

    def messages(self, chat_id: str) -> list[str]:
        """The texts sent with sendMessage to ``chat_id``, in order."""
        with self.lock:
            return [
                str(params.get("text", ""))
                for method, params in self.by_chat.get(chat_id, ())
                if method == "sendMessage"
            ]

    def wait_for_deliveries(self, count: int = 1, timeout: float = 30) -> list[tuple[Json, int]]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.webhook_deliveries) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"{count} webhook deliveries expected, {len(self.webhook_deliveries)} made"
                    )
                self.lock.wait(left)
            return list(self.webhook_deliveries)

    def clear(self) -> None:
        """Forget what was recorded (calls, per-chat sends, photos, stickers, chat actions,
        deliveries, injected faults). State stays: webhook, known chats, queued updates, planned
        faults."""
        with self.lock:
            self.calls.clear()
            self.by_chat.clear()
            self.photos.clear()
            self.stickers.clear()
            self.chat_actions.clear()
            self.webhook_deliveries.clear()
            self.injected.clear()
            self.faulted.clear()

    # -- server side ---------------------------------------------------------------------------

    def _next_fault(self, method: str, params: Json) -> Fault | None:
        with self.lock:
            for key in (method, "*"):
                planned = self.planned.get(key)
                if planned:
                    return planned.popleft()
        policy = self.fault
        return policy(method, params) if policy is not None else None

    def _record_call(self, method: str, params: Json) -> None:
        with self.lock:
            self.calls.append((method, params))
            self.lock.notify_all()

    def _injected(self, method: str, params: Json, fault: Fault) -> None:
        with self.lock:
            self.injected[fault.kind] += 1
            chat = params.get("chat_id")
            chat_id = None if chat is None else str(chat)
            self.faulted.append((time.monotonic(), method, fault.kind, chat_id, fault.deliver))
            self.lock.notify_all()

    def answer(self, method: str, params: Json) -> tuple[int, Json]:
        """Perform one (authenticated, known) call: (HTTP status, envelope)."""
        try:
            result = self._perform(method, params)
        except ZaloError as error:
            return error.http_status, error.envelope()
        if result is _NO_RESULT:
            return 200, {"ok": True}
        return 200, {"ok": True, "result": result}

    def _perform(self, method: str, params: Json) -> Any:
        if method == "getMe":
            return dict(BOT)
        if method == "getUpdates":
            return self._get_updates(params)
        if method == "setWebhook":
            return self._set_webhook(params)
        if method == "deleteWebhook":
            with self.lock:
                self.webhook_url = None
                self.webhook_secret = None
                self.webhook_updated_at = now_ms()
                return {"url": "", "updated_at": self.webhook_updated_at}
        if method == "getWebhookInfo":
            with self.lock:
                if self.webhook_updated_at == 0 and self.webhook_info_404_when_never_set:
                    raise ZaloError(404, "Not Found")
                # Never the secret.
                return {"url": self.webhook_url or "", "updated_at": self.webhook_updated_at}
        chat_id = _chat_id(params)
        if method == "sendMessage":
            _text(params, "text", required=True)
            parse_mode = params.get("parse_mode")
            # Zalo documents lowercase "markdown" | "html"; whether it rejects others is
            # unconfirmed — stricter here on purpose.
            if parse_mode is not None and parse_mode not in ("markdown", "html"):
                raise ZaloError(400, "Bad request: parse_mode is invalid")
            return self._sent(chat_id, method, params, lambda: None)
        if method == "sendPhoto":
            photo = params.get("photo")
            if not isinstance(photo, str) or not photo:
                raise ZaloError(400, "Bad request: The photo must not be empty")
            caption = _text(params, "caption", required=False)
            self._check_chat(chat_id)
            data = _fetch(photo)  # outside the lock: Zalo fetches before it answers
            return self._sent(
                chat_id,
                method,
                params,
                lambda: self.photos.append((chat_id, photo, caption, data)),
            )
        if method == "sendSticker":
            sticker = params.get("sticker")
            if not isinstance(sticker, str) or not sticker:
                raise ZaloError(400, "Bad request: The sticker must not be empty")
            return self._sent(
                chat_id, method, params, lambda: self.stickers.append((chat_id, sticker))
            )
        if method == "sendChatAction":
            action = params.get("action")
            # "upload_photo" is documented as "coming soon": refused like anything else.
            if action != "typing":
                raise ZaloError(400, "Bad request: action is invalid")
            self._sent(chat_id, method, params, lambda: self.chat_actions.append((chat_id, action)))
            return _NO_RESULT
        raise ZaloError(404, "Not Found")

    def _check_chat(self, chat_id: str) -> None:
        # Zalo only lets a bot write to chats it has heard from; the error code and text it gives
        # otherwise are unconfirmed.
        with self.lock:
            if chat_id not in self.known_chats:
                raise ZaloError(400, "Bad request: chat not found")

    def _sent(self, chat_id: str, method: str, params: Json, record: Callable[[], None]) -> Json:
        with self.lock:
            if chat_id not in self.known_chats:  # see _check_chat
                raise ZaloError(400, "Bad request: chat not found")
            record()
            self.by_chat.setdefault(chat_id, []).append((method, params))
            self.lock.notify_all()
        return {"message_id": new_id(), "date": now_ms()}

    def _get_updates(self, params: Json) -> Json:
        timeout = _seconds(params.get("timeout"), default=30.0)
        deadline = time.monotonic() + min(timeout, POLL_CAP)
        with self.lock:
            if self.webhook_url is not None:
                # The docs say getUpdates does not work while a webhook is set; the node SDK
                # treats HTTP 409 as that error. The real code and text are unconfirmed.
                raise ZaloError(409, "Conflict: webhook is active")
            while not self.updates:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ZaloError(408, "Request timeout", self.poll_timeout_status)
                self.lock.wait(left)
            # Taken now: a client that drops this answer has lost the update, as with Zalo.
            return self.updates.popleft()

    def _set_webhook(self, params: Json) -> Json:
        url = params.get("url")
        secret = params.get("secret_token")
        if not isinstance(url, str) or not url:
            raise ZaloError(400, "Bad request: The url must not be empty")
        # Zalo wants public HTTPS; the stand-in takes any http(s) URL, since its bots listen on
        # loopback.
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ZaloError(400, "Bad request: The url is invalid")
        if not isinstance(secret, str) or not secret:
            raise ZaloError(400, "Bad request: The secret_token must not be empty")
        if not SECRET_MIN <= len(secret) <= SECRET_MAX:
            raise ZaloError(
                400, f"Bad request: secret_token must be {SECRET_MIN}-{SECRET_MAX} characters"
            )
        with self.lock:
            self.webhook_url = url
            self.webhook_secret = secret
            self.webhook_updated_at = now_ms()
            self.lock.notify_all()
            return {"url": url, "updated_at": self.webhook_updated_at}

    def _deliver_forever(self) -> None:
        while True:
            job = self._deliveries.get()
            if job is None:
                return
            update, url, secret, wrapped = job
            status = _deliver(url, secret, update, wrapped)
            with self.lock:
                self.webhook_deliveries.append((update, status))
                self.lock.notify_all()

    def __enter__(self) -> ZaloStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                path, _, query = self.path.partition("?")
                prefix = f"/bot{stand_in.token}/"
                if not path.startswith(prefix):
                    self._reply(401, ZaloError(401, "Invalid token").envelope())
                    return
                method = path[len(prefix) :]
                try:
                    params = self._params(query)
                except ValueError:
                    self._reply(400, ZaloError(400, "Bad request: invalid JSON").envelope())
                    return
                stand_in._record_call(method, params)
                if method not in METHODS:
                    self._reply(404, ZaloError(404, "Not Found").envelope())
                    return
                fault = stand_in._next_fault(method, params)
                if fault is None:
                    self._reply(*stand_in.answer(method, params))
                    return
                stand_in._injected(method, params, fault)
                self._inject(method, params, fault)

            do_GET = do_POST

            def _params(self, query: str) -> Json:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                params: Json = dict(parse_qsl(query))
                if not body.strip():
                    return params
                if self.headers.get("Content-Type", "").startswith("application/x-www-form"):
                    params.update(parse_qsl(body))
                    return params
                loaded = json.loads(body)
                if not isinstance(loaded, dict):
                    raise ValueError("not a JSON object")
                params.update(loaded)
                return params

            def _inject(self, method: str, params: Json, fault: Fault) -> None:
                if fault.kind == "429":
                    self._reply(429, ZaloError(429, "Quota exceeded").envelope())
                elif fault.kind == "429html":
                    self._send(429, "text/html", NGINX_429.encode())
                elif fault.kind in ("500", "502"):
                    code = int(fault.kind)
                    text = "Internal server error" if code == 500 else "Bad Gateway"
                    self._reply(code, ZaloError(code, text).envelope())
                else:  # hang
                    answered = stand_in.answer(method, params) if fault.deliver else None
                    time.sleep(min(max(fault.seconds, 0.0), MAX_HANG))
                    if answered is not None:
                        self._reply(*answered)
                    else:
                        self._reply(504, ZaloError(504, "Gateway Timeout").envelope())

            def _reply(self, status: int, payload: Json) -> None:
                self._send(status, "application/json", json.dumps(payload).encode())

            def _send(self, status: int, content_type: str, data: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except ConnectionError:
                    pass  # the client gave up (a timeout, or a killed bot)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        serve = self.server.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self._worker = threading.Thread(target=self._deliver_forever, daemon=True)
        self._worker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self._deliveries.put(None)
        if self._worker is not None:
            self._worker.join(WEBHOOK_TIMEOUT + 1)
        self.server.shutdown()
        self.server.server_close()


class _NoResult:
    """Marks an answer without ``result`` (sendChatAction: ``{"ok": true}``)."""


_NO_RESULT = _NoResult()


# No proxies: everything the stand-in reaches is on loopback.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _deliver(url: str, secret: str, update: Json, wrapped: bool) -> int:
    body = {"ok": True, "result": update} if wrapped else update
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Bot-Api-Secret-Token": secret},
    )
    try:
        with _OPENER.open(request, timeout=WEBHOOK_TIMEOUT) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)
    except (OSError, ValueError):
        return 0


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _fetch(url: str) -> bytes:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ZaloError(400, "Bad request: photo url is invalid")
    if not _is_loopback(parts.hostname):
        # Zalo fetches any public URL; the stand-in never leaves the machine.
        raise ZaloError(400, "Bad request: photo url must be on loopback (stand-in)")
    try:
        with _OPENER.open(url, timeout=FETCH_TIMEOUT) as response:
            if response.status != 200:
                raise ZaloError(400, "Bad request: photo url unreachable")
            return bytes(response.read())
    except urllib.error.HTTPError as error:
        error.close()
        raise ZaloError(400, "Bad request: photo url unreachable") from None
    except (OSError, ValueError):
        raise ZaloError(400, "Bad request: photo url unreachable") from None


def _chat_id(params: Json) -> str:
    chat = params.get("chat_id")
    if chat is None or chat == "":
        raise ZaloError(400, "Bad request: The chat_id must not be empty")
    return str(chat)


def _text(params: Json, key: str, required: bool) -> str | None:
    text = params.get(key)
    if text is None and not required:
        return None
    if not isinstance(text, str) or not text:
        raise ZaloError(400, f"Bad request: The {key} must not be empty")
    if len(text) > TEXT_LIMIT:
        raise ZaloError(400, f"Bad request: {key} too long")
    return text


def _seconds(value: Any, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return default
