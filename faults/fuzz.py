"""Update fuzzer: random updates into every conversation state of the real Application.

    python -m faults fuzz [--quick] [--size=N] [--seed=S] [--backend=sqlite|postgresql|both]
                          [--database-url=URL]

The issue: "at least 10,000 generated updates (hypothesis: random text, commands, callback data,
message kinds, edited messages, unknown users, group chats) into every conversation state: no
unhandled exception, every reply a valid message."

How: a scratch database (a temporary SQLite file by default; with ``--backend postgresql`` or
``--database-url`` a PostgreSQL server on which a database ``fuzz_<random>`` is created and
dropped) gets the demo province (``services.demo.seed``), moved to the Telegram channel, plus a
second officer of the demo officer's union. The real Application runs in-process on
``LocalBotApi`` (no network), on a fixed clock (20/11/2026, when November is open for reporting).

Hypothesis draws bursts of abstract updates (``Spec``): random and Vietnamese text, emoji,
zero-width characters, numbers in many notations, text longer than 4,096 characters, invite-like
and receipt-like codes, every command of the bot (``/start`` with invite codes and ``c_<code>``
payloads), callback data (replayed and mutated from the buttons the bot really sent, built from
the known prefixes, or random up to 64 bytes), stickers, photos, voice notes, videos, documents,
locations, contacts, forwarded and edited messages, group, supergroup and channel posts, callback
queries from inline messages (no chat), unknown users and membership changes. The draw is
deterministic for a seed (``--seed``, default 6).

For each state in ``STATES`` in turn the harness leaves every conversation of the state's user
(``/cancel``), drives the user into the state with ordinary updates and checks that the
ConversationHandler holds it there, then fires the next burst: most updates from that user, the
others from the demo people and strangers. Replies are checked as they happen:

* unhandled: an exception that reached the error handler (``handler failed: <Type> at <where>``),
  any other ERROR log record, or one that escaped ``process_update``;
* invalid: a Bot API call Telegram would refuse (empty or over-long text, a button without text
  or with callback data over 64 bytes, a missing chat id, an unknown method or parse mode) or one
  that should not be there (anything in a group except the "message me privately" answer,
  anything to a channel);
* lost: a private message that got no answer at all, a callback query never answered (the
  button's spinner stays);
* duplicated: a callback query answered twice (Telegram refuses the second), or one update
  answered twice with the same text in the same chat.

Exit status 1 when any of the four is above zero. ``--quick`` (CI) fires 1,500 updates;
the default is 10,000.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy.engine import make_url

from infra.settings import Settings
from models.db import UnitOfWork, create_engine, make_uow
from models.migrate import upgrade
from testkit.db import each_backend, fresh_database, postgres_server_url
from testkit.env import bot_settings
from testkit.fuzz import BOT_USERNAME, DEFAULT_SEED, FULL_SIZE, QUICK_SIZE, STATES, Findings, run
from testkit.script import script_parser


@contextmanager
def scratch_database(server_url: str | None) -> Iterator[str]:
    """A migrated, empty database: a temporary SQLite file (or the SQLite file given), or
    ``fuzz_<random>`` created on the PostgreSQL server given and dropped afterwards."""
    if server_url is not None and make_url(server_url).get_backend_name() == "sqlite":
        upgrade(server_url)
        yield server_url
        return
    backend = "sqlite" if server_url is None else "postgresql"
    with fresh_database(backend, "fuzz", server_url) as url:
        yield url


@asynccontextmanager
async def database(url: str) -> AsyncIterator[UnitOfWork]:
    engine = create_engine(url)
    try:
        yield make_uow(engine)
    finally:
        await engine.dispose()


def fuzz_settings(database_url: str) -> Settings:
    return bot_settings(
        database_url,
        "fuzz-secret-" + os.urandom(24).hex(),
        bot_username=BOT_USERNAME,
        scheduler_enabled=False,  # the notice batch is run by hand
    )


def main(argv: list[str]) -> int:
    parser = script_parser(
        __doc__, prog="python -m faults fuzz", backend="sqlite", quick=f"{QUICK_SIZE} updates (CI)"
    )
    parser.add_argument("--size", type=int, help=f"updates to fire (default {FULL_SIZE})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--database-url", help="PostgreSQL server (a scratch database is made); wins over --backend"
    )
    args = parser.parse_args(argv)
    size = args.size or (QUICK_SIZE if args.quick else FULL_SIZE)
    print(f"fuzz: {size} updates into {len(STATES)} states", flush=True)
    servers = (
        [args.database_url]
        if args.database_url
        else (None if b == "sqlite" else postgres_server_url() for b in each_backend(args.backend))
    )
    failed = False
    for server_url in servers:
        with scratch_database(server_url) as url:
            print(f"database: {make_url(url).get_backend_name()}", flush=True)

            async def go(url: str = url) -> Findings:
                async with database(url) as uow:
                    return await run(fuzz_settings(url), uow, size=size, seed=args.seed)

            findings = asyncio.run(go())
        findings.report()
        failed = failed or bool(findings.failures)
    print("fuzz:", "FAILED" if failed else "passed", flush=True)
    return 1 if failed else 0
