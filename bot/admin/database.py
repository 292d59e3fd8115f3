"""The database itself: `health`, `backup`, `restore` (`migrate` is the dispatcher's own)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infra.settings import Settings
from models.db import UnitOfWork, create_engine
from models.migrate import current_revision, head_revision, upgrade


async def cmd_health(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    engine = create_engine(settings.database_url)
    try:
        current = await current_revision(engine)
    except Exception as error:  # any failure to reach the database is "unhealthy"
        print(f"unhealthy: database unreachable ({type(error).__name__})", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    if current != head_revision():
        print(f"unhealthy: schema at {current}, code expects {head_revision()}", file=sys.stderr)
        return 1
    print("ok")
    return 0


def backup_or_restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.backup import BackupError, backup, restore

    try:
        if args.command == "backup":
            backup(settings.database_url, Path(args.out))
            print(f"backup written: {args.out}")
            return 0
        restore(settings.database_url, Path(args.file))
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    upgrade(settings.database_url)  # a backup from older code: bring it to this schema
    print(f"restored from {args.file}; schema current")
    return 0
