"""Reports: `unlock` (reopen a locked period) and `report` (the quarterly or yearly document)."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

from grassroots_config import DEFAULT_CONFIG_DIR

from bot.admin.common import actor, no_such
from bot.app import load_concern_setup, load_reporting_setup
from handlers.documents.render import render_report
from handlers.reports import unlock_notice
from infra.i18n import day, tr
from infra.rendering import off_the_loop
from infra.settings import Settings
from models import utcnow
from models.db import UnitOfWork
from services import documents, reporting
from services.errors import DomainError
from services.periods import Period
from services.targets import load_targets


async def cmd_unlock(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    try:
        period = Period.from_key(args.period)
    except ValueError:
        print(tr(lang, "The period must look like 2026-10."), file=sys.stderr)
        return 1
    until = utcnow() + timedelta(days=args.days)
    async with uow() as session:
        try:
            unlocked = await reporting.unlock(
                session, unit_code=args.unit, period=period, until=until, actor=actor()
            )
        except DomainError:
            return no_such(lang, args.unit)
        told = await _tell_officers_of_unlock(session, settings, unlocked)
    print(
        tr(
            lang,
            "Reopened {period} for {unit} until {date}.",
            period=period.label(lang),
            unit=args.unit,
            date=day(until.astimezone(settings.zone).date(), lang),
        )
    )
    print(tr(lang, "Officers of the unit told: {count}.", count=told))
    return 0


# One message for the CLI and the office console (handlers/reports/unlock_notice.py).
_tell_officers_of_unlock = unlock_notice.tell_officers_of_unlock


async def cmd_report(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    """The quarterly or yearly report as a Word document (and a PDF when LibreOffice is
    installed), from the same figures as the digest."""
    lang = settings.default_language
    try:
        period = documents.document_period(args.period)
        template = documents.template_path(args.template)
        async with uow() as session:
            node_id = await documents.node_id_of(session, args.node)
            setup = load_reporting_setup(settings)
            digest = await documents.report_digest(
                session,
                node_id=node_id,
                period=period,
                setup=setup,
                targets=load_targets(
                    (settings.config_dir or DEFAULT_CONFIG_DIR) / "targets.yaml", setup.indicators
                ),
                concern_config=load_concern_setup(settings).config,
                today=utcnow().astimezone(settings.zone).date(),
            )
            root = await documents.root_name(session, node_id)
        rendered = await off_the_loop(render_report, digest, root, template, Path(args.out))
    except DomainError as refused:
        print(tr(lang, refused.message, **refused.params), file=sys.stderr)
        return 1
    print(tr(lang, "Report written: {path}", path=rendered.docx))
    if rendered.pdf is not None:
        print(tr(lang, "PDF written: {path}", path=rendered.pdf))
    else:
        print(tr(lang, "No PDF: LibreOffice (soffice) is not installed or could not convert."))
    return 0
