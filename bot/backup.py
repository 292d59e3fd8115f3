"""Backup and restore of the whole database (`python3 run.py admin backup|restore`).

PostgreSQL: pg_dump's custom format and pg_restore, the tools the server ships (same major
version as the server or newer). SQLite: the sqlite3 online-backup API, safe while the bot runs.
A restore replaces everything in the target database and then migrates it to this code's schema;
stop the bot instances first.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """One line for the operator."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection flags and environment for pg_dump/pg_restore (the password never on argv)."""
    flags = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        flags += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return flags, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client (Debian: postgresql-client), or "
            f"run it in the database container (docker compose exec db {name} …; see "
            "docs/operations.md)"
        )
    return found


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise BackupError(f"{Path(command[0]).name} failed: {last}")


def backup(database_url: str, target: Path) -> None:
    url = make_url(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        try:
            with sqlite3.connect(_sqlite_path(url)) as source, sqlite3.connect(target) as copy:
                source.backup(copy)
        except sqlite3.Error as error:
            raise BackupError(f"SQLite backup failed: {error}") from None
        return
    flags, env = _libpq(url)
    _run(
        [
            _tool("pg_dump"),
            *flags,
            "--format=custom",
            "--no-owner",
            "--file",
            str(target),
            "--dbname",
            str(url.database),
        ],
        env,
    )


def restore(database_url: str, source: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no such backup file: {source}")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # The copy is checked before it replaces anything: backup() would write page by page.
            with sqlite3.connect(source) as dump:
                if dump.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                    raise BackupError(f"SQLite restore failed: {source} is damaged")
                with sqlite3.connect(path) as live:
                    dump.backup(live)
        except sqlite3.Error as error:
            raise BackupError(f"SQLite restore failed: {error}") from None
        return
    flags, env = _libpq(url)
    # --clean --if-exists: the target may already hold a schema (a migrated, empty database);
    # one transaction: a failed restore leaves the database as it was.
    _run(
        [
            _tool("pg_restore"),
            *flags,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
            str(url.database),
            str(source),
        ],
        env,
    )
