"""The invite sheet as a file: the codes come back from the sheet the administrator holds.

A code is never stored (only its keyed hash), so the server cannot print a batch later by
itself, and it keeps nothing of the sheet in memory either: the sheet's page posts its own codes
back (with the session's CSRF token) when the PDF or a PNG page is asked for. Each code is looked
up here by its hash, and only invites that still work — not used, not cancelled, not expired —
are printed, with what they grant read from the database, never from the request. Any instance
answers it: nothing waits on the one that made the batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Invite, OrgNode, ReportingUnit, Role
from services import invites
from services.errors import N_, DomainError

MAX_CODES: Final = 300  # a batch (services/office/people.py BATCH_MAX)


class NothingToPrint(DomainError):
    message = N_(
        "None of these codes can be printed: they have been used, cancelled or have expired. "
        "Create new invites."
    )


@dataclass(frozen=True)
class PrintedInvite:
    code: str  # ABCDEFGH, as typed back
    role: Role
    scope_name: str | None
    expires_at: datetime


async def printable(
    session: AsyncSession, secret: bytes, typed: str, *, now: datetime
) -> list[PrintedInvite]:
    """The invites among ``typed`` (codes separated by spaces, at most MAX_CODES) that still
    work, in the order given; NothingToPrint when none does."""
    codes = [code for part in typed.split()[:MAX_CODES] if (code := invites.normalize_code(part))]
    codes = list(dict.fromkeys(codes))
    by_hash = {invites.hash_code(secret, code): code for code in codes}
    if not by_hash:
        raise NothingToPrint()
    rows = (
        await session.execute(
            select(Invite, ReportingUnit.name, OrgNode.name)
            .outerjoin(ReportingUnit, ReportingUnit.id == Invite.reporting_unit_id)
            .outerjoin(OrgNode, OrgNode.id == Invite.org_node_id)
            .where(
                Invite.code_hash.in_(by_hash),
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
                Invite.expires_at > now,
            )
        )
    ).all()
    found = {
        by_hash[invite.code_hash]: PrintedInvite(
            by_hash[invite.code_hash], invite.role, unit or node, invite.expires_at
        )
        for invite, unit, node in rows
    }
    result = [found[code] for code in codes if code in found]
    if not result:
        raise NothingToPrint()
    return result
