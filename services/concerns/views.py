"""What the concern services hand back: frozen views the handlers and jobs show, and the labels
of the statuses. None of them holds anything that identifies a worker; a pushed answer's chat
id (``PushDue.target``) lives in memory only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final

from models import ConcernStatus
from services.errors import N_

# What workers and officers read for each status (msgids; Vietnamese in concerns.po).
STATUS_LABELS: Final = {
    ConcernStatus.RECEIVED: N_("Received"),
    ConcernStatus.IN_PROGRESS: N_("Being handled"),
    ConcernStatus.ANSWERED: N_("Answered"),
    ConcernStatus.CLOSED: N_("Closed"),
    ConcernStatus.ESCALATED: N_("Passed on to the zone union"),
}


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
