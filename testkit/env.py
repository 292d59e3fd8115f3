"""Secrets for a test bot: the app secret the tests sign with, fresh concern keys, and the
settings of a bot that a test, a benchmark or a fault script starts."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from infra.settings import Settings

TEST_SECRET = "test-secret-Zq8mK2vN5pL9wR3tY7uE1iO4aS6dF0gH"


def concern_key_env() -> dict[str, str]:
    """Fresh concern keys as environment variables (Telegram mode refuses to start without)."""
    from services.anonymity import new_key_lines

    return dict(line.split("=", 1) for line in new_key_lines())


def bot_settings(database_url: str, secret: str = TEST_SECRET, **values: Any) -> Settings:
    """Settings from no .env file and no environment of the machine's: ``database_url``, the app
    secret, fresh concern keys (the bot refuses to start without them, as in production) and
    ``values`` (bot_username=…, scheduler_enabled=…)."""
    keys = {name.lower(): value for name, value in concern_key_env().items()}
    return Settings(
        _env_file=None,
        database_url=database_url,
        app_secret=SecretStr(secret),
        **{**keys, **values},
    )
