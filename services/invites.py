"""Invite codes: generation, keyed hashing, creation and revocation.

A code is 8 characters from an alphabet without look-alikes (no O/0, I/1), shown as ABCD-EFGH.
Only HMAC-SHA256(app secret, code) is stored: a leaked table grants nothing, and the code's
single use and expiry bound what a leaked code can do.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Invite, OrgNode, ReportingUnit, Role, utcnow
from services import audit
from services.errors import DomainError, NotFound

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class InviteScopeError(DomainError):
    message = "An officer invite needs a reporting unit, a committee invite an organisation node."


def generate_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def display_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalize_code(text: str) -> str | None:
    """What the user typed → the canonical code, or None when it cannot be a code at all."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -_.\u00a0")
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def hash_code(secret: bytes, code: str) -> str:
    return hmac.new(secret, b"invite:" + code.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CreatedInvite:
    invite_id: int
    code: str  # shown once, never stored
    role: Role
    scope_name: str | None
    expires_at: datetime


async def create_invite(
    session: AsyncSession,
    secret: bytes,
    *,
    role: Role,
    actor: str,
    valid_days: int,
    unit_code: str | None = None,
    node_code: str | None = None,
    code: str | None = None,
) -> CreatedInvite:
    """Create an invite. ``code`` is for the demo database only; real codes are random."""
    created = await add_invite(
        session,
        secret,
        role=role,
        actor=actor,
        valid_days=valid_days,
        unit_code=unit_code,
        node_code=node_code,
        code=code,
    )
    await session.commit()
    return created


async def add_invite(
    session: AsyncSession,
    secret: bytes,
    *,
    role: Role,
    actor: str,
    valid_days: int,
    unit_code: str | None = None,
    node_code: str | None = None,
    code: str | None = None,
    now: datetime | None = None,
) -> CreatedInvite:
    """``create_invite`` without the commit: a batch of invites is made in one transaction.
    ``now``: the caller's clock (the web pages'), else the system's."""
    unit_id: int | None = None
    node_id: int | None = None
    scope_name: str | None = None
    if role is Role.OFFICER:
        if not unit_code:
            raise InviteScopeError()
        unit = await session.scalar(select(ReportingUnit).where(ReportingUnit.code == unit_code))
        if unit is None or not unit.active:
            raise NotFound()
        unit_id, scope_name = unit.id, unit.name
    elif role is Role.COMMITTEE:
        if not node_code:
            raise InviteScopeError()
        node = await session.scalar(select(OrgNode).where(OrgNode.code == node_code))
        if node is None or not node.active:
            raise NotFound()
        node_id, scope_name = node.id, node.name
    code = code or generate_code()
    invite = Invite(
        code_hash=hash_code(secret, code),
        role=role,
        reporting_unit_id=unit_id,
        org_node_id=node_id,
        expires_at=(now or utcnow()) + timedelta(days=valid_days),
        created_at=now or utcnow(),
        created_by=actor,
    )
    session.add(invite)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action="invite.create",
        entity="invite",
        entity_id=invite.id,
        role=role.value,
        unit_id=unit_id,
        node_id=node_id,
        expires_at=invite.expires_at.isoformat(),
    )
    return CreatedInvite(invite.id, code, role, scope_name, invite.expires_at)


async def revoke_invite(session: AsyncSession, invite_id: int, *, actor: str) -> None:
    invite = await session.get(Invite, invite_id)
    if invite is None:
        raise NotFound()
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        audit.record(
            session, actor=actor, action="invite.revoke", entity="invite", entity_id=invite_id
        )
    await session.commit()
