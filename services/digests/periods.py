"""The span a digest covers: a month, a quarter or a year, always whole reporting months of one
year, with the periods it is compared with (the one before, the same one a year earlier) and
the year to date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from services.periods import Period

_KEY_MONTH: Final = re.compile(r"(\d{4})-(\d{2})")
_KEY_QUARTER: Final = re.compile(r"(\d{4})-[Qq]([1-4])")
_KEY_YEAR: Final = re.compile(r"(\d{4})")


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True)
class DigestPeriod:
    """A month, a quarter or a year: always a run of whole reporting months of one year."""

    kind: PeriodKind
    year: int
    number: int = 1  # the month (1-12), the quarter (1-4), or 1 for a year

    def __post_init__(self) -> None:
        top = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 4, PeriodKind.YEAR: 1}[self.kind]
        if not 1 <= self.number <= top or not 1 <= self.year <= 9999:
            raise ValueError(f"no such {self.kind.value}: {self.year}/{self.number}")

    @classmethod
    def of_month(cls, year: int, month: int) -> DigestPeriod:
        return cls(PeriodKind.MONTH, year, month)

    @classmethod
    def of_quarter(cls, year: int, quarter: int) -> DigestPeriod:
        return cls(PeriodKind.QUARTER, year, quarter)

    @classmethod
    def of_year(cls, year: int) -> DigestPeriod:
        return cls(PeriodKind.YEAR, year)

    @classmethod
    def from_month(cls, period: Period) -> DigestPeriod:
        return cls.of_month(period.year, period.month)

    @classmethod
    def parse(cls, key: str) -> DigestPeriod:
        """ "2026-10", "2026-Q4" or "2026"; ValueError for anything else."""
        if match := _KEY_MONTH.fullmatch(key):
            return cls.of_month(int(match[1]), int(match[2]))
        if match := _KEY_QUARTER.fullmatch(key):
            return cls.of_quarter(int(match[1]), int(match[2]))
        if match := _KEY_YEAR.fullmatch(key):
            return cls.of_year(int(match[1]))
        raise ValueError(f"not a digest period: {key!r}")

    @property
    def key(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.year:04d}-Q{self.number}"
        return f"{self.year:04d}"

    def __str__(self) -> str:
        return self.key

    @property
    def months(self) -> tuple[Period, ...]:
        if self.kind is PeriodKind.MONTH:
            return (Period(self.year, self.number),)
        if self.kind is PeriodKind.QUARTER:
            first = (self.number - 1) * 3 + 1
            return tuple(Period(self.year, month) for month in range(first, first + 3))
        return tuple(Period(self.year, month) for month in range(1, 13))

    @property
    def first(self) -> Period:
        return self.months[0]

    @property
    def last(self) -> Period:
        return self.months[-1]

    def shift(self, steps: int) -> DigestPeriod:
        """The period ``steps`` periods of the same kind later (earlier when negative)."""
        if self.kind is PeriodKind.YEAR:
            return DigestPeriod.of_year(self.year + steps)
        per_year = 12 if self.kind is PeriodKind.MONTH else 4
        index = self.year * per_year + self.number - 1 + steps
        return DigestPeriod(self.kind, index // per_year, index % per_year + 1)

    def previous(self) -> DigestPeriod:
        return self.shift(-1)

    def same_period_last_year(self) -> DigestPeriod:
        return DigestPeriod(self.kind, self.year - 1, self.number)

    @property
    def year_to_date(self) -> tuple[Period, ...]:
        """January of the period's year to the period's last month."""
        return tuple(Period(self.year, month) for month in range(1, self.last.month + 1))
