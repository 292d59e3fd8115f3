"""Zalo's Bot Platform as a channel of the same PTB Application (docs/zalo-api-notes.md).

Zalo's API looks like Telegram's but has no buttons, no update ids, no editing, string ids, dates
in milliseconds, 2,000-character messages and photos sent by URL only. The adapter has two halves:

* ``ZaloBridge`` is the Application's transport (a PTB ``BaseRequest``): the handlers call the Bot
  API as on Telegram and the bridge turns each call into Zalo's — an inline keyboard becomes a
  numbered list (remembered per chat), an edit becomes a new message, a long text several, a
  picture a link on this server's /files that Zalo fetches, an Excel file a download link.
* ``ZaloInbound`` turns Zalo's events into Telegram-shaped updates: a typed number (or a button's
  words) that matches the list last shown becomes the callback query that button would have sent;
  an event seen before (Zalo may deliver twice) is dropped.

Ids: PTB wants integers, Zalo gives strings (``"6ede9afa66b88fe6d6a9"``). ``alias_of`` encodes the
string into an integer reversibly — no table maps one to the other, so nothing about a worker who
only ever raised a concern is written anywhere — and ``zalo_id_of`` decodes it for the send.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.channels.local_bot_api import ApiCall
from infra.channel_updates import ChannelUser, NumberedChoices, UpdateFactory
from infra.message_split import split_text

log = logging.getLogger(__name__)

CHANNEL = "zalo"
TEXT_LIMIT = 2000
POLL_SECONDS = 30
RETRY_AFTER_429 = 5  # Zalo publishes no Retry-After; PTB's rate limiter waits this long
REMEMBERED_EVENTS = 10_000
CONVERSATION_GAP = 6 * 3600.0  # seconds without a word from the bot: the next one opens anew


# The low two bits of an alias say how the id was encoded; a leading 1 keeps leading zeros.
_HEX, _DECIMAL, _TEXT = 1, 2, 3
_HEX_DIGITS = frozenset("0123456789abcdef")


def alias_of(zalo_id: str, *, group: bool = False) -> int:
    """Zalo's string id as the integer PTB needs; groups negative, as on Telegram. Compact for
    the ids Zalo uses (hex or decimal: about 25 digits for a 20-character id), so that it fits the
    64 characters of an account's external id."""
    if zalo_id and set(zalo_id) <= _HEX_DIGITS and not zalo_id.isdigit():
        number = int("1" + zalo_id, 16) * 4 + _HEX
    elif zalo_id.isdigit():
        number = int("1" + zalo_id) * 4 + _DECIMAL
    else:
        number = int.from_bytes(b"\x01" + zalo_id.encode("utf-8"), "big") * 4 + _TEXT
    return -number if group else number


def zalo_id_of(alias: int | str) -> str:
    number = abs(int(alias))
    kind, value = number % 4, number // 4
    if kind == _HEX:
        return f"{value:x}"[1:]
    if kind == _DECIMAL:
        return str(value)[1:]
    if kind == _TEXT:
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return raw[1:].decode("utf-8")
    raise ValueError("not a Zalo alias")


