"""Secrets for a test bot: the app secret the tests sign with, and fresh concern keys."""

from __future__ import annotations

TEST_SECRET = "test-secret-Zq8mK2vN5pL9wR3tY7uE1iO4aS6dF0gH"


def concern_key_env() -> dict[str, str]:
    """Fresh concern keys as environment variables (Telegram mode refuses to start without)."""
    from services.anonymity import new_key_lines

    return dict(line.split("=", 1) for line in new_key_lines())
