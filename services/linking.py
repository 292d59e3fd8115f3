"""One person on several channels: link codes (/lienket) and the preferred channel (/kenh).

A registered person asks for a link code on one channel and sends it to the bot on another; that
channel's account is then attached to the same person, with the same roles. The code is like an
invite code (same alphabet and format, so /start takes either), but bound to the person and to
the channel it was asked on, valid for minutes, used once, and kept only as a keyed hash. Wrong
codes count toward the same lock-out as wrong invite codes (services/registration.py).

A person has at most one account per channel: linking a new account on a channel where they
already have one (a new phone) replaces the old one. Scheduled messages go to one account only:
see ``access.pick_account``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import ChannelAccount, LinkCode, Person, utcnow
from services import audit, command_menus, outbox
from services.access import Identity, Viewer, viewer_for
from services.errors import DomainError, NotFound
from services.invites import generate_code
from services.outbox import Outgoing

LINK_VALID = timedelta(minutes=15)

# What users read for a channel's name (the same in both languages).
CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "console": "Console"}
LINKABLE_CHANNELS = ("telegram", "zalo")


def channel_name(channel: str) -> str:
    return CHANNEL_NAMES.get(channel, channel.capitalize())


class NotRegistered(DomainError):
    message = "Only registered users can do this. Type /start to register first."


class PersonRevoked(DomainError):
    message = (
        "Your access has been revoked. If this is a mistake, ask the standing office for a new "
        "invite code."
    )


class LinkInvalid(DomainError):
    message = "This link code is not valid."


class LinkExpired(DomainError):
    message = (
        "This link code has expired (a link code works for 15 minutes). Type /lienket on the "
        "channel where you are registered to get a new one."
    )


class LinkUsed(DomainError):
    message = (
        "This link code has already been used. Type /lienket on the channel where you are "
        "registered to get a new one."
    )


class LinkSameChannel(DomainError):
    message = (
        "This link code was made on this same app. Send it to the bot on your other app "
        "(Telegram or Zalo)."
    )


class AccountTaken(DomainError):
    message = (
        "This account is already registered to another person, so it cannot be linked. Ask the "
        "standing office for help."
    )


class AlreadyLinked(DomainError):
    message = "This account is already linked to you. Type /kenh to choose where reminders go."


class UnknownChannel(DomainError):
    message = "You have no account on that channel."


def hash_link_code(secret: bytes, code: str) -> str:
    # Its own prefix: a link code's hash can never match an invite's, nor the other way round.
    return hmac.new(secret, b"link:" + code.encode(), hashlib.sha256).hexdigest()


async def _account(session: AsyncSession, identity: Identity) -> ChannelAccount | None:
    account: ChannelAccount | None = await session.scalar(
        select(ChannelAccount).where(
            ChannelAccount.channel == identity.channel,
            ChannelAccount.external_id == identity.external_id,
        )
    )
    return account


@dataclass(frozen=True)
class IssuedLink:
    code: str  # shown once, never stored
    expires_at: datetime


async def issue_link_code(
    session: AsyncSession,
    secret: bytes,
    identity: Identity,
    *,
    now: datetime | None = None,
    valid: timedelta = LINK_VALID,
    code: str | None = None,
) -> IssuedLink:
    """A new link code for the person behind this account; earlier unused ones stop working.
    ``code`` is for tests only. Commits."""
    now = now or utcnow()
    account = await _account(session, identity)
    if account is None:
        raise NotRegistered()
    person = await session.get(Person, account.person_id)
    assert person is not None
    if person.revoked_at is not None:
        raise PersonRevoked()
    # Only the latest code is live: one asked for twice leaves one way in, not two.
    await session.execute(
        update(LinkCode)
        .where(
            LinkCode.person_id == person.id,
            LinkCode.used_at.is_(None),
            LinkCode.expires_at > now,
        )
        .values(expires_at=now)
    )
    code = code or generate_code()
    link = LinkCode(
        code_hash=hash_link_code(secret, code),
        person_id=person.id,
        account_id=account.id,
        channel=identity.channel,
        expires_at=now + valid,
        created_at=now,
    )
    session.add(link)
    await session.flush()
    audit.record(
        session,
        actor=f"person:{person.id}",
        action="link.issue",
        entity="person",
        entity_id=person.id,
        channel=identity.channel,
        link_id=link.id,
    )
    await session.commit()
    return IssuedLink(code, link.expires_at)


@dataclass(frozen=True)
class LinkOffer:
    link_id: int
    person_name: str
    language: str
    from_channel: str
    to_channel: str


async def check_link(
    session: AsyncSession, secret: bytes, code: str, identity: Identity, now: datetime
) -> LinkOffer | None:
    """Say what a (normalized) code would link, without using it; None when no link code has
    this hash (the caller counts it as a wrong code)."""
    link = await session.scalar(
        select(LinkCode).where(LinkCode.code_hash == hash_link_code(secret, code))
    )
    if link is None:
        return None
    account = await _account(session, identity)
    if link.used_at is not None:
        raise LinkUsed()
    if link.expires_at <= now:
        raise LinkExpired()
    if link.channel == identity.channel:
        raise LinkSameChannel()
    person = await session.get(Person, link.person_id)
    if person is None:
        raise LinkInvalid()
    if person.revoked_at is not None:
        raise PersonRevoked()
    if account is not None:
        raise AlreadyLinked() if account.person_id == person.id else AccountTaken()
    return LinkOffer(link.id, person.display_name, person.language, link.channel, identity.channel)


@dataclass(frozen=True)
class Linked:
    viewer: Viewer
    from_channel: str
    replaced: bool  # an older account of theirs on this channel was replaced
    preferred_channel: str  # where reminders and digests go now (see access.pick_account)


async def accept_link(
    session: AsyncSession,
    link_id: int,
    identity: Identity,
    *,
    notice: str | None = None,
    now: datetime | None = None,
) -> Linked:
    """Use the link code: attach this account to the code's person, atomically.

    The code's row is locked (FOR UPDATE on PostgreSQL) and every check is made again, so a
    double tap links once and two accounts racing for one code cannot both win. ``notice`` is
    put in the outbox for the account that asked for the code, on its own channel, in the same
    transaction. Commits.
    """
    now = now or utcnow()
    link = await session.scalar(select(LinkCode).where(LinkCode.id == link_id).with_for_update())
    if link is None:
        raise LinkInvalid()
    account = await _account(session, identity)
    person = await session.get(Person, link.person_id)
    if person is None:
        raise LinkInvalid()
    if link.used_at is not None:
        if account is not None and account.id == link.used_by_account_id:
            # The same user confirmed twice: already done.
            return await _linked(session, person, link.channel, replaced=False)
        raise LinkUsed()
    if link.expires_at <= now:
        raise LinkExpired()
    if link.channel == identity.channel:
        raise LinkSameChannel()
    if person.revoked_at is not None:
        raise PersonRevoked()
    if account is not None:
        raise AlreadyLinked() if account.person_id == person.id else AccountTaken()

    # One account per person and channel: a new phone's account replaces the old one.
    old_accounts = (
        await session.scalars(
            select(ChannelAccount).where(
                ChannelAccount.person_id == person.id, ChannelAccount.channel == identity.channel
            )
        )
    ).all()
    for old in old_accounts:
        await session.delete(old)
    await session.flush()
    account = ChannelAccount(
        person_id=person.id,
        channel=identity.channel,
        external_id=identity.external_id,
        chat_id=identity.chat_id,
        created_at=now,
    )
    session.add(account)
    await session.flush()
    link.used_at = now
    link.used_by_account_id = account.id
    audit.record(
        session,
        actor=f"person:{person.id}",
        action="account.link",
        entity="person",
        entity_id=person.id,
        channel=identity.channel,
        link_id=link.id,
        replaced=len(old_accounts),
    )
    await command_menus.plan_refresh(session, person.id, now)  # their roles' "/" menu here
    source = await session.get(ChannelAccount, link.account_id)
    if notice and source is not None and source.chat_id and source.reachable:
        # Also a warning: someone who linked an account with a stolen code is announced here.
        await outbox.enqueue(
            session,
            [
                Outgoing(
                    idempotency_key=f"link:{link.id}",
                    kind="notice",
                    person_id=person.id,
                    channel=source.channel,
                    chat_id=source.chat_id,
                    text=notice,
                )
            ],
            now,
        )  # commits everything above with it
    else:
        await session.commit()
    return await _linked(session, person, link.channel, replaced=bool(old_accounts))


async def _linked(session: AsyncSession, person: Person, source: str, *, replaced: bool) -> Linked:
    choice = await channel_choice(session, person.id)
    return Linked(await viewer_for(session, person), source, replaced, choice.current)


@dataclass(frozen=True)
class ChannelChoice:
    channels: list[str]  # the person's channels, in the order they were registered
    preferred: str | None  # chosen with /kenh, or None
    current: str  # where reminders and digests go (when that channel is served)


async def channel_choice(session: AsyncSession, person_id: int) -> ChannelChoice:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound()
    channels = list(
        dict.fromkeys(
            (
                await session.scalars(
                    select(ChannelAccount.channel)
                    .where(ChannelAccount.person_id == person_id)
                    .order_by(ChannelAccount.id)
                )
            ).all()
        )
    )
    preferred = person.preferred_channel if person.preferred_channel in channels else None
    current = preferred or (channels[0] if channels else "")
    return ChannelChoice(channels, preferred, current)


async def set_preferred_channel(
    session: AsyncSession, person_id: int, channel: str
) -> ChannelChoice:
    """Reminders and digests go to ``channel`` from now on (checked: the person has an account
    there). Commits."""
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound()
    if person.revoked_at is not None:
        raise PersonRevoked()
    has_account = await session.scalar(
        select(ChannelAccount.id).where(
            ChannelAccount.person_id == person_id, ChannelAccount.channel == channel
        )
    )
    if has_account is None:
        raise UnknownChannel()
    if person.preferred_channel != channel:
        person.preferred_channel = channel
        audit.record(
            session,
            actor=f"person:{person_id}",
            action="person.preferred_channel",
            entity="person",
            entity_id=person_id,
            channel=channel,
        )
    await session.commit()
    return await channel_choice(session, person_id)
