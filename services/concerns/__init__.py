"""Anonymous worker concerns (tâm tư, nguyện vọng): raise, follow up, answer, escalate, notify.

The contract is docs/architecture.md and docs/anonymity.md. In short: a worker is
known to this module only as a daily-rotating keyed hash (``subject``, for rate limits) and, if
they asked for replies to be pushed, a chat id sealed to a key the database does not hold. A case
stores dates, never times; its text is encrypted; its receipt is a slow keyed hash. Officers are
not anonymous: their permission is checked here, from the database, on every call.

Texts are cleaned on the way in (``clean_text``: NFC, no zero-width or direction-override
characters); escaping for HTML or Markdown is the renderer's job, which must always escape them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Final, cast

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from grassroots_config import DEFAULT_CONFIG_DIR
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from models import (
    OPEN_STATUSES,
    Concern,
    ConcernLimit,
    ConcernReply,
    ConcernStatus,
    LimitPurpose,
    NodeKind,
    OrgNode,
    Person,
    ReportingUnit,
    Role,
    RoleAssignment,
    UnitKind,
)
from services import audit, daily_limits
from services.anonymity import (
    ConcernKeys,
    UndecryptableText,
    decrypt_text,
    display_receipt,
    encrypt_text,
    hash_receipt,
    new_case_code,
    new_id,
    new_receipt,
    normalize_receipt,
    open_chat_id,
    reencrypt_text,
    same_secret,
    seal_chat_id,
)
from services.errors import N_, DomainError, NotFound, PermissionDenied
from services.indicators import Label, load_yaml_model
from services.plain_text import visible

log = logging.getLogger(__name__)

DEFAULT_CONCERNS_FILE: Final = DEFAULT_CONFIG_DIR / "concerns.yaml"
MAX_TEXT_LENGTH: Final = 2000
# Draws the order in which a notice batch rewrites its cases (``_release``): from the operating
# system, so that nobody can reproduce the order from a seed.
_SHUFFLE: Final = random.SystemRandom()
ZONE_KINDS: Final = (NodeKind.INDUSTRIAL_ZONE, NodeKind.ECONOMIC_ZONE, NodeKind.COMMUNE)
# Statuses an officer sets by hand; "escalated" goes through escalate(), "received" is never set.
SETTABLE_STATUSES: Final = (ConcernStatus.IN_PROGRESS, ConcernStatus.ANSWERED, ConcernStatus.CLOSED)
# What workers and officers read for each status (msgids; Vietnamese in concerns.po).
STATUS_LABELS: Final = {
    ConcernStatus.RECEIVED: N_("Received"),
    ConcernStatus.IN_PROGRESS: N_("Being handled"),
    ConcernStatus.ANSWERED: N_("Answered"),
    ConcernStatus.CLOSED: N_("Closed"),
    ConcernStatus.ESCALATED: N_("Passed on to the zone union"),
}


# --- errors ---------------------------------------------------------------------------------


class EnterpriseNotFound(NotFound):
    message = "No enterprise has this code. Please check the code on the poster."


class UnknownCategory(DomainError):
    message = "Please choose one of the listed topics."


class EmptyText(DomainError):
    message = "Please write what you want to tell the union."


class TextTooLong(DomainError):
    message = (
        "Your message is {length} characters long; the limit is {limit}. "
        "Please shorten it and send it again."
    )

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(length=length, limit=limit)
        self.length = length
        self.limit = limit


class TooManyConcerns(DomainError):
    message = "You have already sent {limit} concerns today. Please send the next one tomorrow."


class ReceiptMalformed(DomainError):
    message = "A receipt is 12 digits, for example 1234 5678 9012."


class ReceiptNotRecognised(NotFound):
    """The same answer for a wrong receipt and for one that never existed."""

    message = "This receipt was not recognised. Please check the 12 digits."


class TooManyAttempts(DomainError):
    message = "You have checked receipts {limit} times today. Please try again tomorrow."


class CaseNotFound(NotFound):
    message = "This case does not exist (any more)."


class NotCaseOfficer(PermissionDenied):
    message = "Only the officers of the union this case was sent to can do this."


class CaseClosed(DomainError):
    message = "This case is closed. Nothing was changed."


class StatusNotSettable(DomainError):
    message = "This status cannot be set by hand."


class NoZoneAbove(DomainError):
    message = "No industrial zone, economic zone, commune or ward was found above this enterprise."


class AlreadyEscalated(DomainError):
    message = "This case has already been passed on to {zone}."


# --- configuration --------------------------------------------------------------------------


class _Model(BaseModel):
    # Frozen and strict like the indicator sets: a misspelt key stops the bot at start.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


_CODE: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")  # cases store it: concerns.category


class Category(_Model):
    code: str
    label: Label

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.fullmatch(value):
            raise ValueError(
                f"{value!r} must be 1-40 lower-case latin letters, digits or _, "
                "starting with a letter"
            )
        return value


class ConcernConfig(_Model):
    """``config/concerns.yaml``: categories and the limits of the channel."""

    max_text_length: int = Field(default=MAX_TEXT_LENGTH, ge=1, le=4000)
    small_enterprise_workers: int = Field(default=50, ge=0)
    concerns_per_day: int = Field(default=3, ge=1)
    messages_per_minute: int = Field(default=20, ge=1)
    receipt_attempts_per_day: int = Field(default=10, ge=1)
    escalate_after_days: int = Field(default=7, ge=1)
    notice_times: tuple[time, ...] = Field(default=(time(8), time(14)), min_length=1)
    # Pushed answers go out in batches, never in the officer's request (scheduler/concern_jobs.py):
    # a batch every ``push_every_minutes``, each after a random extra wait of up to
    # ``push_jitter_minutes`` (shorter than the period, so batches never overlap).
    push_every_minutes: int = Field(default=20, ge=1, le=24 * 60)
    push_jitter_minutes: int = Field(default=10, ge=0, le=24 * 60)
    # A seal is deleted this many days after the case's last answer or status change, even if
    # the case is never closed.
    push_seal_days: int = Field(default=30, ge=1)
    categories: tuple[Category, ...] = Field(min_length=1)

    @field_validator("notice_times", mode="before")
    @classmethod
    def _sexagesimal(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 14:00 as the base-60 number 840 (= 14 × 60): take it back.
        if isinstance(value, list | tuple):
            return [
                time(item // 60, item % 60) if isinstance(item, int) and 0 <= item < 1440 else item
                for item in value
            ]
        return value

    @field_validator("notice_times")
    @classmethod
    def _distinct_times(cls, value: tuple[time, ...]) -> tuple[time, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a time is listed twice")
        return tuple(sorted(value))

    @model_validator(mode="after")
    def _batches_do_not_overlap(self) -> ConcernConfig:
        if self.push_jitter_minutes >= self.push_every_minutes:
            raise ValueError("push_jitter_minutes must be shorter than push_every_minutes")
        return self

    @field_validator("categories")
    @classmethod
    def _distinct_codes(cls, value: tuple[Category, ...]) -> tuple[Category, ...]:
        seen: set[str] = set()
        for category in value:
            if category.code in seen:
                raise ValueError(f"category {category.code!r} is listed twice")
            seen.add(category.code)
        return value

    def category(self, code: str) -> Category | None:
        for category in self.categories:
            if category.code == code:
                return category
        return None


def load_concern_config(path: Path = DEFAULT_CONCERNS_FILE) -> ConcernConfig:
    """Load and check the concern settings; ConfigFileError (one line) on any problem."""
    return load_yaml_model(path, ConcernConfig)


# --- cleaning texts -------------------------------------------------------------------------

_NEWLINES: Final = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})
_BLANK_LINES: Final = re.compile(r"\n{3,}")


def clean_text(text: str, *, limit: int = MAX_TEXT_LENGTH) -> str:
    """NFC, line breaks unified, zero-width / direction-override / control characters removed,
    trailing spaces and runs of blank lines trimmed. Never shortens the text: too long →
    TextTooLong(length, limit); nothing left → EmptyText."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").translate(_NEWLINES))
    text = "".join(ch for ch in text if visible(ch)).replace("\t", " ")
    # Again: removing a joiner can leave a letter and its combining mark side by side.
    text = unicodedata.normalize("NFC", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if not text:
        raise EmptyText()
    if len(text) > limit:
        raise TextTooLong(len(text), limit)
    return text


# --- views ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseView:
    enterprise_id: int
    code: str
    name: str
    worker_count: int | None
    small: bool  # fewer workers than small_enterprise_workers, or unknown: warn the worker
    union_name: str | None  # None: no trade union yet, concerns go to the zone union
    zone_union_name: str | None = None  # where its concerns go when it has no union (named)


@dataclass(frozen=True)
class Submission:
    case_code: str
    receipt: str = field(repr=False)  # "1234 5678 9012": shown once, never stored


@dataclass(frozen=True)
class ReplyView:
    number: int
    created_on: date
    signed_as: str  # the organisation, never the person
    text: str | None  # None: no key opens it here (moved or altered row, or a key removed)


@dataclass(frozen=True)
class CaseStatus:
    """What a worker sees with their receipt. Not their own text: a leaked receipt must not
    hand it to someone else."""

    case_code: str
    enterprise_name: str
    category: str
    status: ConcernStatus
    created_on: date
    status_changed_on: date
    replies: tuple[ReplyView, ...]
    push: bool
    escalated_to: str | None = None  # the zone union's name, once passed on


@dataclass(frozen=True)
class InboxCase:
    concern_id: str
    case_code: str
    enterprise_id: int
    enterprise_name: str
    category: str
    status: ConcernStatus
    created_on: date
    status_changed_on: date
    # Cleaned on the way in; still escape it when rendering. None: no key opens it here (the
    # row was moved to another enterprise or altered, or its key was removed).
    text: str | None
    replies: tuple[ReplyView, ...]
    overdue: bool
    escalated_to: str | None  # the zone union's name (the zone's when it has no union)
    as_zone: bool  # the viewer sees it as an officer of the zone union, not of the enterprise


@dataclass(frozen=True)
class ReplyResult:
    """What the officer is told. Nothing here says whether the worker asked for pushes."""

    concern_id: str
    case_code: str
    reply: ReplyView


@dataclass(frozen=True)
class PushDue:
    """An answer to deliver to the worker who asked for it. ``target`` ("telegram:123") was
    opened from the seal for this batch: it lives in memory only, never in a log or a row."""

    reply_id: str
    case_code: str
    reply: ReplyView
    target: str = field(repr=False)


@dataclass(frozen=True)
class PushBatch:
    due: tuple[PushDue, ...]
    unopened: int  # answers dropped because their seal did not open (keys rotated, no reseal)


@dataclass(frozen=True)
class Escalation:
    concern_id: str
    case_code: str
    enterprise_id: int
    zone_id: int
    zone_name: str  # the zone union's name (the zone's when it has no union)


@dataclass(frozen=True)
class NoticeLine:
    enterprise_id: int
    enterprise_name: str
    new_cases: int
    escalated_cases: int


@dataclass(frozen=True)
class PendingNotice:
    person_id: int
    lines: tuple[NoticeLine, ...]
    concern_ids: tuple[str, ...]


def _context(concern_id: str) -> str:
    return f"concern:{concern_id}"


# What each text is bound to (services/anonymity.encrypt_text): its row, and what the row
# belongs to. A case's text names its enterprise and a reply names its case, so a database
# writer without the key cannot hand a case to another enterprise's officers, or show an answer
# under another case.


def _case_owner(enterprise_id: int) -> str:
    return f"enterprise:{enterprise_id}"


def _reply_context(reply_id: str) -> str:
    return f"reply:{reply_id}"


def _readable(keys: ConcernKeys, blob: bytes, context: str, owner: str) -> str | None:
    """The text, or None (logged) when no key opens it for this row and owner. One altered row
    must not make the whole inbox, or a worker's status, fail."""
    try:
        return decrypt_text(keys, blob, context, owner=owner)
    except UndecryptableText:
        # The row id is random and says nothing of the worker; the operator needs it to look.
        log.warning(
            "%s cannot be decrypted: moved or altered in the database, or its key was removed",
            context,
        )
        return None


# --- rate limits ----------------------------------------------------------------------------


def _purpose_hash(subject: str, purpose: LimitPurpose) -> str:
    # One more keyed hash per purpose: a worker's concerns and receipt checks are rows that
    # nothing in the table joins.
    return hmac.new(subject.encode(), purpose.value.encode(), hashlib.sha256).hexdigest()


async def prune_limits(session: AsyncSession, today: date) -> None:
    """Delete the rate-limit rows that can never match again, also when nobody writes
    (``_take`` prunes only then). The hourly retention job (scheduler/retention.py) calls it.
    Commits."""
    # Subjects rotate daily, so older rows can never match again; keeping yesterday's too
    # tolerates callers whose "today" differs by a time zone.
    await daily_limits.prune(session, ConcernLimit, today - timedelta(days=1))
    await session.commit()


async def _take(
    session: AsyncSession, purpose: LimitPurpose, subject: str, today: date, limit: int
) -> bool:
    """Record one more use if fewer than ``limit`` were made today; False when the limit is
    reached. One row per use, so nothing in the table tells which uses share an author
    (services/daily_limits.py); atomic on both backends."""
    # Subjects rotate daily, so older rows can never match again; keeping yesterday's too
    # tolerates callers whose "today" differs by a time zone.
    await daily_limits.prune(session, ConcernLimit, today - timedelta(days=1))
    return await daily_limits.take(
        session, ConcernLimit, _purpose_hash(subject, purpose), today, limit, purpose=purpose
    )


async def _used(
    session: AsyncSession, purpose: LimitPurpose, subject: str, today: date, limit: int
) -> int:
    return await daily_limits.used(
        session, ConcernLimit, _purpose_hash(subject, purpose), today, limit, purpose=purpose
    )


# --- the worker's side ----------------------------------------------------------------------


async def _trade_union(session: AsyncSession, enterprise_id: int) -> ReportingUnit | None:
    union: ReportingUnit | None = await session.scalar(
        select(ReportingUnit)
        .where(
            ReportingUnit.org_node_id == enterprise_id,
            ReportingUnit.kind == UnitKind.TRADE_UNION,
            ReportingUnit.active.is_(True),
        )
        .order_by(ReportingUnit.id)
        .limit(1)
    )
    return union


async def _zone_of(session: AsyncSession, enterprise_id: int) -> OrgNode | None:
    """The nearest ancestor that is an industrial or economic zone, or a commune or ward."""
    node = await session.get(OrgNode, enterprise_id)
    for _ in range(32):  # the tree is a handful of levels deep; a cycle must not hang a job
        if node is None or node.parent_id is None:
            return None
        node = await session.get(OrgNode, node.parent_id)
        if node is not None and node.kind in ZONE_KINDS:
            return node
    return None


async def _enterprise(session: AsyncSession, enterprise_id: int) -> OrgNode:
    node = await session.get(OrgNode, enterprise_id)
    if node is None or node.kind is not NodeKind.ENTERPRISE or not node.active:
        raise EnterpriseNotFound()
    return node


# What people put between the parts of a code: spaces, hyphens and dashes, dots, underscores.
_CODE_SEPARATORS: Final = re.compile(r"[\s\-\u2010-\u2015\u2212._]+")
_SQL_SEPARATORS: Final = (" ", "-", ".", "_")


def compact_code(text: str) -> str:
    """ "dn dt 01", "Dn – dt-01", "ＤＮ－ＤＴ－０１" → "DNDT01": a code as people type it."""
    return _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def _compact_column(column: Any) -> Any:
    for separator in _SQL_SEPARATORS:
        column = func.replace(column, separator, "")
    return func.upper(column)


async def enterprise_by_code(
    session: AsyncSession, code: str, *, config: ConcernConfig
) -> EnterpriseView:
    """The enterprise of a deep link (``c_<code>``) or a typed code, as people type it: any
    letter case, spaces or dashes between the parts or none (``dn dt 01`` is ``DN-DT-01``)."""
    wanted = unicodedata.normalize("NFKC", code).strip().upper()
    compact = compact_code(wanted)
    enterprises = (OrgNode.kind == NodeKind.ENTERPRISE, OrgNode.active.is_(True))
    node = None
    if 0 < len(wanted) <= 64 and compact:
        node = await session.scalar(
            select(OrgNode).where(func.upper(OrgNode.code) == wanted, *enterprises)
        )
        if node is None:
            # Two codes that differ only by their separators would be ambiguous: neither.
            found = (
                await session.scalars(
                    select(OrgNode)
                    .where(_compact_column(OrgNode.code) == compact, *enterprises)
                    .limit(2)
                )
            ).all()
            node = found[0] if len(found) == 1 else None
    if node is None:
        raise EnterpriseNotFound()
    union = await _trade_union(session, node.id)
    zone_union = None
    if union is None:
        zone = await _zone_of(session, node.id)
        if zone is not None:
            zone_union = (await _union_names(session, [zone.id])).get(zone.id)
    return EnterpriseView(
        enterprise_id=node.id,
        code=node.code,
        name=node.name,
        worker_count=node.worker_count,
        small=node.worker_count is None or node.worker_count < config.small_enterprise_workers,
        union_name=union.name if union else None,
        zone_union_name=zone_union,
    )


async def ensure_can_submit(
    session: AsyncSession, subject: str, today: date, *, config: ConcernConfig
) -> None:
    """TooManyConcerns when this subject has sent its concerns for today: said when a worker
    starts, not after they wrote the whole text. Reads only; submit_concern checks again."""
    limit = config.concerns_per_day
    if await _used(session, LimitPurpose.CONCERNS, subject, today, limit) >= limit:
        raise TooManyConcerns(limit=config.concerns_per_day)


async def _unused(session: AsyncSession, column: Any, value: str) -> bool:
    count = await session.scalar(select(func.count()).select_from(Concern).where(column == value))
    return count == 0


async def submit_concern(
    session: AsyncSession,
    *,
    enterprise_id: int,
    category: str,
    text: str,
    subject: str,
    keys: ConcernKeys,
    today: date,
    push_chat_id: str | None = None,
    config: ConcernConfig,
) -> Submission:
    """Store a concern; return its public case code and the secret receipt (shown once).

    At most ``concerns_per_day`` per subject and day (TooManyConcerns). An enterprise without a
    trade union sends the case straight to its zone union. Commits.
    """
    if config.category(category) is None:
        raise UnknownCategory()
    body = clean_text(text, limit=config.max_text_length)
    enterprise = await _enterprise(session, enterprise_id)
    await ensure_can_submit(session, subject, today, config=config)  # before any slow hashing
    zone = None
    if await _trade_union(session, enterprise.id) is None:
        zone = await _zone_of(session, enterprise.id)
    # The slow hash comes before the first write: no lock is held while it runs.
    while True:  # a clash is one in 10**12; checked rather than left to the unique index
        receipt = new_receipt()
        hashed = await hash_receipt(keys, receipt)
        if await _unused(session, Concern.receipt_hash, hashed):
            break
    case_code = new_case_code()
    while not await _unused(session, Concern.case_code, case_code):
        case_code = new_case_code()
    # The use's row is the arbiter (its primary key): parallel submissions cannot overshoot.
    if not await _take(session, LimitPurpose.CONCERNS, subject, today, config.concerns_per_day):
        await session.rollback()
        raise TooManyConcerns(limit=config.concerns_per_day)
    # Committed on its own: written in the concern's transaction, the use's row (whose hash a
    # holder of APP_SECRET can compute) would carry the same PostgreSQL transaction id as the
    # case. A failure below costs the worker one of the day's submissions, never a lost limit.
    await session.commit()
    concern_id = new_id()
    session.add(
        Concern(
            id=concern_id,
            case_code=case_code,
            receipt_hash=hashed,
            enterprise_id=enterprise.id,
            category=category,
            status=ConcernStatus.RECEIVED if zone is None else ConcernStatus.ESCALATED,
            created_on=today,
            status_changed_on=today,
            escalated_on=None if zone is None else today,
            escalated_to_node_id=None if zone is None else zone.id,
            text_encrypted=encrypt_text(
                keys, body, _context(concern_id), owner=_case_owner(enterprise.id)
            ),
            push_sealed=(
                None
                if push_chat_id is None
                else seal_chat_id(keys, push_chat_id, _context(concern_id))
            ),
            notified=False,
            released=False,  # the next notice batch releases it (``_release``)
        )
    )
    # No audit entry: its timestamp would be the exact time of the concern.
    await session.commit()
    return Submission(case_code=case_code, receipt=display_receipt(receipt))


async def _by_receipt(
    session: AsyncSession,
    receipt_text: str,
    subject: str,
    keys: ConcernKeys,
    today: date,
    config: ConcernConfig,
) -> Concern:
    receipt = normalize_receipt(receipt_text)
    if receipt is None:
        raise ReceiptMalformed()
    # Every check counts, whatever it finds: each costs a slow hash, so a valid receipt checked
    # over and over must be capped as well as guessing is. Reserved before hashing: parallel
    # checks cannot overshoot the limit, and over it nothing is hashed or looked up at all.
    taken = await _take(
        session, LimitPurpose.RECEIPT_ATTEMPTS, subject, today, config.receipt_attempts_per_day
    )
    if not taken:
        await session.rollback()
        raise TooManyAttempts(limit=config.receipt_attempts_per_day)
    await session.commit()
    hashed = await hash_receipt(keys, receipt)
    concern = await session.scalar(select(Concern).where(Concern.receipt_hash == hashed))
    if concern is None or not same_secret(concern.receipt_hash, hashed):
        raise ReceiptNotRecognised()
    return concern


async def _replies(
    session: AsyncSession, concern_ids: Sequence[str], keys: ConcernKeys
) -> dict[str, tuple[ReplyView, ...]]:
    found: dict[str, list[ReplyView]] = defaultdict(list)
    if not concern_ids:
        return {}
    rows = await session.scalars(
        select(ConcernReply)
        .where(ConcernReply.concern_id.in_(concern_ids))
        .order_by(ConcernReply.concern_id, ConcernReply.number)
    )
    for row in rows:
        found[row.concern_id].append(
            ReplyView(
                number=row.number,
                created_on=row.created_on,
                signed_as=row.signed_as,
                text=_readable(
                    keys, row.body_encrypted, _reply_context(row.id), _context(row.concern_id)
                ),
            )
        )
    return {key: tuple(value) for key, value in found.items()}


async def lookup(
    session: AsyncSession,
    receipt_text: str,
    subject: str,
    keys: ConcernKeys,
    today: date,
    *,
    config: ConcernConfig,
) -> CaseStatus:
    """A case's status and the union's replies, for whoever holds its receipt.

    A wrong and a nonexistent receipt get the same ReceiptNotRecognised. Every well-formed
    check, found or not, counts against ``receipt_attempts_per_day`` for the subject; past it,
    TooManyAttempts before any hashing.
    """
    concern = await _by_receipt(session, receipt_text, subject, keys, today, config)
    enterprise_name = await session.scalar(
        select(OrgNode.name).where(OrgNode.id == concern.enterprise_id)
    )
    replies = await _replies(session, [concern.id], keys)
    zone = concern.escalated_to_node_id
    escalated_to = None if zone is None else (await _union_names(session, [zone])).get(zone)
    return CaseStatus(
        case_code=concern.case_code,
        enterprise_name=enterprise_name or "",
        category=concern.category,
        status=concern.status,
        created_on=concern.created_on,
        status_changed_on=concern.status_changed_on,
        replies=replies.get(concern.id, ()),
        push=concern.push_sealed is not None,
        escalated_to=escalated_to,
    )


async def set_push(
    session: AsyncSession,
    receipt_text: str,
    chat_id: str | None,
    *,
    subject: str,
    keys: ConcernKeys,
    today: date,
    config: ConcernConfig,
) -> bool:
    """Opt in (a chat id) or out (None) of pushed replies for the receipt's case. The receipt is
    checked like ``lookup``. Returns whether replies are now pushed. Commits."""
    concern = await _by_receipt(session, receipt_text, subject, keys, today, config)
    if chat_id is not None and concern.status is ConcernStatus.CLOSED:
        raise CaseClosed()
    concern.push_sealed = (
        None if chat_id is None else seal_chat_id(keys, chat_id, _context(concern.id))
    )
    await session.commit()
    return chat_id is not None


# --- the officers' side ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Unions:
    """Where a person is an active officer: enterprise id → trade union name, zone id → zone
    union name."""

    enterprises: dict[int, str]
    zones: dict[int, str]


async def _unions_of(session: AsyncSession, person_id: int) -> _Unions:
    rows = (
        await session.execute(
            select(ReportingUnit.kind, ReportingUnit.org_node_id, ReportingUnit.name)
            .join(RoleAssignment, RoleAssignment.reporting_unit_id == ReportingUnit.id)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(
                RoleAssignment.person_id == person_id,
                RoleAssignment.role == Role.OFFICER,
                RoleAssignment.revoked_at.is_(None),
                Person.revoked_at.is_(None),
                ReportingUnit.active.is_(True),
                ReportingUnit.kind.in_([UnitKind.TRADE_UNION, UnitKind.ZONE_UNION]),
            )
            .order_by(ReportingUnit.id)
        )
    ).all()
    unions = _Unions({}, {})
    for kind, node_id, name in rows:
        target = unions.enterprises if kind is UnitKind.TRADE_UNION else unions.zones
        target.setdefault(node_id, name)
    return unions


def _signature(unions: _Unions, concern: Concern) -> str | None:
    """The organisation in whose name this person acts on this case, or None: not theirs.

    Once escalated, only the zone union acts: the enterprise's union must not be able to close
    (bury) a case that was passed above it."""
    if concern.escalated_to_node_id is not None:
        return unions.zones.get(concern.escalated_to_node_id)
    return unions.enterprises.get(concern.enterprise_id)


def _overdue(concern: Concern, today: date, config: ConcernConfig) -> bool:
    waiting = concern.status in OPEN_STATUSES and (
        (today - concern.created_on).days >= config.escalate_after_days
    )
    return concern.overdue or waiting


async def _names(session: AsyncSession, node_ids: Collection[int]) -> dict[int, str]:
    if not node_ids:
        return {}
    rows = await session.execute(select(OrgNode.id, OrgNode.name).where(OrgNode.id.in_(node_ids)))
    return {node_id: name for node_id, name in rows.all()}


async def _union_names(session: AsyncSession, zone_ids: Collection[int]) -> dict[int, str]:
    """Zone node id → the name of its zone union ("Công đoàn KCN Đình Trám"): a case goes to
    the union, not to the industrial zone. The zone's own name when it has no active union."""
    names = await _names(session, zone_ids)
    if not names:
        return {}
    rows = await session.execute(
        select(ReportingUnit.org_node_id, ReportingUnit.name)
        .where(
            ReportingUnit.org_node_id.in_(names),
            ReportingUnit.kind == UnitKind.ZONE_UNION,
            ReportingUnit.active.is_(True),
        )
        .order_by(ReportingUnit.id.desc())  # the oldest union wins below
    )
    names.update({node_id: name for node_id, name in rows.all()})
    return names


async def _inbox_cases(
    session: AsyncSession,
    concerns: Sequence[Concern],
    unions: _Unions,
    today: date,
    keys: ConcernKeys,
    config: ConcernConfig,
) -> list[InboxCase]:
    names = await _names(session, {c.enterprise_id for c in concerns})
    zones = await _union_names(
        session, {c.escalated_to_node_id for c in concerns if c.escalated_to_node_id is not None}
    )
    replies = await _replies(session, [c.id for c in concerns], keys)
    return [
        InboxCase(
            concern_id=c.id,
            case_code=c.case_code,
            enterprise_id=c.enterprise_id,
            enterprise_name=names.get(c.enterprise_id, ""),
            category=c.category,
            status=c.status,
            created_on=c.created_on,
            status_changed_on=c.status_changed_on,
            text=_readable(keys, c.text_encrypted, _context(c.id), _case_owner(c.enterprise_id)),
            replies=replies.get(c.id, ()),
            overdue=_overdue(c, today, config),
            escalated_to=(
                None if c.escalated_to_node_id is None else zones.get(c.escalated_to_node_id)
            ),
            as_zone=c.enterprise_id not in unions.enterprises,
        )
        for c in concerns
    ]


async def inbox(
    session: AsyncSession,
    person_id: int,
    today: date,
    *,
    keys: ConcernKeys,
    config: ConcernConfig,
    include_closed: bool = False,
) -> list[InboxCase]:
    """Cases of the enterprises whose trade union this person serves, and cases escalated to
    the zones whose zone union they serve; oldest first (by date, then the random case code,
    so the order within a day says nothing)."""
    unions = await _unions_of(session, person_id)
    scope = []
    if unions.enterprises:
        scope.append(Concern.enterprise_id.in_(unions.enterprises))
    if unions.zones:
        scope.append(Concern.escalated_to_node_id.in_(unions.zones))
    if not scope:
        return []
    # Only cases a batch has released (``notified``): seeing one the moment it arrives would
    # tell an officer who was on their phone at that minute.
    statement = (
        select(Concern)
        .where(or_(*scope), Concern.notified.is_(True))
        .order_by(Concern.created_on, Concern.case_code)
    )
    if not include_closed:
        statement = statement.where(Concern.status != ConcernStatus.CLOSED)
    concerns = (await session.scalars(statement)).all()
    return await _inbox_cases(session, concerns, unions, today, keys, config)


async def _officer_case(
    session: AsyncSession, person_id: int, concern_id: str, *, lock: bool = False
) -> tuple[Concern, _Unions, str]:
    statement = select(Concern).where(Concern.id == concern_id, Concern.notified.is_(True))
    concern = await session.scalar(statement.with_for_update() if lock else statement)
    if concern is None:
        raise CaseNotFound()
    unions = await _unions_of(session, person_id)
    signed_as = _signature(unions, concern)
    if signed_as is None:
        raise NotCaseOfficer()
    return concern, unions, signed_as


async def get_case(
    session: AsyncSession,
    person_id: int,
    concern_id: str,
    today: date,
    *,
    keys: ConcernKeys,
    config: ConcernConfig,
) -> InboxCase:
    """One case as the inbox shows it, checked like every officer action."""
    concern, unions, _ = await _officer_case(session, person_id, concern_id)
    (view,) = await _inbox_cases(session, [concern], unions, today, keys, config)
    return view


async def reply(
    session: AsyncSession,
    person_id: int,
    concern_id: str,
    text: str,
    today: date,
    *,
    keys: ConcernKeys,
    config: ConcernConfig,
) -> ReplyResult:
    """Answer a case in the name of the union (never the person); status → answered. The answer
    waits for the pushed-answers batch (``take_pushes``) whether or not the worker asked for
    pushes: this request does the same work either way. Commits."""
    concern, _, signed_as = await _officer_case(session, person_id, concern_id, lock=True)
    if concern.status is ConcernStatus.CLOSED:
        raise CaseClosed()
    body = clean_text(text, limit=config.max_text_length)
    last = await session.scalar(
        select(func.max(ConcernReply.number)).where(ConcernReply.concern_id == concern.id)
    )
    reply_id = new_id()
    number = (last or 0) + 1
    session.add(
        ConcernReply(
            id=reply_id,
            concern_id=concern.id,
            number=number,
            created_on=today,
            body_encrypted=encrypt_text(
                keys, body, _reply_context(reply_id), owner=_context(concern.id)
            ),
            signed_as=signed_as,
            officer_person_id=person_id,
            push_pending=True,
        )
    )
    concern.status = ConcernStatus.ANSWERED
    concern.status_changed_on = today
    concern.answered_on = concern.answered_on or today
    audit.record(
        session,
        actor=f"person:{person_id}",
        action="concern.reply",
        entity="concern",
        entity_id=concern.id,
        number=number,
    )
    result = ReplyResult(
        concern_id=concern.id,
        case_code=concern.case_code,
        reply=ReplyView(number=number, created_on=today, signed_as=signed_as, text=body),
    )
    await session.commit()
    return result


async def set_status(
    session: AsyncSession, person_id: int, concern_id: str, status: ConcernStatus, today: date
) -> ConcernStatus:
    """Mark a case in progress, answered or closed. Closing deletes the push seal (nothing links
    the case to a chat any more) unless an answer still waits for the push batch: the batch
    deletes it after delivering (``forget_closed_seals``). Commits."""
    if status not in SETTABLE_STATUSES:
        raise StatusNotSettable()
    concern, _, _ = await _officer_case(session, person_id, concern_id, lock=True)
    if concern.status is ConcernStatus.CLOSED:
        raise CaseClosed()
    if concern.status is not status:
        audit.record(
            session,
            actor=f"person:{person_id}",
            action="concern.status",
            entity="concern",
            entity_id=concern.id,
            old=concern.status.value,
            new=status.value,
        )
        concern.status = status
        concern.status_changed_on = today
        if status is ConcernStatus.ANSWERED:
            concern.answered_on = concern.answered_on or today
    # Asked whatever the case holds: the officer's request costs the same either way.
    if status is ConcernStatus.CLOSED and not await _push_waiting(session, concern.id):
        concern.push_sealed = None
    await session.commit()
    return concern.status


def _escalate_to(concern: Concern, zone: OrgNode, today: date) -> None:
    concern.status = ConcernStatus.ESCALATED
    concern.status_changed_on = today
    concern.escalated_on = today
    concern.escalated_to_node_id = zone.id
    concern.notified = False  # the zone's officers hear of it in the next batch


async def _escalation(
    session: AsyncSession, person_id: int, concern_id: str, *, lock: bool
) -> tuple[Concern, OrgNode]:
    """The case and the zone it would pass to, if this officer may pass it on now."""
    concern, unions, _ = await _officer_case(session, person_id, concern_id, lock=lock)
    if concern.enterprise_id not in unions.enterprises:
        raise NotCaseOfficer()  # a zone officer already has it
    if concern.status is ConcernStatus.CLOSED:
        raise CaseClosed()
    if concern.escalated_to_node_id is not None:
        names = await _union_names(session, [concern.escalated_to_node_id])
        raise AlreadyEscalated(zone=names.get(concern.escalated_to_node_id, "?"))
    zone = await _zone_of(session, concern.enterprise_id)
    if zone is None:
        raise NoZoneAbove()
    return concern, zone


async def escalation_target(session: AsyncSession, person_id: int, concern_id: str) -> Escalation:
    """What passing the case on would do (case code, zone), asked before it is done: it cannot
    be taken back. Reads only."""
    concern, zone = await _escalation(session, person_id, concern_id, lock=False)
    union = (await _union_names(session, [zone.id])).get(zone.id, zone.name)
    return Escalation(concern.id, concern.case_code, concern.enterprise_id, zone.id, union)


async def escalate(
    session: AsyncSession, person_id: int, concern_id: str, today: date
) -> Escalation:
    """Pass a case to the zone union above its enterprise. Commits."""
    concern, zone = await _escalation(session, person_id, concern_id, lock=True)
    _escalate_to(concern, zone, today)
    audit.record(
        session,
        actor=f"person:{person_id}",
        action="concern.escalate",
        entity="concern",
        entity_id=concern.id,
        zone=zone.code,
    )
    union = (await _union_names(session, [zone.id])).get(zone.id, zone.name)
    result = Escalation(concern.id, concern.case_code, concern.enterprise_id, zone.id, union)
    await session.commit()
    return result


# --- jobs (the scheduler calls these) -------------------------------------------------------


async def pending_notices(session: AsyncSession) -> list[PendingNotice]:
    """Per officer to notify: how many cases per enterprise are new (or newly escalated to
    their zone) since the last batch. Reads only; ``mark_notified`` after sending."""
    cases = (
        await session.execute(
            select(Concern.id, Concern.enterprise_id, Concern.escalated_to_node_id, Concern.status)
            .where(Concern.notified.is_(False), Concern.status != ConcernStatus.CLOSED)
            .order_by(Concern.id)
        )
    ).all()
    if not cases:
        return []
    nodes = {c.enterprise_id for c in cases} | {
        c.escalated_to_node_id for c in cases if c.escalated_to_node_id is not None
    }
    officers = (
        await session.execute(
            select(RoleAssignment.person_id, ReportingUnit.org_node_id, ReportingUnit.kind)
            .join(ReportingUnit, ReportingUnit.id == RoleAssignment.reporting_unit_id)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(
                RoleAssignment.role == Role.OFFICER,
                RoleAssignment.revoked_at.is_(None),
                Person.revoked_at.is_(None),
                ReportingUnit.active.is_(True),
                ReportingUnit.org_node_id.in_(nodes),
                ReportingUnit.kind.in_([UnitKind.TRADE_UNION, UnitKind.ZONE_UNION]),
            )
        )
    ).all()
    at_enterprise: dict[int, set[int]] = defaultdict(set)
    at_zone: dict[int, set[int]] = defaultdict(set)
    for person_id, node_id, kind in officers:
        (at_enterprise if kind is UnitKind.TRADE_UNION else at_zone)[node_id].add(person_id)

    counts: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    ids: dict[int, list[str]] = defaultdict(list)
    for concern_id, enterprise_id, zone_id, status in cases:
        recipients = set(at_enterprise.get(enterprise_id, ()))
        if zone_id is not None:
            recipients |= at_zone.get(zone_id, set())
        for person_id in recipients:
            counts[person_id][enterprise_id][status is ConcernStatus.ESCALATED] += 1
            ids[person_id].append(concern_id)
    names = await _names(session, {c.enterprise_id for c in cases})
    return [
        PendingNotice(
            person_id=person_id,
            lines=tuple(
                NoticeLine(enterprise_id, names.get(enterprise_id, ""), new, escalated)
                for enterprise_id, (new, escalated) in sorted(
                    per_enterprise.items(), key=lambda item: names.get(item[0], "")
                )
            ),
            concern_ids=tuple(ids[person_id]),
        )
        for person_id, per_enterprise in sorted(counts.items())
    ]


# Rows per statement when a batch looks up the cases it was given (bound-parameter limits).
_CHUNK: Final = 500


async def _release(session: AsyncSession, concern_ids: Collection[str] | None) -> int:
    """Mark the given cases (None: every case not yet notified) notified and released, and
    rewrite their rows in a random order, in one transaction. Commits.

    On PostgreSQL an UPDATE writes a new version of the row: it gets the updating transaction's
    id (``xmin``) and the next free place in the table (``ctid``, the order ``SELECT *`` and
    pg_dump follow). Cases are inserted one at a time as workers send them, so in arrival
    order; one UPDATE statement over them all would rewrite them in that same order. Updating
    them one by one in a shuffled order gives every row of the batch the same ``xmin`` and a
    physical order drawn at random. An UPDATE, not a DELETE and a re-INSERT: the row keeps its
    identity, so its replies (a foreign key with ON DELETE CASCADE) are never touched, and a
    worker's concurrent /kiemtra write (push opt-in) waits for the batch and then applies to
    the new version instead of finding its row gone. The old versions stay in the data files
    until autovacuum reclaims them.

    SQLite keeps ``concerns`` WITHOUT ROWID, a B-tree ordered by the random id: its order says
    nothing of arrival already, and the shuffle costs nothing there.
    """
    pending = select(Concern.id).where(Concern.notified.is_(False))
    if concern_ids is None:
        chunks: list[list[str] | None] = [None]
    else:
        wanted = sorted(set(concern_ids))
        chunks = [wanted[start : start + _CHUNK] for start in range(0, len(wanted), _CHUNK)]
    ids: list[str] = []
    for chunk in chunks:
        statement = pending if chunk is None else pending.where(Concern.id.in_(chunk))
        # Locked in id order, as escalate_overdue locks: two jobs never wait on each other in a
        # cycle, however the updates below are ordered.
        ids += (await session.scalars(statement.order_by(Concern.id).with_for_update())).all()
    _SHUFFLE.shuffle(ids)
    if ids:
        table = cast(Table, Concern.__table__)
        # One statement executed once per row, in the shuffled order (an executemany keeps it).
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("concern_id"))
            .values(notified=True, released=True),
            [{"concern_id": concern_id} for concern_id in ids],
        )
        # Core statements do not touch the session's objects: keep loaded cases in step.
        for concern_id in ids:
            loaded = session.identity_map.get(session.identity_key(Concern, (concern_id,)))
            if loaded is not None:
                set_committed_value(loaded, "notified", True)
                set_committed_value(loaded, "released", True)
    await session.commit()
    return len(ids)


