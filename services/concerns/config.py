"""``config/concerns.yaml``: the categories and the limits of the concern channel, checked strictly
at start (a misspelt key stops the bot), and its loader.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Any, Final

from grassroots_config import DEFAULT_CONFIG_DIR
from pydantic import Field, field_validator, model_validator

from services.config_files import TrimmedModel, load_yaml_model
from services.indicators import Label

DEFAULT_CONCERNS_FILE: Final = DEFAULT_CONFIG_DIR / "concerns.yaml"
MAX_TEXT_LENGTH: Final = 2000


# Frozen and strict like the indicator sets: a misspelt key stops the bot at start.
_Model = TrimmedModel


_CODE: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")  # cases store it: concerns.category


class Category(_Model):
    code: str
    label: Label

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.fullmatch(value):
            raise ValueError(
                f"{value!r} must be 1-40 lower-case latin letters, digits or _, "
                "starting with a letter"
            )
        return value


class ConcernConfig(_Model):
    """``config/concerns.yaml``: categories and the limits of the channel."""

    max_text_length: int = Field(default=MAX_TEXT_LENGTH, ge=1, le=4000)
    small_enterprise_workers: int = Field(default=50, ge=0)
    concerns_per_day: int = Field(default=3, ge=1)
    messages_per_minute: int = Field(default=20, ge=1)
    receipt_attempts_per_day: int = Field(default=10, ge=1)
    escalate_after_days: int = Field(default=7, ge=1)
    notice_times: tuple[time, ...] = Field(default=(time(8), time(14)), min_length=1)
    # Pushed answers go out in batches, never in the officer's request (handlers/concerns/jobs.py):
    # a batch every ``push_every_minutes``, each after a random extra wait of up to
    # ``push_jitter_minutes`` (shorter than the period, so batches never overlap).
    push_every_minutes: int = Field(default=20, ge=1, le=24 * 60)
    push_jitter_minutes: int = Field(default=10, ge=0, le=24 * 60)
    # A seal is deleted this many days after the case's last answer or status change, even if
    # the case is never closed.
    push_seal_days: int = Field(default=30, ge=1)
    categories: tuple[Category, ...] = Field(min_length=1)

    @field_validator("notice_times", mode="before")
    @classmethod
    def _sexagesimal(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 14:00 as the base-60 number 840 (= 14 × 60): take it back.
        if isinstance(value, list | tuple):
            return [
                time(item // 60, item % 60) if isinstance(item, int) and 0 <= item < 1440 else item
                for item in value
            ]
        return value

    @field_validator("notice_times")
    @classmethod
    def _distinct_times(cls, value: tuple[time, ...]) -> tuple[time, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a time is listed twice")
        return tuple(sorted(value))

    @model_validator(mode="after")
    def _batches_do_not_overlap(self) -> ConcernConfig:
        if self.push_jitter_minutes >= self.push_every_minutes:
            raise ValueError("push_jitter_minutes must be shorter than push_every_minutes")
        return self

    @field_validator("categories")
    @classmethod
    def _distinct_codes(cls, value: tuple[Category, ...]) -> tuple[Category, ...]:
        seen: set[str] = set()
        for category in value:
            if category.code in seen:
                raise ValueError(f"category {category.code!r} is listed twice")
            seen.add(category.code)
        return value

    def category(self, code: str) -> Category | None:
        for category in self.categories:
            if category.code == code:
                return category
        return None


def load_concern_config(path: Path = DEFAULT_CONCERNS_FILE) -> ConcernConfig:
    """Load and check the concern settings; ConfigFileError (one line) on any problem."""
    return load_yaml_model(path, ConcernConfig)
