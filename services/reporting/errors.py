"""Why a reporting use case refused: the domain errors the handlers turn into a message.

All of them in one place, so a handler (or the web form) catching one needs no knowledge of which
use case raised it, and test_translations finds every message to translate.
"""

from __future__ import annotations

from services.errors import DomainError, PermissionDenied
from services.indicators import RuleViolation
from services.reporting.views import SentReport


class NotAnOfficer(PermissionDenied):
    message = "You are not (or no longer) an officer of this unit."


class NoReportingSet(DomainError):
    message = "No indicators are configured for this kind of unit yet."


class PeriodLocked(DomainError):
    message = "This period is locked. Only an administrator can reopen it."


class PeriodNotOpen(DomainError):
    message = "This period is not open for reporting."


class DraftHeldByOther(DomainError):
    message = "{owner} started this report on {since} and is still working on it."


class DraftTakenOver(DomainError):
    message = "{owner} has taken over this report. Nothing was changed."


class StaleAction(DomainError):
    message = "This button belongs to an earlier step. Nothing was changed."


class DraftGone(DomainError):
    message = "This report is no longer in progress."


class AlreadySubmitted(DomainError):
    message = "This report was already submitted on {when}. Nothing was sent twice."


class ReportAlreadySent(DomainError):
    """The month's report is in and the officer has not (yet) asked to change it: nothing was
    opened, so no stray amendment draft is left behind."""

    message = "This month's report was already sent."

    def __init__(self, sent: SentReport) -> None:
        super().__init__()
        self.sent = sent


class MissingRequired(DomainError):
    message = "Please answer every required item first: {items}."


class OutOfBounds(DomainError):
    message = "The value must be between {low} and {high}."


class TooLow(DomainError):
    message = "The value must be at least {low}."


class TooHigh(DomainError):
    message = "The value must be at most {high}."


class CannotKeep(DomainError):
    message = "There is no value from last month to keep."


class CannotSkip(DomainError):
    message = "This item is required and cannot be skipped."


class NothingEntered(DomainError):
    message = "This item has no answer yet to keep."


class NothingToKeep(DomainError):
    message = "Last month has no totals to copy."


class NothingChanged(DomainError):
    """An amendment identical to the report sent: refused, and its draft (a copy of the report,
    so nothing is lost) deleted, rather than a revision that changes nothing."""

    message = (
        "Nothing differs from the report already sent, so nothing was saved. The report stays "
        "as it was sent."
    )


class BeforeFirstPeriod(DomainError):
    message = "This unit reports from {first} on; earlier months are not asked of it."


class ReasonRequired(DomainError):
    message = "Please write a short reason (up to {limit} characters)."


class RuleBroken(DomainError):
    """A cross-field rule from the indicator YAML; its message is the rule's own label."""

    message = "A rule of the indicator set is broken."

    def __init__(self, violation: RuleViolation) -> None:
        super().__init__()
        self.violation = violation


# The web form's own (services/reporting/form.py).


class DraftChanged(DomainError):
    message = (
        "This report was changed elsewhere (in the chat or on another page) after this page was "
        "opened. Nothing was saved from this page; it now shows the latest answers."
    )


class AnswerRequired(DomainError):
    message = "Please answer this item."
