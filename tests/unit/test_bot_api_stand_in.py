"""The Bot API stand-in's options for benchmarks (a network delay, keep-alive) and Telegram's flood
limits as it answers them (testkit/bot_api.FloodLimits)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from testkit.bot_api import Fault, FloodLimits, StandIn


def call(client: httpx.Client, api: StandIn, method: str, **params: Any) -> httpx.Response:
    return client.post(f"{api.url}/bot{api.token}/{method}", data=params)


def test_the_delay_holds_every_call_but_get_updates() -> None:
    delay = 0.5
    with StandIn(delay=delay) as api, httpx.Client() as client:
        started = time.monotonic()
        answer = call(client, api, "sendMessage", chat_id=7, text="hello")
        took = time.monotonic() - started
        assert answer.json()["ok"] and took >= delay
        # The message reaches the chat when the delay is over, as over the network.
        assert api.chat(7)[0].at - started >= delay

        api.push({"update_id": 1, "message": {"message_id": 1, "text": "hi"}})
        started = time.monotonic()
        updates = call(client, api, "getUpdates", offset=0, timeout=0).json()["result"]
        assert [u["update_id"] for u in updates] == [1]
        assert time.monotonic() - started < delay


def connections(api: StandIn) -> list[Any]:
    """The client addresses of the connections the stand-in accepts from now on."""
    server = api.server
    assert server is not None
    accepted: list[Any] = []
    accept = server.get_request

    def counted() -> Any:
        request = accept()
        accepted.append(request[1])
        return request

    server.get_request = counted  # type: ignore[method-assign]
    return accepted


def test_keep_alive_serves_calls_on_one_connection() -> None:
    with StandIn(keep_alive=True) as api, httpx.Client() as client:
        accepted = connections(api)
        first = call(client, api, "sendMessage", chat_id=7, text="a")
        second = call(client, api, "sendMessage", chat_id=7, text="b")
    assert first.http_version == "HTTP/1.1" and first.json()["ok"] and second.json()["ok"]
    assert len(accepted) == 1
    # Without it (the default), HTTP/1.0: a connection per call.
    with StandIn() as api, httpx.Client() as client:
        accepted = connections(api)
        first = call(client, api, "sendMessage", chat_id=7, text="a")
        second = call(client, api, "sendMessage", chat_id=7, text="b")
    assert first.http_version == "HTTP/1.0" and second.json()["ok"]
    assert len(accepted) == 2


def test_a_chat_gets_its_burst_then_429() -> None:
    limits = FloodLimits(bot_rate=30, chat_rate=1, chat_burst=3)
    to_chat = {"chat_id": "7", "text": "x"}
    assert [limits("sendMessage", to_chat) for _ in range(3)] == [None, None, None]
    assert limits("editMessageText", to_chat) == Fault("429", 1)
    # Other chats, and calls to no chat, are not held back by it.
    assert limits("sendMessage", {"chat_id": "8", "text": "x"}) is None
    assert limits("answerCallbackQuery", {"callback_query_id": "1"}) is None
    assert (limits.refused_by_chat, limits.refused_by_bot) == (1, 0)


def test_the_bot_gets_its_rate_then_429_and_a_refusal_takes_nothing() -> None:
    limits = FloodLimits(bot_rate=30, chat_rate=1, chat_burst=1)
    passed = [limits("sendMessage", {"chat_id": str(c)}) is None for c in range(31)]
    assert passed == [True] * 30 + [False]
    assert (limits.refused_by_chat, limits.refused_by_bot) == (0, 1)
    # Chat 30 was refused by the bot's bucket: its own token is still there a second later.
    time.sleep(1.1)
    assert limits("sendMessage", {"chat_id": "30"}) is None


def test_the_stand_in_answers_a_refusal_as_telegram_does() -> None:
    with StandIn(fault=FloodLimits(chat_rate=1, chat_burst=1)) as api, httpx.Client() as client:
        assert call(client, api, "sendMessage", chat_id=7, text="a").status_code == 200
        refused = call(client, api, "sendMessage", chat_id=7, text="b")
    assert refused.status_code == 429
    assert refused.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert [sent.text for sent in api.chat(7)] == ["a"]
    assert api.injected["429"] == 1


def test_a_chat_menu_is_picked_as_telegram_picks_it() -> None:
    """The chat's scope in the user's language, the chat's scope, the default in the language,
    the default; deleteMyCommands removes a scope (the menus of issue 16)."""
    with StandIn() as api, httpx.Client() as client:
        commands = '[{"command": "start", "description": "Bắt đầu"}]'
        call(client, api, "setMyCommands", commands=commands)
        english = '[{"command": "help", "description": "Help"}]'
        call(client, api, "setMyCommands", commands=english, language_code="en")
        assert api.menu(7) == ["start"] and api.menu(7, "en") == ["help"]
        scope = '{"type": "chat", "chat_id": 7}'
        mine = '[{"command": "baocao", "description": "Báo cáo"}]'
        call(client, api, "setMyCommands", commands=mine, scope=scope)
        assert api.menu(7) == ["baocao"] and api.menu(7, "en") == ["baocao"]
        assert api.menu(8) == ["start"]  # another chat keeps the default
        call(client, api, "deleteMyCommands", scope=scope)
        assert api.menu(7) == ["start"] and api.menu(7, "en") == ["help"]
