"""Anonymous worker concerns (tâm tư, nguyện vọng): raise, follow up, answer, escalate, notify.

The contract is docs/architecture.md and docs/anonymity.md. In short: a worker is
known to this module only as a daily-rotating keyed hash (``subject``, for rate limits) and, if
they asked for replies to be pushed, a chat id sealed to a key the database does not hold. A case
stores dates, never times; its text is encrypted; its receipt is a slow keyed hash. Officers are
not anonymous: their permission is checked here, from the database, on every call.

Texts are cleaned on the way in (``clean_text``: NFC, no zero-width or direction-override
characters); escaping for HTML or Markdown is the renderer's job, which must always escape them.

The package re-exports its public names, so callers write ``concerns.submit_concern(...)`` and
``from services.concerns import ConcernConfig`` whichever module holds them:

- ``errors``: the domain errors; ``config``: ``ConcernConfig`` and its loader; ``views``: the
  frozen views the handlers show, and the status labels; ``texts``: ``clean_text``;
- ``submission``: the enterprise of a code, raising a concern; ``receipts``: following a case up
  with its receipt, opting in or out of pushes; ``limits``: the worker's daily limits;
- ``cases``: the officers' inbox and one case; ``replies``: answering, setting a status;
  ``escalation``: passing a case to the zone union, by hand or when overdue;
- ``release``: the notice batches that release new cases; ``pushes``: the pushed-answers batches
  and the seals' expiry; ``keys``: re-encrypting texts and resealing push targets after a new key;
- ``_shared``: internal, the binding of texts to rows, the org lookups and the officers'
  permission check that the use cases share.
"""

from __future__ import annotations

from services.concerns._shared import ZONE_KINDS
from services.concerns.cases import get_case, inbox
from services.concerns.config import (
    DEFAULT_CONCERNS_FILE,
    MAX_TEXT_LENGTH,
    Category,
    ConcernConfig,
    load_concern_config,
)
from services.concerns.errors import (
    AlreadyEscalated,
    CaseClosed,
    CaseNotFound,
    EmptyText,
    EnterpriseNotFound,
    NotCaseOfficer,
    NoZoneAbove,
    ReceiptMalformed,
    ReceiptNotRecognised,
    StatusNotSettable,
    TextTooLong,
    TooManyAttempts,
    TooManyConcerns,
    UnknownCategory,
)
from services.concerns.escalation import escalate, escalate_overdue, escalation_target
from services.concerns.keys import TextRotation, reseal_push_targets, rotate_text_keys
from services.concerns.limits import prune_limits
from services.concerns.pushes import (
    PUSH_BATCH,
    expire_push_seals,
    forget_closed_seals,
    pending_pushes,
    push_done,
    take_pushes,
)
from services.concerns.receipts import lookup, set_push
from services.concerns.release import mark_notified, pending_notices, release_pending
from services.concerns.replies import SETTABLE_STATUSES, reply, set_status
from services.concerns.submission import (
    compact_code,
    ensure_can_submit,
    enterprise_by_code,
    submit_concern,
)
from services.concerns.texts import clean_text
from services.concerns.views import (
    STATUS_LABELS,
    CaseStatus,
    EnterpriseView,
    Escalation,
    InboxCase,
    NoticeLine,
    PendingNotice,
    PushBatch,
    PushDue,
    ReplyResult,
    ReplyView,
    Submission,
)

# Callers catch ``concerns.DomainError`` (every error above is one).
from services.errors import DomainError

__all__ = [
    "DEFAULT_CONCERNS_FILE",
    "MAX_TEXT_LENGTH",
    "PUSH_BATCH",
    "SETTABLE_STATUSES",
    "STATUS_LABELS",
    "ZONE_KINDS",
    "AlreadyEscalated",
    "CaseClosed",
    "CaseNotFound",
    "CaseStatus",
    "Category",
    "ConcernConfig",
    "DomainError",
    "EmptyText",
    "EnterpriseNotFound",
    "EnterpriseView",
    "Escalation",
    "InboxCase",
    "NoZoneAbove",
    "NotCaseOfficer",
    "NoticeLine",
    "PendingNotice",
    "PushBatch",
    "PushDue",
    "ReceiptMalformed",
    "ReceiptNotRecognised",
    "ReplyResult",
    "ReplyView",
    "StatusNotSettable",
    "Submission",
    "TextRotation",
    "TextTooLong",
    "TooManyAttempts",
    "TooManyConcerns",
    "UnknownCategory",
    "clean_text",
    "compact_code",
    "ensure_can_submit",
    "enterprise_by_code",
    "escalate",
    "escalate_overdue",
    "escalation_target",
    "expire_push_seals",
    "forget_closed_seals",
    "get_case",
    "inbox",
    "load_concern_config",
    "lookup",
    "mark_notified",
    "pending_notices",
    "pending_pushes",
    "prune_limits",
    "push_done",
    "release_pending",
    "reply",
    "reseal_push_targets",
    "rotate_text_keys",
    "set_push",
    "set_status",
    "submit_concern",
    "take_pushes",
]