def _monotonic_ids() -> itertools.count[int]:
    """Message and update ids that keep increasing across restarts (microseconds since 1970):
    handlers compare them, as Telegram's do per chat."""
    return itertools.count(time.time_ns() // 1000)


class ZaloError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description


class ZaloClient:
    """POST JSON to ``{base}/bot{token}/{method}``; the ``{ok, result, error_code}`` envelope."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 15.0) -> None:
        self._root = f"{base_url.rstrip('/')}/bot{token}"
        self._http = httpx.AsyncClient(timeout=timeout)

    async def call(self, method: str, payload: dict[str, Any] | None = None, **kw: Any) -> Any:
        response = await self._http.post(f"{self._root}/{method}", json=payload or {}, **kw)
        try:
            body = response.json()
        except ValueError:  # a 429 or 5xx may come back as an HTML page
            raise ZaloError(response.status_code, "not JSON") from None
        if not isinstance(body, dict) or not body.get("ok"):
            code = body.get("error_code") if isinstance(body, dict) else None
            described = body.get("description", "") if isinstance(body, dict) else ""
            raise ZaloError(int(code or response.status_code), str(described))
        return body.get("result")

    async def get_update(self, wait: int = POLL_SECONDS) -> list[dict[str, Any]]:
        """One long poll: Zalo answers one event (or, defensively, a list), or 408 for none."""
        try:
            result = await self.call("getUpdates", {"timeout": str(wait)}, timeout=wait + 10)
        except ZaloError as error:
            if error.code == 408:
                return []
            raise
        if isinstance(result, list):
            return [event for event in result if isinstance(event, dict) and event]
        return [result] if isinstance(result, dict) and result.get("event_name") else []

    async def aclose(self) -> None:
        await self._http.aclose()


# Where pictures and files the bot sends are put for Zalo (and the user) to fetch by URL.
FileShelf = Callable[[bytes, str, str], Awaitable[str]]  # (content, name, media type) → URL


@dataclass
class ChatMemory:
    """What the two halves share: the choices last listed in each chat, and which chat a callback
    query came from (its answer, a passing note on Telegram, must be said in that chat)."""

    choices: NumberedChoices = field(default_factory=NumberedChoices)
    callback_chats: OrderedDict[str, int] = field(default_factory=OrderedDict)
    # When the bot last spoke in each chat (monotonic seconds, memory only): a conversation that
    # starts after a pause opens with the automated-system notice.
    spoke: OrderedDict[int, float] = field(default_factory=OrderedDict)

    def opens_conversation(self, chat_id: int, now: float) -> bool:
        """True when the bot has not spoken in this chat for CONVERSATION_GAP (or ever, in this
        process); remembers that it speaks now."""
        last = self.spoke.pop(chat_id, None)
        self.spoke[chat_id] = now
        while len(self.spoke) > REMEMBERED_EVENTS:
            self.spoke.popitem(last=False)
        return last is None or now - last > CONVERSATION_GAP

    def callback_from(self, callback_id: str, chat_id: int) -> None:
        self.callback_chats[callback_id] = chat_id
        while len(self.callback_chats) > REMEMBERED_EVENTS:
            self.callback_chats.popitem(last=False)


@dataclass
class ZaloBridge(BaseRequest):
    """The Zalo Application's transport: Bot API calls in, Zalo calls out."""

    client: ZaloClient
    shelf: FileShelf | None
    memory: ChatMemory = field(default_factory=ChatMemory)
    file_note: str = "📎 {name}: {url}"
    # Zalo's terms: users must be told they talk to an automated system. The first message of
    # every conversation says so (runtime.py passes it in the default language).
    introduction: str = "🤖 This is an automated assistant (a chatbot), not a person."
    clock: Callable[[], float] = time.monotonic
    _ids: itertools.count[int] = field(default_factory=_monotonic_ids)
    _me: dict[str, Any] | None = None

    @property
    def read_timeout(self) -> float | None:
        return 20.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

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
        call = ApiCall(
            url.rsplit("/", 1)[-1], dict(request_data.parameters) if request_data else {}
        )
        if request_data is not None and request_data.contains_files:
            for part, value in request_data.multipart_data.items():
                content = value[1]
                call.files[part] = (
                    str(value[0]),
                    content if isinstance(content, bytes) else content.read(),
                )
        try:
            result = await self._translate(call)
        except ZaloError as error:
            return self._as_telegram_error(error)
        except httpx.TimeoutException as error:
            raise TimedOut(f"Zalo: {type(error).__name__}") from error
        except httpx.HTTPError as error:
            raise NetworkError(f"Zalo: {type(error).__name__}") from error
        return 200, json.dumps({"ok": True, "result": result}).encode()

    @staticmethod
    def _as_telegram_error(error: ZaloError) -> tuple[int, bytes]:
        """So that PTB raises what it would on Telegram: RetryAfter, BadRequest, Forbidden…"""
        status = error.code if error.code in (400, 401, 403, 404, 429) else 502
        body: dict[str, Any] = {
            "ok": False,
            "error_code": status,
            "description": f"Zalo: {error.description or error.code}",
        }
        if status == 429:
            body["parameters"] = {"retry_after": RETRY_AFTER_429}
        return status, json.dumps(body).encode()

    async def _translate(self, call: ApiCall) -> Any:
        method = call.method
        if method == "getMe":
            return await self._get_me()
        if method in {"sendMessage", "editMessageText"}:
            return await self._send_text(call.params.get("chat_id"), call.text, call.buttons)
        if method == "editMessageReplyMarkup":
            buttons = call.buttons
            chat_id = call.params.get("chat_id")
            if buttons:  # new choices under an old message: show them as a new list
                return await self._send_text(chat_id, "", buttons)
            if chat_id is not None:
                self.memory.choices.forget(int(chat_id))
            return True
        if method == "answerCallbackQuery":
            # Telegram shows this as a passing note; a text channel can only say it.
            chat_id = self.memory.callback_chats.pop(
                str(call.params.get("callback_query_id")), None
            )
            if call.text and chat_id is not None:
                await self._send_text(chat_id, "ℹ️ " + call.text, [], keep_choices=True)
            return True
        if method in {"sendPhoto", "sendDocument"}:
            return await self._send_file(call)
        if method == "sendChatAction":
            await self.client.call(
                "sendChatAction",
                {"chat_id": zalo_id_of(call.params["chat_id"]), "action": "typing"},
            )
            return True
        if method in {"getMyCommands", "getUpdates"}:
            return []
        # setMyCommands, deleteMessage, webhooks of Telegram…: nothing on Zalo to do.
        return True

    async def _get_me(self) -> dict[str, Any]:
        if self._me is None:
            me = await self.client.call("getMe")
            name = str(me.get("account_name") or me.get("name") or "zalo_bot")
            self._me = {
                "id": alias_of(str(me.get("id", "0"))),
                "is_bot": True,
                "first_name": name,
                "username": name,
                "can_join_groups": bool(me.get("can_join_groups", False)),
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        return self._me

    def _message(self, chat_id: Any, text: str) -> dict[str, Any]:
        alias = int(chat_id)
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": alias, "type": "private" if alias > 0 else "group"},
            "from": self._me or {"id": 1, "is_bot": True, "first_name": "bot"},
            "text": text,
        }

    async def _send_text(
        self, chat_id: Any, text: str, buttons: list[dict[str, Any]], *, keep_choices: bool = False
    ) -> Any:
        message = self._message(chat_id, text)
        shown = self.memory.choices.shown(
            int(chat_id), message["message_id"], text, buttons, keep=keep_choices
        )
        if self.introduction and self.memory.opens_conversation(int(chat_id), self.clock()):
            shown = f"{self.introduction}\n\n{shown}"
        for part in split_text(shown.strip() or "…", TEXT_LIMIT):
            await self.client.call("sendMessage", {"chat_id": zalo_id_of(chat_id), "text": part})
        return message

    async def _send_file(self, call: ApiCall) -> Any:
        chat_id = call.params["chat_id"]
        caption = str(call.params.get("caption") or "")
        if not call.files:
            # A photo given by URL (not used by the bot today): pass it on.
            photo = str(call.params.get("photo") or "")
            await self.client.call(
                "sendPhoto", {"chat_id": zalo_id_of(chat_id), "photo": photo, "caption": caption}
            )
            return self._message(chat_id, caption)
        name, content = next(iter(call.files.values()))
        if self.shelf is None:
            raise ZaloError(400, "no public address for files (set PUBLIC_BASE_URL)")
        if call.method == "sendPhoto":
            url = await self.shelf(content, name or "chart.png", "image/png")
            first, *rest = split_text(caption, TEXT_LIMIT) if caption else [""]
            payload = {"chat_id": zalo_id_of(chat_id), "photo": url}
            if first:
                payload["caption"] = first
            await self.client.call("sendPhoto", payload)
            for part in rest:
                await self.client.call(
                    "sendMessage", {"chat_id": zalo_id_of(chat_id), "text": part}
                )
            return self._message(chat_id, caption)
        # Zalo has no documents: the file stays on this server and the user gets its link.
        url = await self.shelf(content, name or "file", _media_type(name))
        note = self.file_note.format(name=name, url=url)
        return await self._send_text(chat_id, f"{caption}\n\n{note}".strip(), [])


def _media_type(name: str) -> str:
    if name.endswith(".xlsx"):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if name.endswith(".png"):
        return "image/png"
    return "application/octet-stream"


@dataclass
class ZaloInbound:
    """Zalo events → Telegram-shaped update dicts (``None``: nothing to handle)."""

    memory: ChatMemory
    updates: UpdateFactory = field(
        default_factory=lambda: UpdateFactory(_monotonic_ids(), _monotonic_ids())
    )
    _seen: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def to_update(self, body: dict[str, Any]) -> dict[str, Any] | None:
        event = body.get("result") if body.get("ok") is True and "result" in body else body
        if not isinstance(event, dict) or "event_name" not in event:
            return None
        message = event.get("message") or {}
        sender = message.get("from") or {}
        chat = message.get("chat") or {}
        if sender.get("is_bot") or not sender.get("id"):
            return None
        key = str(message.get("message_id") or "")
        if key:
            if key in self._seen:
                return None  # delivered twice
            self._seen[key] = None
            while len(self._seen) > REMEMBERED_EVENTS:
                self._seen.popitem(last=False)
        group = str(chat.get("chat_type", "PRIVATE")).upper() == "GROUP"
        user = ChannelUser(
            alias_of(str(sender["id"])),
            str(
                sender.get("display_name")
                or sender.get("name")
                or sender.get("first_name")
                or "Zalo"
            ),
        )
        chat_id = alias_of(str(chat.get("id") or sender["id"]), group=group)
        chat_type = "group" if group else "private"
        kind = str(event["event_name"])
        if kind == "message.text.received":
            text = str(message.get("text") or "")
            picked = None if group else self.memory.choices.typed(chat_id, text)
            if picked is not None:
                message_id, button = picked
                if "callback_data" in button:
                    update = self.updates.callback(
                        user, button["callback_data"], message_id=message_id, chat_id=chat_id
                    )
                    self.memory.callback_from(update["callback_query"]["id"], chat_id)
                    return update
            return self.updates.message(user, text, chat_id=chat_id, chat_type=chat_type)
        extra: dict[str, Any]
        if not group:
            self.memory.choices.typed(chat_id, None)  # a photo or a sticker chooses nothing
        if kind == "message.image.received":
            extra = {
                "photo": [
                    {"file_id": key or "ph", "file_unique_id": key or "ph", "width": 1, "height": 1}
                ]
            }
            if message.get("caption"):
                extra["caption"] = str(message["caption"])
        elif kind == "message.sticker.received":
            extra = {
                "sticker": {
                    "file_id": str(message.get("sticker") or "stk"),
                    "file_unique_id": str(message.get("sticker") or "stk"),
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            }
        elif kind == "message.voice.received":
            extra = {
                "voice": {"file_id": key or "vc", "file_unique_id": key or "vc", "duration": 1}
            }
        else:  # message.unsupported.received: a file, a video, a protected sender — no content
            extra = {"document": {"file_id": key or "doc", "file_unique_id": key or "doc"}}
        return self.updates.message(user, None, chat_id=chat_id, chat_type=chat_type, **extra)
