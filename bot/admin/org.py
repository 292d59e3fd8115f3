"""The organisation: `import-org`, `list-units`, `list-nodes`, `seed-demo`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.admin.common import actor, kind_name, no_such
from bot.app import load_reporting_setup
from infra.i18n import plural, tr
from infra.settings import Settings
from models import utcnow
from models.db import UnitOfWork
from services import demo, org_queries
from services.errors import N_, DomainError
from services.office.people import NODE_KIND_NAMES, ROLE_NAMES, UNIT_KIND_NAMES
from services.org_import import OrgImportError, import_org_tree
from services.periods import Period


async def cmd_import(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    async with uow() as session:
        try:
            result = await import_org_tree(
                session,
                Path(args.file),
                actor=actor(),
                created_month=Period.of(utcnow().astimezone(settings.zone).date()),
            )
        except OrgImportError as failed:
            print(tr(lang, "Nothing was imported; fix these rows and run again:"), file=sys.stderr)
            for error in failed.errors:
                print(
                    tr(
                        lang,
                        "  line {line}: {problem}",
                        line=error.line,
                        problem=tr(lang, error.message, **error.params),
                    ),
                    file=sys.stderr,
                )
            return 1
    print(
        tr(
            lang,
            "Imported: {nc} nodes created, {nu} updated; {uc} units created, {uu} updated.",
            nc=result.nodes_created,
            nu=result.nodes_updated,
            uc=result.units_created,
            uu=result.units_updated,
        )
    )
    return 0


async def cmd_list_units(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    async with uow() as session:
        try:
            rows = await org_queries.list_units(session, under=args.under)
        except DomainError:
            return no_such(lang, args.under)
    print(
        f"{tr(lang, 'Code'):<16} {tr(lang, 'Kind'):<24} {tr(lang, 'Name')}  —  {tr(lang, 'Place')}"
    )
    for row in rows:
        kind = kind_name(UNIT_KIND_NAMES, row.kind, lang)
        print(f"{row.code:<16} {kind:<24} {row.name}  —  {row.place}")
    print(plural(lang, len(rows), N_("{n} unit"), N_("{n} units"), n=len(rows)))
    return 0


async def cmd_list_nodes(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    async with uow() as session:
        try:
            rows = await org_queries.list_nodes(session, under=args.under)
        except DomainError:
            return no_such(lang, args.under)
    print(
        f"{tr(lang, 'Code'):<16} {tr(lang, 'Kind'):<18} {tr(lang, 'Workers'):>9}  "
        f"{tr(lang, 'Name')}"
    )
    for row in rows:
        kind = kind_name(NODE_KIND_NAMES, row.kind, lang)
        workers = "" if row.worker_count is None else f"{row.worker_count:,}".replace(",", ".")
        indent = "  " * row.depth  # the tree's shape, without a second column to read
        print(f"{row.code:<16} {kind:<18} {workers:>9}  {indent}{row.name}")
    print(plural(lang, len(rows), N_("{n} node"), N_("{n} nodes"), n=len(rows)))
    return 0


async def cmd_seed_demo(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    async with uow() as session:
        if not await demo.is_empty(session):
            print(
                tr(lang, "The database is not empty; the demo province was not added."),
                file=sys.stderr,
            )
            return 1
        seeded = await demo.seed(session, settings.secret, load_reporting_setup(settings), utcnow())
    for code, role, scope in seeded.invites:
        print(f"{code}  →  {tr(lang, ROLE_NAMES[role])}: {scope}")
    return 0
