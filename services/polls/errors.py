"""Refusals of the polls' use cases (English msgids; handlers translate them)."""

from __future__ import annotations

from services.errors import DomainError


class PollError(DomainError):
    message = "This poll cannot be changed like this."


class BadPoll(PollError):
    """A poll being created breaks a rule: ``message`` says which."""

    message = "A poll has 1 to 5 questions, each with 2 to 9 options."


class BadDates(PollError):
    message = "The closing date must be on or after the opening date, and not in the past."


class PollNotOpen(PollError):
    message = "This poll is closed: answers are no longer taken."


class NotSubscribed(PollError):
    message = "This button has expired. Type /khaosat to join the polls again."


class NotAllowedToPoll(PollError):
    message = "Only the standing office, and zone union officers for their own zone, can set polls."