async def release_pending(session: AsyncSession) -> int:
    """Release every case not yet notified to its officers (run by each notice batch, whether
    or not a notice reached anyone): it appears in /hopthu and in the committee's digests now,
    not before. The batch's rows are rewritten in a random order (``_release``). Returns how
    many. Commits."""
    return await _release(session, None)


async def mark_notified(session: AsyncSession, concern_ids: Collection[str]) -> None:
    """The batch notice about these cases went out: they are notified and released. Commits."""
    await _release(session, concern_ids)


async def escalate_overdue(
    session: AsyncSession, today: date, *, config: ConcernConfig
) -> list[Escalation]:
    """Cases still received or in progress ``escalate_after_days`` after they were sent go to
    the zone union by themselves and count as overdue. Commits."""
    cutoff = today - timedelta(days=config.escalate_after_days)
    concerns = (
        await session.scalars(
            select(Concern)
            .where(
                Concern.status.in_(OPEN_STATUSES),
                Concern.created_on <= cutoff,
                Concern.escalated_to_node_id.is_(None),  # once is enough; the zone has it
            )
            .order_by(Concern.id)
            .with_for_update()
        )
    ).all()
    zones: dict[int, OrgNode | None] = {}
    unions: dict[int, str] = {}
    done: list[Escalation] = []
    for concern in concerns:
        if concern.enterprise_id not in zones:
            zones[concern.enterprise_id] = await _zone_of(session, concern.enterprise_id)
        zone = zones[concern.enterprise_id]
        if zone is None:
            continue  # an enterprise outside any zone stays with its union, still overdue
        _escalate_to(concern, zone, today)
        concern.overdue = True
        audit.record(
            session,
            actor="system",
            action="concern.escalate_overdue",
            entity="concern",
            entity_id=concern.id,
            zone=zone.code,
        )
        if zone.id not in unions:
            unions.update(await _union_names(session, [zone.id]))
        done.append(
            Escalation(
                concern.id,
                concern.case_code,
                concern.enterprise_id,
                zone.id,
                unions.get(zone.id, zone.name),
            )
        )
    await session.commit()
    return done


