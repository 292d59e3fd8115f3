"""Indicator sets (chỉ tiêu): what each kind of reporting unit reports every month.

The sets live in versioned YAML (``config/indicators.yaml``, see ``docs/indicators.md``) so that a
province adds or retires an indicator without a code change. Everything is checked when the file
is loaded, and a bad file stops the bot at start with one line naming the file, the set, the
indicator or rule and the problem: an administrator editing YAML must not find out a month later,
from an officer, that a rule names an indicator that does not exist.

A report keeps a snapshot of the set it was made with (``snapshot``), keyed by its
``fingerprint``, so editing the file later never changes what an old report meant.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Final

from grassroots_config import DEFAULT_CONFIG_DIR
from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from models.org import UnitKind
from services.config_files import ConfigFileError as ConfigFileError  # raised by the loader
from services.config_files import ConfigProblem, TrimmedModel, load_yaml_model
from services.numbers import format_number

DEFAULT_INDICATORS_FILE: Final = DEFAULT_CONFIG_DIR / "indicators.yaml"

# Indicator and rule codes: short, stable, safe as dictionary keys, column values and
# {placeholders}. 40 characters is the width of report_values.indicator_code.
_CODE: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")
_OPERAND: Final = r"[a-z][a-z0-9_]*|[0-9]+(?:\.[0-9]+)?"
# Longer operators first, so that "<=" is not read as "<" followed by "=".
_CHECK: Final = re.compile(rf"\s*({_OPERAND})\s*(<=|>=|==|<|>)\s*({_OPERAND})\s*")
_NUMBER: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")


# --- the model ------------------------------------------------------------------------------


def _check_code(value: str) -> str:
    if not _CODE.fullmatch(value):
        raise ValueError(
            f"{value!r} must be 1-40 lower-case latin letters, digits or _, starting with a letter"
        )
    return value


def _canonical(value: Decimal | None) -> Decimal | None:
    """One spelling per number (0, 0.0 and 0E+1 → 0), so the fingerprint does not depend on
    how the administrator happened to write it."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


