"""Fixtures of the integration tests: a database separate from the shared one, the admin CLI."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot import admin
from testkit.db import admin_execute
from testkit.digest_world import setup, targets  # noqa: F401  (fixtures of the digest tests)
from testkit.env import TEST_SECRET, concern_key_env


@pytest.fixture
def fresh_url(tmp_path: Path, database_url: str) -> Iterator[str]:
    """An empty database of the backend under test, separate from the shared one."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"bot_mig_{uuid.uuid4().hex[:10]}"
    server = make_url(database_url).set(database="test").render_as_string(hide_password=False)
    asyncio.run(admin_execute(server, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("APP_SECRET", TEST_SECRET)
    monkeypatch.setenv("BOT_USERNAME", "congdoan_test_bot")
    for name, value in concern_key_env().items():
        monkeypatch.setenv(name, value)
    return tmp_path


async def cli(*argv: str) -> int:
    # The CLI runs its own event loop, as it does from a shell.
    return await asyncio.to_thread(admin.main, list(argv))