# --- pushed answers (the scheduler calls these) ----------------------------------------------

PUSH_BATCH: Final = 200  # answers per batch; the rest wait for the next one


def _waiting_pushes() -> Any:
    return select(ConcernReply.concern_id).where(ConcernReply.push_pending.is_(True))


async def _push_waiting(session: AsyncSession, concern_id: str) -> bool:
    found = await session.scalar(
        _waiting_pushes().where(ConcernReply.concern_id == concern_id).limit(1)
    )
    return found is not None


async def pending_pushes(session: AsyncSession, *, limit: int = PUSH_BATCH) -> list[str]:
    """Ids of answers waiting for the push batch: every answer, pushed or not (``reply``). The
    batch takes these, waits, then delivers them (``take_pushes``). Reads only."""
    rows = await session.scalars(
        select(ConcernReply.id)
        .where(ConcernReply.push_pending.is_(True))
        .order_by(ConcernReply.concern_id, ConcernReply.number)
        .limit(limit)
    )
    return list(rows)


async def take_pushes(
    session: AsyncSession, keys: ConcernKeys, reply_ids: Collection[str]
) -> PushBatch:
    """Of these answers, those still waiting: the ones to deliver, their seals opened (in
    memory), in case and answer order. The rest are settled here: answers nobody asked to
    receive, and answers whose seal does not open (counted in ``unopened``). Call
    ``push_done`` for each one delivered. Commits."""
    due: list[PushDue] = []
    settled: list[str] = []
    unopened = 0
    chunk = list(reply_ids)
    for start in range(0, len(chunk), 500):
        rows = (
            await session.execute(
                select(ConcernReply, Concern.case_code, Concern.push_sealed)
                .join(Concern, Concern.id == ConcernReply.concern_id)
                .where(
                    ConcernReply.id.in_(chunk[start : start + 500]),
                    ConcernReply.push_pending.is_(True),
                )
                .order_by(ConcernReply.concern_id, ConcernReply.number)
            )
        ).all()
        for row, case_code, sealed in rows:
            if sealed is None:
                settled.append(row.id)
                continue
            try:
                target = open_chat_id(keys, sealed, _context(row.concern_id))
                text = decrypt_text(
                    keys,
                    row.body_encrypted,
                    _reply_context(row.id),
                    owner=_context(row.concern_id),
                )
            except UndecryptableText:
                settled.append(row.id)
                unopened += 1
                continue
            view = ReplyView(row.number, row.created_on, row.signed_as, text)
            due.append(PushDue(row.id, case_code, view, target))
    for start in range(0, len(settled), 500):
        await session.execute(
            update(ConcernReply)
            .where(ConcernReply.id.in_(settled[start : start + 500]))
            .values(push_pending=False)
        )
    await session.commit()
    return PushBatch(tuple(due), unopened)


