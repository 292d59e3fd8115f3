"""Zalo's events become Telegram-shaped updates, and back: ids, kinds, choices, duplicates."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot

from bot.channels.zalo import ChatMemory, ZaloBridge, ZaloInbound, alias_of, zalo_id_of
from testkit.zalo import image_update, sticker_update, text_update, unsupported_update


@pytest.mark.parametrize(
    "zalo_id", ["6ede9afa66b88fe6d6a9", "00ab", "0012", "1459232241454765289", "é", "A-b_c"]
)
def test_ids_round_trip_and_groups_are_negative(zalo_id: str) -> None:
    assert zalo_id_of(alias_of(zalo_id)) == zalo_id
    assert zalo_id_of(str(alias_of(zalo_id))) == zalo_id  # as stored in the database
    assert alias_of(zalo_id, group=True) == -alias_of(zalo_id)
    assert alias_of(zalo_id) != alias_of(zalo_id + "0")


def test_aliases_fit_an_account_id_and_a_non_alias_is_refused() -> None:
    assert len(str(alias_of("6ede9afa66b88fe6d6a9"))) <= 30
    assert len(str(alias_of("1459232241454765289"))) <= 30
    assert len(str(alias_of("f" * 40))) <= 64
    with pytest.raises(ValueError):
        zalo_id_of(4 * 31337)  # no encoding ends in 00


def test_event_kinds_become_the_messages_handlers_know() -> None:
    inbound = ZaloInbound(ChatMemory())
    text = inbound.to_update(text_update("u1", "/start ABCD-EFGH", name="Lan"))
    assert text is not None
    message = text["message"]
    assert message["text"] == "/start ABCD-EFGH"
    assert message["entities"][0]["type"] == "bot_command"
    assert message["from"]["id"] == alias_of("u1") and message["from"]["first_name"] == "Lan"
    assert message["chat"] == {"id": alias_of("u1"), "type": "private", "first_name": "Lan"}

    photo = inbound.to_update(image_update("u1", "https://x/p.jpg", caption="ảnh"))
    assert photo is not None and "photo" in photo["message"]
    assert photo["message"]["caption"] == "ảnh"
    sticker = inbound.to_update(sticker_update("u1"))
    assert sticker is not None and "sticker" in sticker["message"]
    other = inbound.to_update(unsupported_update("u1"))
    assert other is not None and "document" in other["message"]
    assert inbound.to_update({"event_name": "webhook.test"}) is None  # no message, no user
    assert inbound.to_update({"ok": True}) is None


def test_update_ids_increase_and_duplicates_are_dropped() -> None:
    inbound = ZaloInbound(ChatMemory())
    event = text_update("u1", "xin chào")
    first = inbound.to_update(event)
    assert first is not None
    assert inbound.to_update(event) is None
    assert inbound.to_update({"ok": True, "result": event}) is None  # wrapped: the same event
    second = inbound.to_update(text_update("u1", "xin chào"))
    assert second is not None and second["update_id"] > first["update_id"]


def test_a_typed_number_presses_the_button_listed_last_in_that_chat() -> None:
    memory = ChatMemory()
    chat = alias_of("u1")
    memory.choices.remember(
        chat,
        77,
        [
            {"text": "✅ Gửi báo cáo", "callback_data": "rpt:v1:send:5:9"},
            {"text": "✖ Hủy", "callback_data": "rpt:v1:cancel:5:9"},
        ],
    )
    inbound = ZaloInbound(memory)
    pressed = inbound.to_update(text_update("u1", "2"))
    assert pressed is not None
    query = pressed["callback_query"]
    assert query["data"] == "rpt:v1:cancel:5:9" and query["message"]["message_id"] == 77
    assert memory.callback_chats[query["id"]] == chat  # its answer is said in this chat
    by_words = inbound.to_update(text_update("u1", "✅ gửi báo cáo"))
    assert by_words is not None and by_words["callback_query"]["data"] == "rpt:v1:send:5:9"
    # Another chat's list does not apply; a command is never a choice.
    assert "message" in (inbound.to_update(text_update("u2", "2")) or {})
    assert "message" in (inbound.to_update(text_update("u1", "/help")) or {})


def test_group_messages_stay_group_messages() -> None:
    inbound = ZaloInbound(ChatMemory())
    update = inbound.to_update(text_update("u1", "chào", chat_type="GROUP", chat_id="g1"))
    assert update is not None
    assert update["message"]["chat"]["type"] == "group"
    assert update["message"]["chat"]["id"] == -alias_of("g1")


async def test_no_call_to_zalo_carries_a_reply_to_parameter() -> None:
    """The official SDK has reply_to_message_id (from python-telegram-bot); Zalo's documentation
    does not, so the bridge never sends it, whatever the handlers ask for."""
    sent: list[tuple[str, dict[str, Any]]] = []

    class RecordingClient:
        async def call(self, method: str, payload: dict[str, Any] | None = None) -> Any:
            sent.append((method, dict(payload or {})))
            return {"id": "42", "account_name": "bot", "message_id": "m1"}

    bridge = ZaloBridge(RecordingClient(), None)  # type: ignore[arg-type]
    bot = Bot("0:local", request=bridge, get_updates_request=bridge)
    async with bot:
        chat = alias_of("8a1b2c3d4e5f")
        await bot.send_message(chat, "Câu 1/9", reply_to_message_id=7)
        await bot.send_message(chat, "Câu 2/9", reply_parameters={"message_id": 8})
    assert [m for m, _ in sent if m == "sendMessage"] == ["sendMessage", "sendMessage"]
    for _, payload in sent:
        assert not {"reply_to_message_id", "reply_parameters"} & set(payload)


async def test_every_conversation_on_zalo_opens_saying_it_is_automated() -> None:
    """Zalo's terms: users are told they talk to an automated system, in the first message of a
    conversation — again after six hours of silence, not on every message."""
    sent: list[str] = []

    class RecordingClient:
        async def call(self, method: str, payload: dict[str, Any] | None = None) -> Any:
            if method == "sendMessage":
                sent.append(str((payload or {})["text"]))
            return {"id": "42", "account_name": "bot", "message_id": "m1"}

    now = [1000.0]
    bridge = ZaloBridge(
        RecordingClient(),  # type: ignore[arg-type]
        None,
        introduction="🤖 Đây là trợ lý tự động",
        clock=lambda: now[0],
    )
    bot = Bot("0:local", request=bridge, get_updates_request=bridge)
    lan, minh = alias_of("8a1b2c3d4e5f"), alias_of("77aa88bb99cc")
    async with bot:
        await bot.send_message(lan, "Câu 1/9")
        await bot.send_message(lan, "Câu 2/9")
        await bot.send_message(minh, "Chào anh")
        now[0] += 6 * 3600 + 1
        await bot.send_message(lan, "Nhắc báo cáo tháng 11")
    assert sent[0].startswith("🤖 Đây là trợ lý tự động") and sent[0].endswith("Câu 1/9")
    assert sent[1] == "Câu 2/9"
    assert sent[2].startswith("🤖")  # another chat: its own conversation
    assert sent[3].startswith("🤖") and "Nhắc báo cáo" in sent[3]
