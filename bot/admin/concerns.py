"""Workers' concerns: `posters` (the QR posters), `rotate-concern-keys`, `reseal-concern-push`."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from bot.admin.common import NO_BOT_NAME, bot_name, no_such
from bot.app import load_concern_setup
from bot.posters import concern_link, render_poster, vietnamese_poster_text
from infra.i18n import plural, tr
from infra.settings import Settings
from models.db import UnitOfWork
from services import anonymity, concerns, org_queries
from services.errors import N_, DomainError


def _file_name(code: str) -> str:
    """A poster's file name from an enterprise code that stays inside --out whatever the code
    holds (codes are checked at import since issue #13; older rows may not be)."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", code).strip("_")[:64]
    return f"{name or 'poster'}.png"


async def cmd_posters(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    """One A4 PNG per enterprise: the QR of /start c_<code> and what anonymity means."""
    lang = settings.default_language
    bot = bot_name(settings)
    if bot is None:
        print(tr(lang, NO_BOT_NAME), file=sys.stderr)
        return 1
    config = load_concern_setup(settings).config
    async with uow() as session:
        try:
            rows = await org_queries.list_enterprises(session, under=args.under)
        except DomainError:
            return no_such(lang, args.under)
    if args.enterprise:
        rows = [r for r in rows if r.code == args.enterprise]
        if not rows:
            return no_such(lang, args.enterprise)
    folder = Path(args.out)
    for row in rows:
        small = row.worker_count is None or row.worker_count < config.small_enterprise_workers
        text = vietnamese_poster_text(row.name, row.code, bot, small)
        path = render_poster(text, concern_link(bot, row.code), folder / _file_name(row.code))
        print(f"{row.code}  {path}")
    print(
        plural(
            lang,
            len(rows),
            N_("{n} poster written to {folder}"),
            N_("{n} posters written to {folder}"),
            n=len(rows),
            folder=folder,
        )
    )
    return 0


async def cmd_rotate_concern_keys(
    args: argparse.Namespace, settings: Settings, uow: UnitOfWork
) -> int:
    keys = load_concern_setup(settings).keys
    async with uow() as session:
        rotation = await concerns.rotate_text_keys(session, keys)
    lang = settings.default_language
    changed = rotation.reencrypted
    print(
        plural(
            lang,
            changed,
            N_("{n} text re-encrypted with the current key."),
            N_("{n} texts re-encrypted with the current key."),
            n=changed,
        )
    )
    if not rotation.unreadable:
        return 0
    # Not an error of this command: rows someone moved or altered in the database, or texts
    # whose key is gone. Keep the old keys until these are explained.
    bad = len(rotation.unreadable)
    print(
        plural(
            lang,
            bad,
            N_(
                "{n} text cannot be read with any configured key where it is stored (moved or "
                "altered in the database, or its key was removed); keep the old keys until "
                "you know why:"
            ),
            N_(
                "{n} texts cannot be read with any configured key where they are stored (moved "
                "or altered in the database, or their key was removed); keep the old keys until "
                "you know why:"
            ),
            n=bad,
        ),
        file=sys.stderr,
    )
    for row in rotation.unreadable:
        print(f"  {row}", file=sys.stderr)
    return 1


async def cmd_reseal_concern_push(
    args: argparse.Namespace, settings: Settings, uow: UnitOfWork
) -> int:
    lang = settings.default_language
    # The old key comes from the environment, not the command line, to stay out of shell history.
    old = os.environ.get(args.old_key_env)
    if not old:
        print(
            tr(
                lang, "Set {name} to the old CONCERN_PUSH_PRIVATE_KEY first.", name=args.old_key_env
            ),
            file=sys.stderr,
        )
        return 1
    keys = load_concern_setup(settings).keys
    async with uow() as session:
        changed = await concerns.reseal_push_targets(
            session, keys, anonymity.decode_push_private_key(old)
        )
    print(
        plural(
            lang,
            changed,
            N_("{n} push target sealed to the new key."),
            N_("{n} push targets sealed to the new key."),
            n=changed,
        )
    )
    return 0