class Label(TrimmedModel):
    """A text in Vietnamese and English."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.vi


class CountUnit(Label):
    """What an indicator counts ("người" / "people"). English needs the singular for a count
    of one ("1 person"); Vietnamese nouns do not change."""

    en_one: str | None = Field(default=None, min_length=1)

    def for_count(self, value: Decimal | int, language: str) -> str:
        if language == "en" and value == 1 and self.en_one:
            return self.en_one
        return self.get(language)


class IndicatorKind(StrEnum):
    FLOW = "flow"  # counted during the month
    STOCK = "stock"  # the level at month end
    YES_NO = "yes_no"
    PERCENT = "percent"


class Indicator(TrimmedModel):
    code: str
    label: Label
    kind: IndicatorKind
    unit: CountUnit | None = None
    min: Decimal | None = Decimal(0)
    max: Decimal | None = None
    required: bool = True
    # A fraction: 0.34 asks "are you sure?" when the figure moves by more than 34 % against last
    # month. None: the configuration's default for a stock, no check for a flow or a percent.
    jump_threshold: float | None = Field(default=None, gt=0)
    help: Label | None = None

    @model_validator(mode="before")
    @classmethod
    def _defaults_by_kind(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        kind = data.get("kind")
        if kind == IndicatorKind.YES_NO:
            data = {"min": None, **data}  # an explicit bound stays, and is refused below
        elif kind == IndicatorKind.PERCENT:
            data = {"max": 100, **data}
        elif kind in (IndicatorKind.FLOW, IndicatorKind.STOCK):
            for bound in ("min", "max"):
                if isinstance(data.get(bound), float):
                    # YAML reads "max: 1.500" (a Vietnamese thousand) as 1.5: refuse rather than
                    # let a count be capped at one and a half.
                    raise ConfigProblem(
                        f"{bound} ({data[bound]}) must be a whole number written without "
                        "separators (1000, not 1.000)"
                    )
        return data

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return _check_code(value)

    @field_validator("min", "max")
    @classmethod
    def _bound(cls, value: Decimal | None) -> Decimal | None:
        return _canonical(value)

    @model_validator(mode="after")
    def _bounds(self) -> Indicator:
        if self.kind is IndicatorKind.YES_NO:
            if self.min is not None or self.max is not None:
                raise ConfigProblem("a yes/no indicator has no bounds: remove min and max")
            if self.jump_threshold is not None:
                raise ConfigProblem("a yes/no indicator has no jump_threshold")
            return self
        for name, bound in (("min", self.min), ("max", self.max)):
            if bound is None:
                continue
            if bound < 0:
                raise ConfigProblem(f"{name} ({bound}) is below zero: figures are never negative")
            if self.kind is IndicatorKind.PERCENT and bound > 100:
                raise ConfigProblem(f"{name} ({bound}) is above 100, but this is a percentage")
            if self.kind is not IndicatorKind.PERCENT and bound != bound.to_integral_value():
                raise ConfigProblem(f"{name} ({bound}) is not a whole number, but this is a count")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ConfigProblem(f"max ({self.max}) is below min ({self.min})")
        return self


@dataclass(frozen=True)
class Comparison:
    """A parsed rule check: each side is an indicator code or a number."""

    left: str | Decimal
    op: str
    right: str | Decimal

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(side for side in (self.left, self.right) if isinstance(side, str))


@cache
def parse_check(check: str) -> Comparison:
    """ "union_members <= workers" → Comparison; ValueError when it cannot be read.

    Parsed by hand, never eval'd: the file is edited by people, and a check is data.
    """
    match = _CHECK.fullmatch(check)
    if match is None:
        raise ValueError(
            f'cannot read "{check}": write <indicator or number> <operator> '
            "<indicator or number>, the operator one of <=, <, >=, >, =="
        )
    left, op, right = match.groups()
    sides = [Decimal(side) if _NUMBER.fullmatch(side) else side for side in (left, right)]
    comparison = Comparison(sides[0], op, sides[1])
    if not comparison.codes:
        raise ValueError(f'check "{check}" compares two numbers: name an indicator')
    return comparison


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise ValueError(f"message {text!r} has unbalanced braces: {exc}") from None


class Rule(TrimmedModel):
    code: str
    check: str
    message: Label

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return _check_code(value)

    @field_validator("check")
    @classmethod
    def _check(cls, value: str) -> str:
        parse_check(value)
        return value

    @model_validator(mode="after")
    def _message_names_operands(self) -> Rule:
        for language in ("vi", "en"):
            for name in sorted(_placeholders(self.message.get(language))):
                if name not in self.comparison.codes:
                    raise ConfigProblem(
                        f"message.{language}: {{{name}}} is not an indicator of the check "
                        f'"{self.check}"'
                    )
        return self

    @property
    def comparison(self) -> Comparison:
        return parse_check(self.check)

    @property
    def codes(self) -> tuple[str, ...]:
        """The indicator codes the rule compares."""
        return self.comparison.codes


class IndicatorSet(TrimmedModel):
    unit_kind: UnitKind
    label: Label
    indicators: list[Indicator] = Field(min_length=1)
    rules: list[Rule] = []  # noqa: RUF012 (a pydantic model: each instance gets a copy)

    @model_validator(mode="after")
    def _consistent(self) -> IndicatorSet:
        kinds: dict[str, IndicatorKind] = {}
        for index, indicator in enumerate(self.indicators):
            if indicator.code in kinds:
                first = next(i for i, x in enumerate(self.indicators) if x.code == indicator.code)
                raise ConfigProblem(
                    f"code {indicator.code!r} is used twice (also indicators[{first}])",
                    at=("indicators", index),
                )
            kinds[indicator.code] = indicator.kind
        rule_codes: set[str] = set()
        for index, rule in enumerate(self.rules):
            if rule.code in rule_codes:
                raise ConfigProblem(f"code {rule.code!r} is used twice", at=("rules", index))
            rule_codes.add(rule.code)
            for code in rule.codes:
                if code not in kinds:
                    raise ConfigProblem(
                        f'check "{rule.check}" names {code!r}, which is not an indicator of '
                        "this set",
                        at=("rules", index),
                    )
                if kinds[code] is IndicatorKind.YES_NO:
                    raise ConfigProblem(
                        f'check "{rule.check}" compares {code!r}, a yes/no indicator',
                        at=("rules", index),
                    )
        return self

    @property
    def codes(self) -> list[str]:
        return [indicator.code for indicator in self.indicators]

    def indicator(self, code: str) -> Indicator:
        """The indicator with this code; KeyError when the set has none."""
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(code)


class FlowCheck(TrimmedModel):
    """When a flow (counted during the month) is asked "is that right?". A flow swings by
    nature, so the fraction check of stocks does not fit it, but "1 500 initiatives" after 1
    last month is a typo far more often than a fact."""

    # More than this many times last month's figure (a month with 0 counts as 1). None: off.
    times_last_month: float | None = Field(default=10, gt=1)
    # More than the unit's workers, where known: the figure of ``workers_indicator`` typed
    # earlier in the same report, else the enterprise's worker count from the organisation file.
    above_workers: bool = True
    workers_indicator: str | None = "workers"

    @field_validator("workers_indicator")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        return None if value is None else _check_code(value)


class IndicatorConfig(TrimmedModel):
    version: str = Field(min_length=1)
    # Default jump check for stocks, as a fraction of last month's figure.
    jump_threshold: float = Field(default=0.34, gt=0)
    flow_check: FlowCheck = FlowCheck()
    sets: list[IndicatorSet] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # "version: 2026.1" or "version: 3" in YAML is a number; it is meant as a label.
        return str(value) if isinstance(value, int | float | date) else value

    @model_validator(mode="after")
    def _one_set_per_kind(self) -> IndicatorConfig:
        first: dict[UnitKind, int] = {}
        for index, indicator_set in enumerate(self.sets):
            if indicator_set.unit_kind in first:
                raise ConfigProblem(
                    f"unit_kind {indicator_set.unit_kind.value} already has a set "
                    f"(sets[{first[indicator_set.unit_kind]}])",
                    at=("sets", index),
                )
            first[indicator_set.unit_kind] = index
        return self

    def for_kind(self, kind: UnitKind | str) -> IndicatorSet | None:
        for indicator_set in self.sets:
            if indicator_set.unit_kind == kind:
                return indicator_set
        return None


def load_indicator_config(path: Path = DEFAULT_INDICATORS_FILE) -> IndicatorConfig:
    """Load and check the indicator sets; ConfigFileError (one line) on any problem."""
    return load_yaml_model(path, IndicatorConfig)


# --- versions -------------------------------------------------------------------------------


def snapshot(indicator_set: IndicatorSet) -> dict[str, Any]:
    """A JSON-ready copy; ``IndicatorSet.model_validate(snapshot(s)) == s``."""
    return indicator_set.model_dump(mode="json")


def fingerprint(indicator_set: IndicatorSet) -> str:
    """sha256 (hex) of the set's canonical JSON: equal sets, equal fingerprints, whatever the
    YAML's comments, key order or number spelling."""
    canonical = json.dumps(
        snapshot(indicator_set), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- checks on values -----------------------------------------------------------------------


@dataclass(frozen=True)
class RuleViolation:
    rule: Rule
    values: Mapping[str, Decimal]  # the compared indicators' values

    @property
    def codes(self) -> tuple[str, ...]:
        return self.rule.codes

    def message(self, language: str) -> str:
        """The rule's message in ``language`` with the figures written the local way."""
        shown = {code: format_number(value, language) for code, value in self.values.items()}
        return self.rule.message.get(language).format(**shown)


def _holds(left: Decimal, op: str, right: Decimal) -> bool:
    match op:
        case "<=":
            return left <= right
        case "<":
            return left < right
        case ">=":
            return left >= right
        case ">":
            return left > right
        case "==":
            return left == right
    raise ValueError(f"unknown operator {op!r}")


def violated_rules(
    indicator_set: IndicatorSet, values: Mapping[str, Decimal | None]
) -> list[RuleViolation]:
    """Rules broken by ``values``. A rule with an operand not yet known (missing or None) is
    skipped: halfway through a report, "union members ≤ workers" cannot be judged yet."""
    broken: list[RuleViolation] = []
    for rule in indicator_set.rules:
        comparison = rule.comparison
        sides = [
            side if isinstance(side, Decimal) else values.get(side)
            for side in (comparison.left, comparison.right)
        ]
        left, right = sides
        if left is None or right is None:
            continue
        if not _holds(left, comparison.op, right):
            known = {code: values[code] for code in rule.codes}
            broken.append(RuleViolation(rule, {k: v for k, v in known.items() if v is not None}))
    return broken


def rules_touching(indicator_set: IndicatorSet, code: str) -> list[Rule]:
    """Rules that compare the indicator ``code``."""
    return [rule for rule in indicator_set.rules if code in rule.codes]


def jump_threshold_for(indicator: Indicator, indicator_set_default: float) -> float | None:
    """The fraction that triggers "are you sure?" for this indicator, or None: no check."""
    if indicator.kind is IndicatorKind.YES_NO:
        return None
    if indicator.jump_threshold is not None:
        return indicator.jump_threshold
    # A stock moves slowly, so a big change is likely a typo; a flow (new members this month)
    # swings by nature and is checked only where the file asks for it.
    return indicator_set_default if indicator.kind is IndicatorKind.STOCK else None


def jump_exceeded(
    indicator: Indicator, indicator_set_default: float, new: Decimal, last: Decimal | None
) -> bool:
    """|new − last| / last above the indicator's threshold. No last figure, or zero: no
    check (there is nothing to be a fraction of)."""
    threshold = jump_threshold_for(indicator, indicator_set_default)
    if threshold is None or last is None or last == 0:
        return False
    return abs(new - last) / abs(last) > Decimal(str(threshold))
