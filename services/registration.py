"""Registration by invite code: check a typed code, then bind the user to the invite's role.

Wrong codes are counted per user and day under a keyed hash whose key changes every day, one
row per wrong code (services/daily_limits.py) with the day and no time, so the lock-out works
without keeping anyone's id or linking their attempts: a worker who wandered into /start leaves
nothing that names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ChannelAccount,
    CodeAttempt,
    Invite,
    NodeKind,
    OrgNode,
    Person,
    ReportingUnit,
    Role,
    RoleAssignment,
    utcnow,
)
from services import anonymity, audit, command_menus, daily_limits, linking
from services.access import Identity, Viewer, viewer_for
from services.errors import DomainError
from services.invites import CODE_LENGTH, hash_code, normalize_code
from services.linking import LinkOffer
from services.plain_text import clean_name

MAX_CODE_INPUT = 40  # anything longer is a message, not a mistyped code
_SEPARATORS = " -_.\u00a0"


def looks_like_code(text: str) -> bool:
    """Whether ``text`` has the shape of a code (8 latin letters and digits, separators aside),
    right or wrong. Only such texts count toward the lock-out: "xin chào" or "lương" typed by a
    worker who pressed Start can never be a code, so it is no guess at one."""
    cleaned = "".join(ch for ch in text.strip() if ch not in _SEPARATORS)
    return len(cleaned) == CODE_LENGTH and cleaned.isascii() and cleaned.isalnum()


class CodeMalformed(DomainError):
    message = "That is not an invite code."


class CodeInvalid(DomainError):
    """A code-shaped text that is no invite or link code; ``tries_left`` before the lock-out."""

    message = "This invite code is wrong."

    @property
    def tries_left(self) -> int | None:
        left = self.params.get("tries_left")
        return left if isinstance(left, int) else None


class CodeExpired(DomainError):
    message = "This invite code has expired."


class CodeUsed(DomainError):
    message = "This invite code has already been used."


class EnterpriseCodeTyped(DomainError):
    """A worker who came by /start typed the poster's enterprise code: not a wrong invite code,
    and nothing is recorded (a failure row would carry the exact time)."""

    message = "That is an enterprise code."


class LockedOut(DomainError):
    message = "Too many wrong codes."

    def __init__(self, until: datetime) -> None:
        super().__init__()
        self.until = until


# Dates of the lock-out are Vietnam's: keyed by the UTC date, a lock-out lapsed at 07:00.
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class LockoutPolicy:
    """At most ``attempts`` wrong codes a day (the date in ``zone``); after them, no code is
    taken until the next day begins there. Only the day of each wrong code is stored, so the
    lock-out is counted per day, not in a window of minutes."""

    attempts: int = 5
    zone: tzinfo = VIETNAM


@dataclass(frozen=True)
class InviteOffer:
    invite_id: int
    role: Role
    scope_name: str | None
    expires_at: datetime


def attempt_subject(secret: bytes, channel: str, external_id: str, day: date) -> str:
    """The lock-out ledger's subject of this account on ``day``: a keyed hash under a key of
    the day, never stored itself (only hashes of it with an attempt number are)."""
    return anonymity.daily_subject(secret, "attempts", channel, external_id, day)


def _next_day_starts(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)


async def _failures(session: AsyncSession, subject: str, day: date, policy: LockoutPolicy) -> int:
    return await daily_limits.used(session, CodeAttempt, subject, day, policy.attempts)


async def _record_failure(
    session: AsyncSession, subject: str, day: date, policy: LockoutPolicy
) -> None:
    # Bounded table: the attempts of earlier days can no longer lock anyone out.
    await daily_limits.prune(session, CodeAttempt, day)
    await daily_limits.take(session, CodeAttempt, subject, day, policy.attempts)
    await session.commit()


async def check_code(
    session: AsyncSession,
    secret: bytes,
    text: str,
    identity: Identity,
    *,
    policy: LockoutPolicy = LockoutPolicy(),
    now: datetime | None = None,
) -> InviteOffer:
    """Validate a typed invite code and say what it grants, without using it up."""
    offer = await check_any_code(session, secret, text, identity, policy=policy, now=now)
    if isinstance(offer, LinkOffer):
        raise CodeInvalid()
    return offer


async def check_any_code(
    session: AsyncSession,
    secret: bytes,
    text: str,
    identity: Identity,
    *,
    policy: LockoutPolicy = LockoutPolicy(),
    now: datetime | None = None,
) -> InviteOffer | LinkOffer:
    """Validate a typed invite or link code (/start takes both) and say what it would do,
    without using it up. Wrong codes of either kind count toward one lock-out."""
    now = now or utcnow()
    if len(text) > MAX_CODE_INPUT:
        raise CodeMalformed()
    if await session.scalar(
        select(OrgNode.id).where(
            OrgNode.kind == NodeKind.ENTERPRISE, func.upper(OrgNode.code) == text.strip().upper()
        )
    ):
        raise EnterpriseCodeTyped()
    if not looks_like_code(text):
        # Not a guess at a code: answered as such, and not counted (nor recorded at all).
        raise CodeMalformed()
    today = now.astimezone(policy.zone).date()
    subject = attempt_subject(secret, identity.channel, identity.external_id, today)
    if await _failures(session, subject, today, policy) >= policy.attempts:
        raise LockedOut(_next_day_starts(today, policy.zone))
    code = normalize_code(text)
    invite = (
        None
        if code is None
        else await session.scalar(select(Invite).where(Invite.code_hash == hash_code(secret, code)))
    )
    if invite is None and code is not None:
        link = await linking.check_link(session, secret, code, identity, now)
        if link is not None:
            return link
    if invite is None or invite.revoked_at is not None:
        await _record_failure(session, subject, today, policy)
        failures = await _failures(session, subject, today, policy)
        if failures >= policy.attempts:
            raise LockedOut(_next_day_starts(today, policy.zone))
        raise CodeInvalid(tries_left=policy.attempts - failures)
    if invite.used_at is not None:
        raise CodeUsed()
    if invite.expires_at <= now:
        raise CodeExpired()
    return InviteOffer(
        invite.id, invite.role, await _scope_name(session, invite), invite.expires_at
    )


async def _scope_name(session: AsyncSession, invite: Invite) -> str | None:
    name: str | None = None
    if invite.reporting_unit_id is not None:
        name = await session.scalar(
            select(ReportingUnit.name).where(ReportingUnit.id == invite.reporting_unit_id)
        )
    elif invite.org_node_id is not None:
        name = await session.scalar(select(OrgNode.name).where(OrgNode.id == invite.org_node_id))
    return name


async def accept_invite(
    session: AsyncSession, invite_id: int, identity: Identity, *, language: str
) -> Viewer:
    """Use the invite: bind the channel account to a person and grant the role, atomically.

    The invite row is locked (FOR UPDATE on PostgreSQL) and re-checked, so a double tap, or two
    users racing for one code, grants it once.
    """
    now = utcnow()
    invite = await session.scalar(select(Invite).where(Invite.id == invite_id).with_for_update())
    if invite is None or invite.revoked_at is not None:
        raise CodeInvalid()
    account = await session.scalar(
        select(ChannelAccount).where(
            ChannelAccount.channel == identity.channel,
            ChannelAccount.external_id == identity.external_id,
        )
    )
    if invite.used_at is not None:
        if account is not None and invite.used_by_person_id == account.person_id:
            # The same person tapped "confirm" twice: already done, nothing more to do.
            person = await session.get(Person, account.person_id)
            assert person is not None
            return await viewer_for(session, person)
        raise CodeUsed()
    if invite.expires_at <= now:
        raise CodeExpired()

    if account is None:
        person = Person(display_name=clean_name(identity.display_name) or "?", language=language)
        session.add(person)
        await session.flush()
        account = ChannelAccount(
            person_id=person.id,
            channel=identity.channel,
            external_id=identity.external_id,
            chat_id=identity.chat_id,
        )
        session.add(account)
    else:
        found = await session.get(Person, account.person_id)
        assert found is not None
        person = found
        account.reachable = True
        account.chat_id = identity.chat_id
        if person.revoked_at is not None:
            # A new invite is the office's deliberate decision to let a revoked person back in.
            person.revoked_at = None
            audit.record(
                session,
                actor=f"invite:{invite.id}",
                action="person.reinstate",
                entity="person",
                entity_id=person.id,
            )

    existing = await session.scalar(
        select(func.count())
        .select_from(RoleAssignment)
        .where(
            RoleAssignment.person_id == person.id,
            RoleAssignment.role == invite.role,
            RoleAssignment.reporting_unit_id.is_not_distinct_from(invite.reporting_unit_id),
            RoleAssignment.org_node_id.is_not_distinct_from(invite.org_node_id),
            RoleAssignment.revoked_at.is_(None),
        )
    )
    if not existing:
        session.add(
            RoleAssignment(
                person_id=person.id,
                role=invite.role,
                reporting_unit_id=invite.reporting_unit_id,
                org_node_id=invite.org_node_id,
                invite_id=invite.id,
            )
        )
    invite.used_at = now
    invite.used_by_person_id = person.id
    audit.record(
        session,
        actor=f"person:{person.id}",
        action="invite.accept",
        entity="invite",
        entity_id=invite.id,
        role=invite.role.value,
    )
    await session.flush()
    await command_menus.plan_refresh(session, person.id, now)  # the new role's "/" menu
    await session.commit()
    return await viewer_for(session, person)
