"""Annual targets (chỉ tiêu năm) and how progress against them is judged.

The targets live in ``config/targets.yaml`` (see ``docs/digests.md``), so a province sets its own
without a code change. Like the indicator sets, the file is checked completely when it is loaded
and a bad one stops the bot with one line naming the file, the target and the problem: a typo in an
indicator code must not quietly turn a target into "0 of 50, behind" for a whole year.

Two kinds of measure:

- ``sum``: the year-to-date SUM of a flow indicator over the reporting units of one kind in the
  digest's subtree (new party members over party cells ≥ 50). Judged by the pace of the year: by
  the end of month m, m/12 of the target should be reached.
- ``share``: the percentage of enterprises, among those with a unit of one kind, whose unit last
  answered "yes" to a yes/no indicator (collective agreement in force ≥ 80 %). A share is a
  level, not an accumulation: it is on track only when it is at the target already.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from grassroots_config import DEFAULT_CONFIG_DIR
from pydantic import Field, field_validator, model_validator

from models.org import NodeKind, UnitKind
from services.config_files import ConfigFileError, ConfigProblem, TrimmedModel, load_yaml_model
from services.indicators import IndicatorConfig, IndicatorKind, Label

DEFAULT_TARGETS_FILE: Final = DEFAULT_CONFIG_DIR / "targets.yaml"
ALL: Final = "all"
MONTHS_IN_YEAR: Final = 12

_CODE: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")
_YEARS: Final = re.compile(r"\s*(\d{4})\s*(?:-|–|\.\.)\s*(\d{4})\s*")


class MeasureKind(StrEnum):
    SUM = "sum"
    SHARE = "share"


class SumMeasure(TrimmedModel):
    """The year's total of a flow indicator over the units of one kind."""

    kind: Literal["sum"]
    indicator: str
    unit_kind: UnitKind

    @property
    def measure_kind(self) -> MeasureKind:
        return MeasureKind.SUM


class ShareMeasure(TrimmedModel):
    """Percentage of enterprises with a unit of this kind whose unit says "yes"."""

    kind: Literal["share"]
    indicator: str
    unit_kind: UnitKind

    @property
    def measure_kind(self) -> MeasureKind:
        return MeasureKind.SHARE


Measure = Annotated[SumMeasure | ShareMeasure, Field(discriminator="kind")]


