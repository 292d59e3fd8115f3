"""What the bot remembers of a user between updates, in memory: one typed view over PTB's
``context.user_data``, instead of string keys spelled in four modules.

None of it is written anywhere (infra/persistence.py keeps no user_data) and none of it outlives
a restart: a language chosen before registering, the worker's unsent concern (never stored, see
docs/architecture.md), the invite or link code being confirmed, the case an officer answers. The
dict keeps the keys it always had, so the view reads what older code wrote and the other way
round. ``context.user_data`` is None for updates without a user: then nothing is remembered.
"""

from __future__ import annotations

from typing import Any, Final

LANGUAGE: Final = "lang"  # chosen by a user who is not registered (or remembered from the DB)
CONCERN: Final = "concern"  # the worker's unsent concern: removed when sent, cancelled, timed out
PENDING_INVITE: Final = "pending_invite"  # the invite the user is confirming
PENDING_LINK: Final = "pending_link"  # (link code id, the person's language) being confirmed
REPLYING_TO: Final = "replying_to"  # officers only: the case being answered


class UserData:
    def __init__(self, data: dict[Any, Any] | None) -> None:
        self._data = data

    # The language.
    @property
    def language(self) -> str | None:
        return self._data.get(LANGUAGE) if self._data is not None else None

    @language.setter
    def language(self, value: str) -> None:
        if self._data is not None:
            self._data[LANGUAGE] = value

    # The worker's concern being written.
    def concern_draft(self) -> dict[str, Any]:
        """The draft, created empty if there is none (only for updates with a user)."""
        assert self._data is not None
        draft: dict[str, Any] = self._data.setdefault(CONCERN, {})
        return draft

    def writing_concern(self) -> bool:
        """Whether a concern is being written (its enterprise is chosen)."""
        return self._data is not None and "enterprise_id" in self._data.get(CONCERN, {})

    def forget_concern(self) -> None:
        if self._data is not None:
            self._data.pop(CONCERN, None)

    # Registration: the invite or link code being confirmed (one at a time).
    def confirming_invite(self, invite_id: int) -> None:
        if self._data is not None:
            self._data.pop(PENDING_LINK, None)
            self._data[PENDING_INVITE] = invite_id

    def confirming_link(self, link_id: int, language: str) -> None:
        if self._data is not None:
            self._data.pop(PENDING_INVITE, None)
            self._data[PENDING_LINK] = (link_id, language)

    def take_pending_invite(self) -> int | None:
        return self._data.pop(PENDING_INVITE, None) if self._data else None

    def take_pending_link(self) -> tuple[int, str] | None:
        return self._data.pop(PENDING_LINK, None) if self._data else None

    def forget_pending(self) -> None:
        if self._data is not None:
            self._data.pop(PENDING_INVITE, None)
            self._data.pop(PENDING_LINK, None)

    # The officers' inbox: the case being answered.
    def replying_to(self, concern_id: str) -> None:
        if self._data is not None:
            self._data[REPLYING_TO] = concern_id

    def take_replying_to(self) -> str | None:
        return self._data.pop(REPLYING_TO, None) if self._data else None

    def forget_replying_to(self) -> None:
        if self._data is not None:
            self._data.pop(REPLYING_TO, None)
