"""People and their access: `invite`, `list-people`, `revoke`, `login-link`."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

from bot.admin.common import NO_BOT_NAME, actor, bot_name, deep_link, no_such
from bot.posters import render_invite_card
from infra.i18n import day, plural, tr
from infra.settings import Settings
from models import Role, utcnow
from models.db import UnitOfWork
from services import access, invites, office
from services.errors import N_, DomainError
from services.office.people import ROLE_NAMES


async def cmd_invite(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    username = bot_name(settings)
    if username is None and not args.no_link:
        print(tr(lang, NO_BOT_NAME), file=sys.stderr)
        return 1
    async with uow() as session:
        try:
            created = await invites.create_invite(
                session,
                settings.secret,
                role=Role(args.role),
                actor=actor(),
                valid_days=args.days or settings.invite_valid_days,
                unit_code=args.unit,
                node_code=args.node,
            )
        except invites.InviteScopeError as error:
            print(tr(lang, error.message), file=sys.stderr)
            return 1
        except DomainError:
            return no_such(lang, args.unit or args.node)
    caption = [
        tr(lang, "Invite code: {code}", code=invites.display_code(created.code)),
        tr(
            lang,
            "Grants: {role} {scope}",
            role=tr(lang, ROLE_NAMES[created.role]),
            scope=created.scope_name or "",
        ).rstrip(),
        tr(
            lang,
            "Valid until: {date}",
            date=day(created.expires_at.astimezone(settings.zone).date(), lang),
        ),
    ]
    for line in caption:
        print(line)
    if args.no_link or username is None:
        return 0
    link = deep_link(username, created.code)
    qr_path = Path(args.qr) if args.qr else Path("invites") / f"{created.code}.png"
    render_invite_card(link, caption, qr_path)
    print(tr(lang, "Link: {link}", link=link))
    print(tr(lang, "QR code: {path}", path=qr_path))
    return 0


async def cmd_list_people(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    async with uow() as session:
        people = await access.list_people(session)
    print(
        f"{tr(lang, 'ID'):>5}  {tr(lang, 'Full name'):<28} {tr(lang, 'Apps'):<16} "
        f"{tr(lang, 'Roles')}"
    )
    for person in people:
        roles = (
            "; ".join(
                f"{tr(lang, ROLE_NAMES[r.role])}: {r.scope_code}"
                if r.scope_code
                else tr(lang, ROLE_NAMES[r.role])
                for r in person.roles
            )
            or "—"
        )
        state = f"  ({tr(lang, 'revoked')})" if person.revoked else ""
        print(
            f"{person.person_id:>5}  {person.display_name:<28} {', '.join(person.channels):<16} "
            f"{roles}{state}"
        )
    print(plural(lang, len(people), N_("{n} person"), N_("{n} people"), n=len(people)))
    return 0


async def cmd_revoke(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    async with uow() as session:
        try:
            viewer = await access.revoke_person(session, args.person_id, actor=actor())
        except DomainError:
            print(tr(lang, "No person with id {id}.", id=args.person_id), file=sys.stderr)
            return 1
    print(tr(lang, "Revoked: {name}", name=viewer.display_name))
    return 0


async def cmd_login_link(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    """A one-time link into the office console for an administrator (by id or name)."""
    lang = settings.default_language
    minutes = args.minutes or settings.web_link_minutes
    async with uow() as session:
        try:
            person_id = await office.find_admin(session, args.person)
            link = await office.issue_office_link(
                session,
                person_id,
                now=utcnow(),
                valid=timedelta(minutes=minutes),
                actor=actor(),
            )
        except DomainError as refusal:
            print(tr(lang, refusal.message, **refusal.params), file=sys.stderr)
            return 1
    print(
        tr(
            lang,
            "Office console link for {name} (works once, for {minutes} minutes):",
            name=link.display_name,
            minutes=minutes,
        )
    )
    base = settings.pages_base_url or (
        f"http://127.0.0.1:{settings.web_port}" if settings.web_port else None
    )
    if base is None:
        print(link.path)
        print(
            tr(
                lang,
                "Put the address of the web pages in front (PUBLIC_BASE_URL is not set; in "
                "console mode it is the address the console printed at start).",
            )
        )
    else:
        print(f"{base}{link.path}")
    return 0
