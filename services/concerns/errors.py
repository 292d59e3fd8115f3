"""The concern channel's domain errors. Each carries an English msgid (Vietnamese in
infra/locale/vi/); the handlers turn them into the message the worker or officer reads.
"""

from __future__ import annotations

from services.errors import DomainError, NotFound, PermissionDenied


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
