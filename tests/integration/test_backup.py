"""The documented backup and restore (`admin backup` / `admin restore`): a restored database holds
every report, value and change exactly as the original did; a bad backup changes nothing."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot import admin
from bot.app import load_reporting_setup
from infra.settings import Settings
from models import Report, ReportChange, ReportValue, utcnow
from models.db import UnitOfWork, create_engine, make_uow
from models.migrate import upgrade
from services import demo
from testkit.db import admin_execute
from testkit.env import TEST_SECRET, concern_key_env


async def everything_reported(uow: UnitOfWork) -> dict[str, list[tuple[Any, ...]]]:
    async with uow() as session:
        reports = await session.scalars(select(Report).order_by(Report.id))
        values = await session.scalars(select(ReportValue))
        changes = await session.scalars(select(ReportChange))
        return {
            "reports": [
                (
                    r.id,
                    r.reporting_unit_id,
                    r.period,
                    r.submitted_by_person_id,
                    r.submitted_at,
                    r.revision,
                    r.late,
                )
                for r in reports
            ],
            "values": sorted(
                (v.report_id, v.indicator_code, str(v.value), v.note or "") for v in values
            ),
            "changes": sorted(
                (c.report_id, c.indicator_code, str(c.new_value), c.reason) for c in changes
            ),
        }


@pytest.fixture
async def target_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty, migrated database on the same kind of server: where the restore goes."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        target = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
        await asyncio.to_thread(upgrade, target)
        yield target
        return
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump/pg_restore not installed: the PostgreSQL procedure cannot run here")
    name = f"restore_{uuid.uuid4().hex[:12]}"
    server = url.render_as_string(hide_password=False)
    await admin_execute(server, f'CREATE DATABASE "{name}"')
    target = url.set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, target)
        yield target
    finally:
        await admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_admin(monkeypatch: pytest.MonkeyPatch, database_url: str, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("APP_SECRET", TEST_SECRET)
    for name, value in concern_key_env().items():
        monkeypatch.setenv(name, value)
    return admin.main(list(argv))


async def test_a_restored_dump_holds_every_report(
    database_url: str,
    uow: UnitOfWork,
    target_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        app_secret=SecretStr(TEST_SECRET),
    )
    async with uow() as session:
        await demo.seed(session, settings.secret, load_reporting_setup(settings), utcnow())
    original = await everything_reported(uow)
    assert len(original["reports"]) >= 20 and len(original["values"]) >= 100

    dump = tmp_path / "backups" / "bot.dump"
    code = await asyncio.to_thread(
        run_admin, monkeypatch, database_url, "backup", "--out", str(dump)
    )
    assert code == 0 and dump.stat().st_size > 0
    code = await asyncio.to_thread(run_admin, monkeypatch, target_url, "restore", str(dump))
    assert code == 0, capsys.readouterr().err

    engine = create_engine(target_url)
    try:
        restored = await everything_reported(make_uow(engine))
    finally:
        await engine.dispose()
    assert restored == original


async def test_a_missing_or_broken_backup_is_refused_and_changes_nothing(
    target_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = create_engine(target_url)
    uow = make_uow(engine)
    try:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=target_url,
            app_secret=SecretStr(TEST_SECRET),
        )
        async with uow() as session:
            await demo.seed(session, settings.secret, load_reporting_setup(settings), utcnow())
        before = await everything_reported(uow)

        missing = await asyncio.to_thread(
            run_admin, monkeypatch, target_url, "restore", str(tmp_path / "nowhere.dump")
        )
        assert missing == 1 and "no such backup file" in capsys.readouterr().err

        broken = tmp_path / "broken.dump"
        broken.write_bytes(b"PGDMP this is not a whole dump" + bytes(range(256)))
        failed = await asyncio.to_thread(run_admin, monkeypatch, target_url, "restore", str(broken))
        assert failed == 1 and "failed" in capsys.readouterr().err
        assert await everything_reported(uow) == before
    finally:
        await engine.dispose()