async def push_done(session: AsyncSession, reply_id: str) -> None:
    """This answer was delivered, or dropped for good: the batch will not take it again.
    Commits."""
    await session.execute(
        update(ConcernReply).where(ConcernReply.id == reply_id).values(push_pending=False)
    )
    await session.commit()


async def forget_closed_seals(session: AsyncSession) -> int:
    """Delete the seals of closed cases whose last answers have been pushed (closing keeps the
    seal while an answer still waits for the batch). Commits."""
    result = await session.execute(
        update(Concern)
        .where(
            Concern.push_sealed.is_not(None),
            Concern.status == ConcernStatus.CLOSED,
            Concern.id.not_in(_waiting_pushes()),
        )
        .values(push_sealed=None)
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def expire_push_seals(session: AsyncSession, today: date, *, config: ConcernConfig) -> int:
    """Delete the seals of answered cases left ``push_seal_days`` without a new answer or
    status change (and of closed cases, as ``forget_closed_seals``); the number deleted.

    A case never answered keeps its seal: the answer the worker asked for is still owed (and
    the case passes to the zone union after ``escalate_after_days``). An answer still waiting
    for the batch keeps it until it is delivered. Commits."""
    cutoff = today - timedelta(days=config.push_seal_days)
    result = await session.execute(
        update(Concern)
        .where(
            Concern.push_sealed.is_not(None),
            or_(
                Concern.status == ConcernStatus.CLOSED,
                and_(Concern.answered_on.is_not(None), Concern.status_changed_on <= cutoff),
            ),
            Concern.id.not_in(_waiting_pushes()),
        )
        .values(push_sealed=None)
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- key rotation (the admin CLI calls these) -----------------------------------------------


@dataclass(frozen=True)
class TextRotation:
    reencrypted: int  # rows now under CONCERN_TEXT_KEY, in the bound format
    # Rows no configured key opens where they are ("concern:<id>", "reply:<id>"): moved or
    # altered in the database, or their key was removed too early. Left as they are.
    unreadable: tuple[str, ...]


async def rotate_text_keys(
    session: AsyncSession, keys: ConcernKeys, *, batch: int = 200
) -> TextRotation:
    """Re-encrypt with CONCERN_TEXT_KEY, bound to row and owner, every concern and reply text
    that is under an old key or in the format from before the binding. Commits after each
    batch, so it can be interrupted and re-run. When it reports nothing unreadable, the old
    keys can be removed from CONCERN_TEXT_KEYS_OLD."""
    changed = 0
    unreadable: list[str] = []
    # (model, owner column, text column, row context, owner context)
    tables: tuple[tuple[Any, Any, Any, Any, Any], ...] = (
        (Concern, Concern.enterprise_id, Concern.text_encrypted, _context, _case_owner),
        (
            ConcernReply,
            ConcernReply.concern_id,
            ConcernReply.body_encrypted,
            _reply_context,
            _context,
        ),
    )
    for model, owner_column, column, context_of, owner_of in tables:
        last = ""
        while True:
            rows = (
                await session.execute(
                    select(model.id, owner_column, column)
                    .where(model.id > last)
                    .order_by(model.id)
                    .limit(batch)
                )
            ).all()
            if not rows:
                break
            for row_id, owner_id, blob in rows:
                context = context_of(row_id)
                try:
                    fresh = reencrypt_text(keys, blob, context, owner=owner_of(owner_id))
                except UndecryptableText:
                    unreadable.append(context)
                    continue
                if fresh is not None:
                    await session.execute(
                        update(model).where(model.id == row_id).values({column.key: fresh})
                    )
                    changed += 1
            last = rows[-1][0]
            await session.commit()
    return TextRotation(reencrypted=changed, unreadable=tuple(unreadable))


async def reseal_push_targets(
    session: AsyncSession, keys: ConcernKeys, old_private_key: X25519PrivateKey
) -> int:
    """After a new CONCERN_PUSH_* pair: open each seal with the old private key and seal it to
    the new public key; the number of rows changed. Seals already under the new pair are kept.
    Commits."""
    old = ConcernKeys(
        text_key=keys.text_key,
        old_text_keys=(),
        receipt_pepper=keys.receipt_pepper,
        rate_secret=keys.rate_secret,
        push_public=old_private_key.public_key(),
        push_private=old_private_key,
    )
    changed = 0
    rows = (
        await session.execute(
            select(Concern.id, Concern.push_sealed).where(Concern.push_sealed.is_not(None))
        )
    ).all()
    for concern_id, sealed in rows:
        try:
            open_chat_id(keys, sealed, _context(concern_id))
            continue
        except UndecryptableText:
            pass
        chat_id = open_chat_id(old, sealed, _context(concern_id))
        await session.execute(
            update(Concern)
            .where(Concern.id == concern_id)
            .values(push_sealed=seal_chat_id(keys, chat_id, _context(concern_id)))
        )
        changed += 1
    await session.commit()
    return changed
