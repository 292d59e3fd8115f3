"""A failing handler: the user gets an apology, the log gets the error but not the update."""

from __future__ import annotations

import pytest

from infra.channel_updates import ChannelUser
from services import access
from testkit.chat import Chat


async def test_unexpected_failure_apologises_and_logs_no_identity(
    chat: Chat,
    lan: ChannelUser,
    monkeypatch: pytest.MonkeyPatch,
    app_logging: pytest.LogCaptureFixture,
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(access, "identify", broken)
    errors = chat.app.bot_data.metrics.errors.labels("update")
    assert errors._value.get() == 0
    answer = await chat.send(lan, "/help")
    assert "hệ thống vừa gặp sự cố" in answer
    assert errors._value.get() == 1  # bot_errors_total{where="update"}
    logged = "\n".join(record.getMessage() + str(record.exc_info) for record in app_logging.records)
    assert "RuntimeError" in logged and "help_command" in logged  # what and where are logged…
    assert "database on fire" not in logged  # …not the message (it may carry a row's values)
    for identifying in (str(lan.user_id), lan.first_name, lan.last_name, str(lan.username)):
        assert identifying not in logged  # …but nothing that identifies the user
