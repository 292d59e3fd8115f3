"""An in-process Bot API: a PTB request object that answers the methods the bot uses itself.

The console channel prints what arrives here; end-to-end tests read ``calls`` (testkit's
``ScriptedBotApi`` adds scripted failures). It never opens a socket, so whatever runs on it
cannot reach the network.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 1000000001, "is_bot": True, "first_name": "Trợ lý Công đoàn"}


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    result: Any = None  # what the stand-in answered (a sent message has its message_id here)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # part → (name, content)

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def chat_id(self) -> str:
        return str(self.params.get("chat_id", ""))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline buttons in reading order."""
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return [button for row in markup.get("inline_keyboard", []) for button in row]


SENDING_METHODS = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "editMessageText",
    "editMessageReplyMarkup",
    "sendChatAction",
}


@dataclass
class LocalBotApi(BaseRequest):
    """Answers Bot API methods in memory. ``on_call`` sees every call as it happens."""

    username: str = "demo_congdoan_bot"
    # Sees every call with the answer it got (a sent message carries its new message_id).
    on_call: Callable[[ApiCall, Any], None] | None = None
    calls: list[ApiCall] = field(default_factory=list)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def sent(self, chat_id: object | None = None) -> list[ApiCall]:
        """Messages the bot sent or edited (optionally to one chat), oldest first."""
        return [
            c
            for c in self.calls
            if c.method in SENDING_METHODS - {"sendChatAction"}
            and (chat_id is None or c.chat_id == str(chat_id))
            and not (isinstance(c.result, dict) and "error" in c.result)
        ]

    def clear(self) -> None:
        self.calls.clear()

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
        call = self._call(url, request_data)
        self.calls.append(call)
        result = call.result = self._answer(call.method, call.params)
        if self.on_call:
            self.on_call(call, result)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    @staticmethod
    def _call(url: str, request_data: RequestData | None) -> ApiCall:
        """The call as recorded: method, parameters and the files it carries."""
        call = ApiCall(
            url.rsplit("/", 1)[-1], dict(request_data.parameters) if request_data else {}
        )
        if request_data is not None and request_data.contains_files:
            for part, value in request_data.multipart_data.items():
                name, content = str(value[0]), value[1]
                data = content if isinstance(content, bytes) else content.read()
                call.files[part] = (name, data)
        return call

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                **BOT_USER,
                "username": self.username,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method in {
            "sendMessage",
            "sendPhoto",
            "sendDocument",
            "editMessageText",
            "editMessageReplyMarkup",
        }:
            return self._message(params)
        if method == "getUpdates":
            return []
        if method in {
            "answerCallbackQuery",
            "setMyCommands",
            "deleteMyCommands",
            "deleteWebhook",
            "setWebhook",
            "sendChatAction",
            "setChatMenuButton",
            "deleteMessage",
            "close",
            "logOut",
        }:
            return True
        if method == "getMyCommands":
            return []
        raise NotImplementedError(f"LocalBotApi does not implement {method}")

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id", 0)
        message: dict[str, Any] = {
            "message_id": params.get("message_id") or next(self._message_ids),
            "date": int(time.time()),
            "chat": {
                "id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else 0,
                "type": "private",
            },
            "from": BOT_USER,
        }
        if "text" in params:
            message["text"] = params["text"]
        if "caption" in params:
            message["caption"] = params["caption"]
        if params.get("reply_markup"):
            markup = params["reply_markup"]
            message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        return message
