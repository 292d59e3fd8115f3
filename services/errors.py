"""Domain errors. Handlers turn each into a friendly message; the message id is the msgid."""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message id for extraction where it is not passed to a translating call directly."""
    return message


class DomainError(Exception):
    """An expected refusal. ``message`` is an English msgid translated by the handler layer."""

    message = "Something went wrong."

    def __init__(self, **params: Any) -> None:
        super().__init__(self.message.format(**params) if params else self.message)
        self.params = params


class NotFound(DomainError):
    message = "Not found."


class PermissionDenied(DomainError):
    message = "You are not allowed to do this."
