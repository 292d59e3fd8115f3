"""Monthly reports: choosing unit and period, answering, review, submit, amend, status.

Every answered step is committed to the draft row, so a restart loses nothing. Every call
re-checks on the server who owns the draft, that the caller still serves the unit, and that the
step a button belongs to is the current one: callback data is only ever a hint.

The package re-exports its public names, so callers write ``reporting.submit(...)`` and
``reporting.PeriodLocked`` whichever module holds them:

- ``errors``: the domain errors; ``views``: the frozen views the handlers show;
- ``config``: ``ReportingSetup``, the stored indicator-set versions, local dates;
- ``drafts``: choosing a unit and a month, opening, finding and taking over a draft;
- ``answering``: the chat's questions, one item after another;
- ``submitting``: sending, amending, discarding; ``unlocking``: reopening a locked month;
- ``status``: each unit's recent months and the days that matter;
- ``form``: the web form, every item on one page, on the same draft and checks as the chat;
- ``_drafts``: internal, the checks and renderings the use cases share.
"""

from __future__ import annotations

from services.reporting._drafts import MAX_REASON
from services.reporting.answering import (
    answer,
    confirm_jump,
    edit_item,
    go_back,
    keep_all_stocks,
    keep_entered,
    keep_last,
    retry_jump,
    skip,
)
from services.reporting.config import (
    ReportingSetup,
    current_version_id,
    forget_cached_sets,
    indicator_set_of,
    local_date,
)
from services.reporting.drafts import (
    current_draft,
    open_draft,
    periods_for,
    require_current_draft,
    units_for,
)
from services.reporting.errors import (
    AlreadySubmitted,
    AnswerRequired,
    BeforeFirstPeriod,
    CannotKeep,
    CannotSkip,
    DraftChanged,
    DraftGone,
    DraftHeldByOther,
    DraftTakenOver,
    MissingRequired,
    NoReportingSet,
    NotAnOfficer,
    NothingChanged,
    NothingEntered,
    NothingToKeep,
    OutOfBounds,
    PeriodLocked,
    PeriodNotOpen,
    ReasonRequired,
    ReportAlreadySent,
    RuleBroken,
    StaleAction,
    TooHigh,
    TooLow,
)
from services.reporting.form import (
    FormEntry,
    FormOutcome,
    FormView,
    form_version,
    open_form,
    save_form,
    submit_form,
)
from services.reporting.status import (
    dates_of,
    has_reported,
    lock_day_of,
    next_opening,
    unit_statuses,
)
from services.reporting.submitting import check_amendment, discard, submit
from services.reporting.unlocking import unlock
from services.reporting.views import (
    AnswerLine,
    Check,
    DraftView,
    PendingJump,
    PeriodChoice,
    PeriodDates,
    PeriodStatus,
    Question,
    Receipt,
    SentReport,
    StatusKind,
    UnitChoice,
    UnitStatus,
    Unlocked,
)

__all__ = [
    "MAX_REASON",
    "AlreadySubmitted",
    "AnswerLine",
    "AnswerRequired",
    "BeforeFirstPeriod",
    "CannotKeep",
    "CannotSkip",
    "Check",
    "DraftChanged",
    "DraftGone",
    "DraftHeldByOther",
    "DraftTakenOver",
    "DraftView",
    "FormEntry",
    "FormOutcome",
    "FormView",
    "MissingRequired",
    "NoReportingSet",
    "NotAnOfficer",
    "NothingChanged",
    "NothingEntered",
    "NothingToKeep",
    "OutOfBounds",
    "PendingJump",
    "PeriodChoice",
    "PeriodDates",
    "PeriodLocked",
    "PeriodNotOpen",
    "PeriodStatus",
    "Question",
    "ReasonRequired",
    "Receipt",
    "ReportAlreadySent",
    "ReportingSetup",
    "RuleBroken",
    "SentReport",
    "StaleAction",
    "StatusKind",
    "TooHigh",
    "TooLow",
    "UnitChoice",
    "UnitStatus",
    "Unlocked",
    "answer",
    "check_amendment",
    "confirm_jump",
    "current_draft",
    "current_version_id",
    "dates_of",
    "discard",
    "edit_item",
    "forget_cached_sets",
    "form_version",
    "go_back",
    "has_reported",
    "indicator_set_of",
    "keep_all_stocks",
    "keep_entered",
    "keep_last",
    "local_date",
    "lock_day_of",
    "next_opening",
    "open_draft",
    "open_form",
    "periods_for",
    "require_current_draft",
    "retry_jump",
    "save_form",
    "skip",
    "submit",
    "submit_form",
    "unit_statuses",
    "units_for",
    "unlock",
]
