"""Small counts are never shown: one rule for digests, the office console and poll results.

A count of 1–4 for one enterprise could point at a person among a few dozen, so it is shown as
``<5`` and every total that contains it only as a lower bound (docs/anonymity.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SUPPRESS_BELOW: Final = 5


@dataclass(frozen=True)
class SuppressedCount:
    """A count over many enterprises where each enterprise's own count of 1–4 was hidden.

    ``visible`` adds up only the enterprises with 5 or more; ``hidden`` is how many enterprises
    had 1–4. Shown as: the number when nothing was hidden; "<5" when the only contribution is one
    hidden enterprise (the total is then that enterprise's count); otherwise "≥ N" with
    N = visible + hidden, a true lower bound. Nothing here reveals more than a table of the
    enterprises with "<5" in their cells would, and no hidden count can be recovered by
    subtracting shown figures from a shown total, because every total that has a hidden part is
    itself only a bound.
    """

    visible: int = 0
    hidden: int = 0

    @property
    def exact(self) -> bool:
        return self.hidden == 0

    @property
    def below_five(self) -> bool:
        return self.visible == 0 and self.hidden == 1

    @property
    def lower_bound(self) -> int:
        return self.visible + self.hidden

    def add(self, enterprise_count: int) -> SuppressedCount:
        """Add one enterprise's count, hiding it if it is 1–4."""
        if enterprise_count <= 0:
            return self
        if enterprise_count < SUPPRESS_BELOW:
            return SuppressedCount(self.visible, self.hidden + 1)
        return SuppressedCount(self.visible + enterprise_count, self.hidden)
