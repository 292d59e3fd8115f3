"""Build Telegram-shaped updates for text channels (console, tests, later Zalo).

Text-only channels have no buttons: an inline keyboard is shown as a numbered list, and a typed
number (or the button's exact text) comes back as the callback query that button would have sent.
"""

from __future__ import annotations

import itertools
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ChannelUser:
    user_id: int
    first_name: str
    last_name: str = ""
    username: str | None = None
    language_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


# Buttons shown next to a question that takes a typed answer (e.g. "keep last month's value"
# beside "type a number") carry this mark at the start of their callback data. Text channels list
# them as bullets chosen by their leading words, never by number, so that typing "2" answers 2.
SHORTCUT_MARK = "!"


def is_shortcut(button: dict[str, Any]) -> bool:
    return str(button.get("callback_data", "")).startswith(SHORTCUT_MARK)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def _bare(text: str) -> str:
    """Lower case, no diacritics, no leading symbols: "◀ Quay lại" → "quay lai"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(plain.split()).lstrip("^!#*•-–—◀▶⏸✅✏️✖❌ ").strip()


def _leading_words_match(typed: str, label: str) -> bool:
    typed_bare, label_bare = _bare(typed), _bare(label)
    if len(typed_bare) < 2 or not label_bare.startswith(typed_bare):
        return False
    rest = label_bare[len(typed_bare) :]
    return not rest or not rest[0].isalnum()


@dataclass
class UpdateFactory:
    """Makes update dicts (``Update.de_json`` turns them into PTB objects)."""

    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_000_000))

    def message(
        self,
        user: ChannelUser,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        **extra: Any,
    ) -> dict[str, Any]:
        chat: dict[str, Any] = {
            "id": chat_id if chat_id is not None else user.user_id,
            "type": chat_type,
        }
        if chat_type == "private":
            chat["first_name"] = user.first_name
        else:
            chat["title"] = "Nhóm chat"
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user.as_dict(),
            **extra,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"update_id": next(self._update_ids), "message": message}

    def callback(
        self, user: ChannelUser, data: str, *, message_id: int = 1, chat_id: int | None = None
    ) -> dict[str, Any]:
        chat_id = chat_id if chat_id is not None else user.user_id
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._message_ids)),
                "from": user.as_dict(),
                "chat_instance": str(chat_id),
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                    "from": {"id": 1000000001, "is_bot": True, "first_name": "bot"},
                    "text": "…",
                },
            },
        }

    def edited(self, user: ChannelUser, text: str) -> dict[str, Any]:
        """The user edits an earlier message of theirs."""
        data = self.message(user, text)
        message = data.pop("message")
        message["edit_date"] = message["date"]
        return {**data, "edited_message": message}

    def forwarded(self, user: ChannelUser, text: str) -> dict[str, Any]:
        """A message forwarded from someone else: it carries their origin."""
        origin = {
            "type": "user",
            "date": int(time.time()),
            "sender_user": {"id": 777, "is_bot": False, "first_name": "Người khác"},
        }
        return self.message(user, text, forward_origin=origin)

    # Non-text messages, as a phone would send them.
    def sticker(self, user: ChannelUser) -> dict[str, Any]:
        return self.message(
            user,
            sticker={
                "file_id": "stk",
                "file_unique_id": "stk",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            },
        )

    def photo(self, user: ChannelUser) -> dict[str, Any]:
        return self.message(
            user, photo=[{"file_id": "ph", "file_unique_id": "ph", "width": 90, "height": 90}]
        )

    def voice(self, user: ChannelUser) -> dict[str, Any]:
        return self.message(user, voice={"file_id": "vc", "file_unique_id": "vc", "duration": 3})

    def location(self, user: ChannelUser) -> dict[str, Any]:
        return self.message(user, location={"latitude": 21.27, "longitude": 106.19})


@dataclass
class NumberedChoices:
    """The buttons last shown in a chat, so that typing "2" presses the second one.

    A list lives until the bot moves on (a message with other buttons, or one without any), but
    not past a mistake: when a typed line chooses none of the numbered choices (a number out of
    range, a word), the bot's answer to it (a hint, an error) keeps the list and shows it again
    under it, so that the next number typed still chooses. Otherwise one wrong number left the
    user with a dead list and every later number refused.
    """

    by_chat: dict[int, tuple[int, list[dict[str, Any]]]] = field(default_factory=dict)
    # Chats whose last typed line missed the numbered choices shown: the next message the bot
    # sends there without buttons answers that line.
    missed: set[int] = field(default_factory=set)

    def remember(self, chat_id: int, message_id: int, buttons: list[dict[str, Any]]) -> None:
        if buttons:
            self.by_chat[chat_id] = (message_id, buttons)
            self.missed.discard(chat_id)

    def forget(self, chat_id: int) -> None:
        self.by_chat.pop(chat_id, None)
        self.missed.discard(chat_id)

    def has_numbered(self, chat_id: int) -> bool:
        _, buttons = self.by_chat.get(chat_id, (0, []))
        return any(not is_shortcut(b) for b in buttons)

    def match(self, chat_id: int, typed: str) -> tuple[int, dict[str, Any]] | None:
        """The (message id, button) that ``typed`` selects, by number or by its text."""
        if chat_id not in self.by_chat:
            return None
        message_id, buttons = self.by_chat[chat_id]
        numbered = [b for b in buttons if not is_shortcut(b)]
        typed_folded = _fold(typed)
        if typed_folded.isdigit() and 1 <= int(typed_folded) <= len(numbered):
            return message_id, numbered[int(typed_folded) - 1]
        for button in buttons:
            if _fold(str(button.get("text", ""))) == typed_folded:
                return message_id, button
        for button in buttons:
            if is_shortcut(button) and _leading_words_match(typed, str(button.get("text", ""))):
                return message_id, button
        return None

    def typed(self, chat_id: int, text: str | None) -> tuple[int, dict[str, Any]] | None:
        """What the user sent (``None``: a sticker, a photo…): the (message id, button) it
        chooses, or None when it goes to the bot as a message. A command starts something new;
        anything else that chooses nothing while numbered choices are shown is a miss."""
        self.missed.discard(chat_id)
        if text is not None and text.startswith("/"):
            return None
        picked = None if text is None else self.match(chat_id, text)
        if picked is None and self.has_numbered(chat_id):
            self.missed.add(chat_id)
        return picked

    def settled(self, chat_id: int) -> None:
        """The bot has answered the last line: a later message is no answer to a miss."""
        self.missed.discard(chat_id)

    def shown(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        buttons: list[dict[str, Any]],
        *,
        keep: bool = False,
    ) -> str:
        """A message the bot sends to this chat, as a text channel shows it (buttons as a
        numbered list, remembered). Without buttons it ends the list shown before, unless
        ``keep`` (a passing note) or it answers a miss: then the list stays, shown again."""
        if buttons:
            self.remember(chat_id, message_id, buttons)
            return render_numbered(text, buttons)
        if keep:
            return text
        if chat_id in self.missed and chat_id in self.by_chat:
            self.missed.discard(chat_id)
            return render_numbered(text, self.by_chat[chat_id][1])
        self.forget(chat_id)
        return text


def render_numbered(text: str, buttons: list[dict[str, Any]]) -> str:
    if not buttons:
        return text
    lines = [text, ""]
    numbered = [b for b in buttons if not is_shortcut(b)]
    for number, button in enumerate(numbered, start=1):
        target = f" → {button['url']}" if "url" in button else ""
        lines.append(f"  {number}. {button.get('text', '')}{target}")
    lines.extend(f"  • {b.get('text', '')}" for b in buttons if is_shortcut(b))
    return "\n".join(lines)
