"""Typed ORM models, the engine/session factory and Alembic migrations."""

from models.audit import AuditEntry
from models.base import Base, utcnow
from models.concerns import (
    OPEN_STATUSES,
    Concern,
    ConcernLimit,
    ConcernReply,
    ConcernStatus,
    LimitPurpose,
)
from models.digest_cache import TREE_STAMP, DigestCache, DigestStamp
from models.files import SharedFile
from models.office_config import OfficeConfigVersion
from models.org import NodeKind, OrgNode, Ownership, ReportingUnit, UnitKind
from models.outbox import OutboxMessage, OutboxStatus
from models.people import (
    ChannelAccount,
    CodeAttempt,
    Invite,
    LinkCode,
    Person,
    Role,
    RoleAssignment,
)
from models.polls import Poll, PollAnswer, PollBallot, PollDelivery, PollSubscription
from models.reporting import (
    ConversationState,
    IndicatorSetVersion,
    Report,
    ReportChange,
    ReportDraft,
    ReportReview,
    ReportUnlock,
    ReportValue,
)
from models.updates import HandledUpdate
from models.web import WebLink, WebSession

__all__ = [
    "OPEN_STATUSES",
    "TREE_STAMP",
    "AuditEntry",
    "Base",
    "ChannelAccount",
    "CodeAttempt",
    "Concern",
    "ConcernLimit",
    "ConcernReply",
    "ConcernStatus",
    "ConversationState",
    "DigestCache",
    "DigestStamp",
    "HandledUpdate",
    "IndicatorSetVersion",
    "Invite",
    "LimitPurpose",
    "LinkCode",
    "NodeKind",
    "OfficeConfigVersion",
    "OrgNode",
    "OutboxMessage",
    "OutboxStatus",
    "Ownership",
    "Person",
    "Poll",
    "PollAnswer",
    "PollBallot",
    "PollDelivery",
    "PollSubscription",
    "Report",
    "ReportChange",
    "ReportDraft",
    "ReportReview",
    "ReportUnlock",
    "ReportValue",
    "ReportingUnit",
    "Role",
    "RoleAssignment",
    "SharedFile",
    "UnitKind",
    "WebLink",
    "WebSession",
    "utcnow",
]
