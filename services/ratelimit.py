"""A per-minute message limit kept in memory only.

A database row per minute would say roughly when someone last wrote, right next to the moment a
concern arrived; in memory it is gone at the next minute (and at a restart). The keys are the
daily-rotating subject hashes of services/anonymity.py, never user ids. Bounded: when the table
is full the oldest windows are dropped, so flooding from many accounts cannot grow it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from services.errors import DomainError


class TooManyMessages(DomainError):
    message = "You are sending messages too quickly. Please wait a minute and try again."


@dataclass
class MinuteLimiter:
    per_minute: int
    max_subjects: int = 100_000
    _windows: OrderedDict[str, tuple[int, int]] = field(default_factory=OrderedDict)

    def hit(self, subject: str, minute: int) -> None:
        """Count one message of ``subject`` in ``minute`` (minutes since the epoch)."""
        # Forget windows older than the previous minute: nothing keeps "when did this subject
        # last write" longer than that. The dict is ordered by last use, oldest first.
        while self._windows:
            oldest = next(iter(self._windows))
            if self._windows[oldest][0] >= minute - 1:
                break
            del self._windows[oldest]
        window, count = self._windows.pop(subject, (minute, 0))
        count = count + 1 if window == minute else 1
        self._windows[subject] = (minute, count)  # most recent last
        while len(self._windows) > self.max_subjects:
            self._windows.popitem(last=False)
        if count > self.per_minute:
            raise TooManyMessages()

    def __len__(self) -> int:
        return len(self._windows)
