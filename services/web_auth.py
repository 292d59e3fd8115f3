"""Who is using a web page: one-time links, Telegram Mini App data, sessions and CSRF tokens.

The pages (web/) are for registered people, never for workers. A person gets in two ways:

* **A one-time link** sent in the chat (Zalo and the console have no Mini Apps). The link carries
  a random token; only its SHA-256 is stored, with the person and the page it opens. It works
  once, for ``WEB_LINK_MINUTES``, and opens a session.
* **Telegram's Mini App data** (``initData``): Telegram signs it with a key derived from the bot
  token (HMAC-SHA256 of the token keyed with "WebAppData"), so the server checks the signature
  itself and refuses data older than ``WEB_INIT_DATA_MAX_AGE_MINUTES``. The Telegram user is then
  looked up like any chat update (services/access.py); an unknown or revoked account gets nothing.

A session is a random token in an HttpOnly cookie; the database keeps its hash and the person. It
ends after ``WEB_SESSION_MINUTES`` without use, and after ``SESSION_LIMIT`` in any case. A session
grants nothing by itself: every page asks the services, which check from the database that the
person still holds the role (an officer still serves the unit, the period is still open).

Every POST carries a CSRF token derived from the session token with APP_SECRET, so a page of
another site cannot post in the officer's name even where the browser sends the cookie along.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person, WebLink, WebSession
from services import access
from services.errors import DomainError

SESSION_LIMIT = timedelta(hours=12)  # however busy, a session is signed in again after this
TOUCH_EVERY = timedelta(minutes=1)  # a session's expiry moves at most this often (fewer writes)
KEEP_EXPIRED = timedelta(days=1)  # expired links and sessions are deleted after this
CLOCK_SKEW = timedelta(minutes=5)  # Telegram's auth_date may run this far ahead of our clock
INIT_DATA_MAX = 4096  # characters; Telegram's initData is well under 1 KB


class LinkInvalid(DomainError):
    message = "This link is not valid. Type /baocao in the chat to get a new one."


class LinkUsed(DomainError):
    message = (
        "This link has already been used: each link opens the page once. Type /baocao in the "
        "chat to get a new one."
    )


class LinkExpired(DomainError):
    message = "This link has expired. Type /baocao in the chat to get a new one."


class NotSignedIn(DomainError):
    message = (
        "Your session has ended or this page was not opened from the chat. Type /baocao in the "
        "chat to open the form again."
    )


class InitDataInvalid(DomainError):
    message = (
        "Telegram's sign-in data for this page could not be confirmed. Close the page and open "
        "the form again from the chat."
    )


class InitDataExpired(DomainError):
    message = "This page was opened too long ago. Close it and open the form again from the chat."


class NotRegistered(DomainError):
    message = "This page is for registered officers. Type /start in the chat to register."


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- one-time links -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    token: str  # goes into the URL once; never stored
    expires_at: datetime


async def issue_link(
    session: AsyncSession, *, person_id: int, target: str, now: datetime, valid: timedelta
) -> IssuedLink:
    """A new one-time link to the page ``target`` (a path on this server). Commits."""
    if not target.startswith("/") or target.startswith("//"):
        raise ValueError(f"a link opens a page of this server, not {target!r}")
    token = secrets.token_urlsafe(32)
    session.add(
        WebLink(
            token_hash=token_hash(token),
            person_id=person_id,
            target=target,
            created_at=now,
            expires_at=now + valid,
        )
    )
    # Housekeeping where it costs nothing noticeable: links are made a few times a day each.
    await session.execute(delete(WebLink).where(WebLink.expires_at < now - KEEP_EXPIRED))
    await session.execute(delete(WebSession).where(WebSession.expires_at < now - KEEP_EXPIRED))
    await session.commit()
    return IssuedLink(token, now + valid)


@dataclass(frozen=True)
class Redeemed:
    person_id: int
    target: str


async def redeem_link(
    session: AsyncSession, token: str, *, now: datetime, prefix: str = "/"
) -> Redeemed:
    """Use a link: once, before it expires, by a person not revoked. Commits.

    The check and the use are one UPDATE, so two browsers opening one link at the same moment
    cannot both get in. ``prefix``: only a link to a page under it (the office console redeems
    only its own links, so a link to another page is never spent there)."""
    digest = token_hash(token)
    used = (
        await session.execute(
            update(WebLink)
            .where(
                WebLink.token_hash == digest,
                WebLink.used_at.is_(None),
                WebLink.expires_at > now,
                WebLink.target.startswith(prefix, autoescape=True),
            )
            .values(used_at=now)
            .returning(WebLink.person_id, WebLink.target)
        )
    ).first()
    if used is None:
        await session.rollback()
        found = await session.scalar(select(WebLink).where(WebLink.token_hash == digest))
        if found is None or not found.target.startswith(prefix):
            raise LinkInvalid()
        if found.used_at is not None:
            raise LinkUsed()
        raise LinkExpired()
    person = await session.get(Person, used.person_id)
    if person is None or person.revoked_at is not None:
        await session.rollback()
        raise NotRegistered()
    await session.commit()
    return Redeemed(used.person_id, used.target)


# --- Telegram Mini App data -----------------------------------------------------------------


@dataclass(frozen=True)
class TelegramUser:
    user_id: str
    auth_date: datetime


def init_data_key(bot_token: str) -> bytes:
    """Telegram's secret key for Mini App data: HMAC-SHA256 of the bot token, keyed with the
    constant "WebAppData"."""
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def check_init_data(
    init_data: str, bot_token: str, *, now: datetime, max_age: timedelta
) -> TelegramUser:
    """The Telegram user in Mini App data, if Telegram signed it recently.

    The data-check-string is every received field but ``hash``, sorted by name, as
    ``name=value`` lines; its HMAC-SHA256 under ``init_data_key`` must equal ``hash``."""
    if not init_data or len(init_data) > INIT_DATA_MAX:
        raise InitDataInvalid()
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataInvalid() from None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a name twice: which one did Telegram sign?
        raise InitDataInvalid()
    given = fields.pop("hash", "")
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    expected = hmac.new(init_data_key(bot_token), check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise InitDataInvalid()
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        user_id = user["id"]
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        raise InitDataInvalid() from None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise InitDataInvalid()
    if auth_date > now + CLOCK_SKEW:
        raise InitDataInvalid()
    if now - auth_date > max_age:
        raise InitDataExpired()
    return TelegramUser(str(user_id), auth_date)


async def telegram_person(session: AsyncSession, user: TelegramUser) -> int:
    """The registered, not revoked person behind a Telegram account; nothing is written or
    logged about anyone else (a worker who found the page stays unknown)."""
    viewer = await access.identify(session, "telegram", user.user_id)
    if viewer is None or viewer.revoked:
        raise NotRegistered()
    return viewer.person_id


# --- sessions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie only
    expires_at: datetime


async def start_session(
    session: AsyncSession, *, person_id: int, via: str, now: datetime, idle: timedelta
) -> NewSession:
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=token_hash(token),
            person_id=person_id,
            via=via,
            created_at=now,
            expires_at=now + idle,
        )
    )
    await session.commit()
    return NewSession(token, now + idle)


@dataclass(frozen=True)
class SignedIn:
    person_id: int
    display_name: str
    language: str
    via: str


async def signed_in(
    session: AsyncSession,
    token: str | None,
    *,
    now: datetime,
    idle: timedelta,
    idle_for: Mapping[str, timedelta] | None = None,
) -> SignedIn | None:
    """The person of a live session, or None (no token, unknown, ended, or revoked person).
    A session in use is kept alive; the write happens at most once a minute. ``idle_for``: the
    idle time of sessions opened another way (``via``; the office console's are longer)."""
    if not token:
        return None
    row = (
        await session.execute(
            select(WebSession, Person)
            .join(Person, Person.id == WebSession.person_id)
            .where(WebSession.token_hash == token_hash(token))
        )
    ).first()
    if row is None:
        return None
    web_session, person = row
    idle = (idle_for or {}).get(web_session.via, idle)
    if (
        web_session.expires_at <= now
        or now - web_session.created_at > SESSION_LIMIT
        or person.revoked_at is not None
    ):
        return None
    if now + idle - web_session.expires_at >= TOUCH_EVERY:
        web_session.expires_at = now + idle
        await session.commit()
    return SignedIn(person.id, person.display_name, person.language, web_session.via)


async def end_sessions(session: AsyncSession, person_id: int, *, token: str | None = None) -> None:
    """Sign out: one session (``token``) or all of a person's. Commits."""
    query = delete(WebSession).where(WebSession.person_id == person_id)
    if token is not None:
        query = query.where(WebSession.token_hash == token_hash(token))
    await session.execute(query)
    await session.commit()


# --- CSRF -----------------------------------------------------------------------------------


def csrf_token(secret: bytes, session_token: str) -> str:
    """The token every form of this session posts back: tied to the session, unguessable
    without APP_SECRET, and never stored."""
    return hmac.new(secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()[:32]


def csrf_ok(secret: bytes, session_token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(secret, session_token), given or "")