class Target(TrimmedModel):
    code: str
    label: Label
    # "all": the digest of every node of the kinds in node_kinds; a node code: that node's digest
    # only, where it replaces an "all" target with the same code.
    scope: str = ALL
    node_kinds: tuple[NodeKind, ...] = (NodeKind.PROVINCE,)
    # One year (2026) or an inclusive range ("2026-2030").
    year: tuple[int, int]
    measure: Measure
    target: Decimal = Field(gt=0)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.fullmatch(value):
            raise ValueError(
                f"{value!r} must be 1-40 lower-case latin letters, digits or _, "
                "starting with a letter"
            )
        return value

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        if not value:
            raise ValueError("is empty: write all or a node code")
        return value

    @field_validator("year", mode="before")
    @classmethod
    def _years(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a year")
        if isinstance(value, int):
            return (value, value)
        if isinstance(value, str):
            match = _YEARS.fullmatch(value)
            if match is None:
                if value.strip().isdigit():
                    return (int(value), int(value))
                raise ValueError(f"{value!r} is not a year (2026) or a range (2026-2030)")
            return (int(match[1]), int(match[2]))
        raise ValueError(f"{value!r} is not a year (2026) or a range (2026-2030)")

    @field_validator("year")
    @classmethod
    def _year_order(cls, value: tuple[int, int]) -> tuple[int, int]:
        first, last = value
        if not 2000 <= first <= 2100 or not 2000 <= last <= 2100:
            raise ValueError(f"{first}-{last}: years must be between 2000 and 2100")
        if last < first:
            raise ValueError(f"{first}-{last}: the range ends before it starts")
        return value

    @field_validator("target", mode="before")
    @classmethod
    def _no_float_thousands(cls, value: Any) -> Any:
        # YAML reads "target: 1.500" (a Vietnamese thousand five hundred) as 1.5; a decimal target
        # for a count is refused below, and a float is kept exact here.
        return Decimal(str(value)) if isinstance(value, float) else value

    @model_validator(mode="after")
    def _target_fits_measure(self) -> Target:
        if self.measure.measure_kind is MeasureKind.SHARE:
            if self.target > 100:
                raise ConfigProblem(f"target ({self.target}) is a percentage: at most 100")
        elif self.target != self.target.to_integral_value():
            raise ConfigProblem(
                f"target ({self.target}) must be a whole number written without separators "
                "(1500, not 1.500)"
            )
        return self

    def covers(self, year: int) -> bool:
        return self.year[0] <= year <= self.year[1]


class TargetConfig(TrimmedModel):
    version: str = "1"
    targets: tuple[Target, ...] = ()

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _no_overlap(self) -> TargetConfig:
        for index, target in enumerate(self.targets):
            for earlier_index, earlier in enumerate(self.targets[:index]):
                if (earlier.code, earlier.scope) != (target.code, target.scope):
                    continue
                if target.year[0] <= earlier.year[1] and earlier.year[0] <= target.year[1]:
                    raise ConfigProblem(
                        f"years overlap those of targets[{earlier_index}] with the same code "
                        "and scope: which one applies would be ambiguous",
                        at=("targets", index),
                    )
        return self

    def for_node(self, node_code: str, node_kind: NodeKind, year: int) -> list[Target]:
        """Targets of the digest of this node for this year, in file order. A target written for
        the node's code replaces an ``all`` target with the same code."""
        specific = {t.code: t for t in self.targets if t.scope == node_code and t.covers(year)}
        chosen: list[Target] = []
        seen: set[str] = set()
        for target in self.targets:
            if target.code in seen or not target.covers(year):
                continue
            if target.code in specific:
                chosen.append(specific[target.code])
                seen.add(target.code)
            elif target.scope == ALL and node_kind in target.node_kinds:
                chosen.append(target)
                seen.add(target.code)
        return chosen


def check_against_indicators(
    config: TargetConfig, indicators: IndicatorConfig, path: Path | str
) -> None:
    """Every measure names an indicator of the right kind in its unit kind's set; else one-line
    ConfigFileError naming the target."""
    wanted = {MeasureKind.SUM: IndicatorKind.FLOW, MeasureKind.SHARE: IndicatorKind.YES_NO}
    for index, target in enumerate(config.targets):
        measure = target.measure
        item = f"targets[{index}] ({target.code})"

        def refuse(field: str, problem: str, item: str = item) -> ConfigFileError:
            problem = f"measure.{field}: {problem}"
            return ConfigFileError(f"{path}: {item}: {problem}", where=item, problem=problem)

        indicator_set = indicators.for_kind(measure.unit_kind)
        if indicator_set is None:
            raise refuse("unit_kind", f"{measure.unit_kind.value} has no indicator set")
        try:
            indicator = indicator_set.indicator(measure.indicator)
        except KeyError:
            raise refuse(
                "indicator",
                f"{measure.indicator!r} is not an indicator of {measure.unit_kind.value}",
            ) from None
        needed = wanted[measure.measure_kind]
        if indicator.kind is not needed:
            raise refuse(
                "indicator",
                f"{measure.indicator!r} is a {indicator.kind.value} indicator, but a "
                f"{measure.kind} target needs a {needed.value} one",
            )


def load_targets(
    path: Path = DEFAULT_TARGETS_FILE, indicators: IndicatorConfig | None = None
) -> TargetConfig:
    """Load and check the targets (against the indicator sets when given); ConfigFileError
    (one line) on any problem."""
    config = load_yaml_model(path, TargetConfig)
    if indicators is not None:
        check_against_indicators(config, indicators, path)
    return config


# --- pace -----------------------------------------------------------------------------------


class TargetStatus(StrEnum):
    ON_TRACK = "on_track"
    BEHIND = "behind"


@dataclass(frozen=True)
class Assessment:
    achieved: float  # value / target: 0.7 is 70 % of the target
    expected: float  # what ``achieved`` should be by now
    status: TargetStatus

    @property
    def reached(self) -> bool:
        return self.achieved >= 1


def expected_share(elapsed_months: int) -> float:
    """The share of a yearly total due after ``elapsed_months`` months: a straight line,
    because nothing in the plans says admissions bunch in any season."""
    return min(max(elapsed_months, 0), MONTHS_IN_YEAR) / MONTHS_IN_YEAR


def assess(
    kind: MeasureKind, value: Decimal | float, target: Decimal, elapsed_months: int
) -> Assessment:
    """On track when ``value / target`` is at least the share expected by now. A ``share``
    target is a level that must hold all year, so its expected share is 1 from January."""
    achieved = float(value) / float(target)
    expected = 1.0 if kind is MeasureKind.SHARE else expected_share(elapsed_months)
    # A tiny tolerance so that 12.5 of 50 after 3 months is on track despite binary floats.
    status = TargetStatus.ON_TRACK if achieved + 1e-9 >= expected else TargetStatus.BEHIND
    return Assessment(achieved, expected, status)
