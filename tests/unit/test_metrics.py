"""Metrics count what the Bot API answered and what users sent, with a closed set of labels."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from telegram import Bot, Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.request import BaseRequest

from infra.channel_updates import ChannelUser, UpdateFactory
from infra.metrics import InstrumentedRequest, Metrics, update_kind
from testkit.bot_api import ScriptedBotApi


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


class Unreachable(BaseRequest):
    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        raise NetworkError("connection refused")


async def test_sends_429s_server_errors_and_network_failures_are_counted() -> None:
    metrics = Metrics()
    api = ScriptedBotApi(username="t_bot")
    api.failures["7"] = [
        (429, "Too Many Requests: retry after 3", {"retry_after": 3}),
        (502, "Bad Gateway", {}),
    ]
    bot = Bot("0:local", request=InstrumentedRequest(api, metrics))
    await bot.initialize()
    with pytest.raises(RetryAfter):
        await bot.send_message(7, "một")
    with pytest.raises(TelegramError):
        await bot.send_message(7, "hai")
    await bot.send_message(7, "ba")
    await bot.send_message(8, "bốn")
    await bot.get_me()

    broken = Bot("0:local", request=InstrumentedRequest(Unreachable(), metrics))
    with pytest.raises(NetworkError):
        await broken.send_message(7, "năm")

    found = samples(metrics)
    assert found[("bot_messages_sent_total", (("method", "sendMessage"),))] == 2
    assert found[("bot_api_throttled_total", ())] == 1
    assert found[("bot_api_failures_total", (("kind", "server"),))] == 1
    assert found[("bot_api_failures_total", (("kind", "network"),))] == 1
    assert ("bot_messages_sent_total", (("method", "getMe"),)) not in found


@pytest.mark.parametrize(
    ("build", "kind"),
    [
        (lambda f, u: f.message(u, "/baocao"), "command"),
        (lambda f, u: f.message(u, "1.500"), "text"),
        (lambda f, u: f.callback(u, "r:1"), "callback"),
        (lambda f, u: f.message(u, "chào", chat_id=-100, chat_type="group"), "group"),
    ],
)
def test_update_kinds_are_a_closed_set(build: Any, kind: str) -> None:
    factory, user = UpdateFactory(), ChannelUser(user_id=5, first_name="Lan")
    update = Update.de_json(build(factory, user), Bot("0:local", request=ScriptedBotApi()))
    assert update_kind(update) == kind
