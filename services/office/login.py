"""Who may use the office console, and the one-time links that open it.

The console (web/office/) is for administrators (Role.ADMIN): the standing office. There are no
passwords: an administrator gets a one-time link — from the admin CLI (``login-link``) or from
the chat — that opens a session of its own kind ("office", ``OFFICE_SESSION_HOURS`` unused).
Every request asks ``require_admin`` again, from the database: a revoked administrator's open
page stops working at their next click.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person, Role, RoleAssignment
from services import access, audit, web_auth
from services.access import Viewer
from services.errors import DomainError, PermissionDenied

OFFICE_HOME = "/office"
# Office links open /office/l/<token>: only links to pages under OFFICE_HOME are spent there.
OFFICE_LINK_PATH = "/office/l/"


class NotAdmin(PermissionDenied):
    message = "This console is for the standing office's administrators only."


class NoSuchAdmin(DomainError):
    message = "No administrator matches “{query}”."


class AdminAmbiguous(DomainError):
    message = "Several administrators match “{query}”: {names}. Give the id."


def actor_of(person_id: int) -> str:
    """How the audit log names a person acting in the console (as the chat does)."""
    return f"person:{person_id}"


async def require_admin(session: AsyncSession, person_id: int) -> Viewer:
    """The person, if they hold the administrator role now; else NotAdmin."""
    person = await session.get(Person, person_id)
    if person is None:
        raise NotAdmin()
    viewer = await access.viewer_for(session, person)
    if not viewer.has(Role.ADMIN):
        raise NotAdmin()
    return viewer


@dataclass(frozen=True)
class OfficeLink:
    person_id: int
    display_name: str
    path: str  # /office/l/<token>: put the pages' address in front
    expires_at: datetime


async def issue_office_link(
    session: AsyncSession,
    person_id: int,
    *,
    now: datetime,
    valid: timedelta,
    actor: str,
    target: str = OFFICE_HOME,
) -> OfficeLink:
    """A one-time link into the console for an administrator (refused for anyone else).
    ``actor``: who asked for it ("cli:<user>", or the person themselves from the chat). Commits."""
    if not target.startswith(OFFICE_HOME):
        raise ValueError(f"an office link opens a console page, not {target!r}")
    viewer = await require_admin(session, person_id)
    audit.record(
        session,
        actor=actor,
        action="office.link",
        entity="person",
        entity_id=person_id,
        expires_at=(now + valid).isoformat(),
    )
    issued = await web_auth.issue_link(
        session, person_id=person_id, target=target, now=now, valid=valid
    )  # commits the audit row with it
    return OfficeLink(
        person_id, viewer.display_name, f"{OFFICE_LINK_PATH}{issued.token}", issued.expires_at
    )


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


async def find_admin(session: AsyncSession, query: str) -> int:
    """An administrator by id, or by (part of) their name, accents optional."""
    query = query.strip()
    if query.isdigit():
        await require_admin(session, int(query))
        return int(query)
    rows = (
        await session.execute(
            select(Person.id, Person.display_name)
            .join(RoleAssignment, RoleAssignment.person_id == Person.id)
            .where(
                RoleAssignment.role == Role.ADMIN,
                RoleAssignment.revoked_at.is_(None),
                Person.revoked_at.is_(None),
            )
            .order_by(Person.id)
        )
    ).all()
    wanted = _plain(query)
    found = {pid: name for pid, name in rows if wanted and wanted in _plain(name)}
    if not found:
        raise NoSuchAdmin(query=query)
    if len(found) > 1:
        names = ", ".join(f"{name} ({pid})" for pid, name in found.items())
        raise AdminAmbiguous(query=query, names=names)
    return int(next(iter(found)))
