"""Indicator sets and annual targets edited in the office console.

Where an edited version lives: a row of ``office_config_versions`` (kind, the content's own
``version:`` label, the YAML as saved, who, when). The newest row of a kind is in force; it
takes precedence over the file in ``config/`` from the moment it is saved (on the instance that
saved it) and at every start (``stored_overrides``). The file stays the default of a fresh
install, and the history is the list of rows (nothing is ever changed or deleted).

An edit is YAML text checked exactly as the file is (``parse_yaml_model``: the same loader and
pydantic models), and targets against the indicator sets, both ways: new targets against the
sets in force, new sets against the targets in force. A refusal names the item and the reason.
Reports are untouched: each keeps pointing at its own frozen ``IndicatorSetVersion``; the next
report of a kind whose set changed stores (and points at) a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OfficeConfigVersion
from services import audit
from services.config_files import ConfigFileError, parse_yaml_model
from services.errors import N_, DomainError
from services.indicators import IndicatorConfig
from services.targets import TargetConfig, check_against_indicators

Kind = Literal["indicators", "targets"]
KINDS: tuple[Kind, ...] = ("indicators", "targets")
MAX_CONTENT = 200_000  # characters: the shipped indicators.yaml is about 12 000


class ConfigRefused(DomainError):
    """A bad edit: nothing saved. ``where`` and ``problem`` are English (as the file's check
    words them); the console words them in Vietnamese (web/office/config_words.py)."""

    message = N_("Not saved: {where}{problem}")

    def __init__(self, *, where: str, problem: str) -> None:
        super().__init__(where=where, problem=problem)
        self.where = where
        self.problem = problem


class NothingEdited(DomainError):
    message = N_("Not saved: nothing was changed.")


class SameVersionLabel(DomainError):
    message = N_(
        "Not saved: the content changed but “version” is still {version}. Give the new version "
        "a new label (for example {suggestion}), so that reports and digests can tell them apart."
    )


class UnknownKind(DomainError):
    message = N_("Not found.")


@dataclass(frozen=True)
class InForce:
    kind: Kind
    version: str
    content: str
    source: str  # "office" (a row) or "file"
    row_id: int | None
    by: str | None
    at: datetime | None


@dataclass(frozen=True)
class HistoryLine:
    id: int
    version: str
    by: str
    at: datetime


def _kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise UnknownKind()
    return kind


async def newest(session: AsyncSession, kind: Kind) -> OfficeConfigVersion | None:
    row: OfficeConfigVersion | None = await session.scalar(
        select(OfficeConfigVersion)
        .where(OfficeConfigVersion.kind == kind)
        .order_by(OfficeConfigVersion.id.desc())
        .limit(1)
    )
    return row


async def newest_ids(session: AsyncSession) -> dict[str, int]:
    """Kind → id of its newest row: one small query, to notice an edit made elsewhere."""
    rows = await session.execute(
        select(OfficeConfigVersion.kind, func.max(OfficeConfigVersion.id)).group_by(
            OfficeConfigVersion.kind
        )
    )
    return {kind: int(row_id) for kind, row_id in rows.all()}


async def history(session: AsyncSession, kind: str, *, limit: int = 50) -> list[HistoryLine]:
    rows = await session.scalars(
        select(OfficeConfigVersion)
        .where(OfficeConfigVersion.kind == _kind(kind))
        .order_by(OfficeConfigVersion.id.desc())
        .limit(limit)
    )
    return [HistoryLine(r.id, r.version, r.created_by, r.created_at) for r in rows]


async def version_text(session: AsyncSession, kind: str, row_id: int) -> OfficeConfigVersion:
    row = await session.get(OfficeConfigVersion, row_id)
    if row is None or row.kind != _kind(kind):
        raise UnknownKind()
    return row


def in_force(
    kind: str, row: OfficeConfigVersion | None, file_text: str, file_version: str
) -> InForce:
    """What is in force: the newest row, else the file."""
    kind = _kind(kind)
    if row is None:
        return InForce(kind, file_version, file_text, "file", None, None, None)
    return InForce(kind, row.version, row.content, "office", row.id, row.created_by, row.created_at)


def _refused(error: ConfigFileError) -> ConfigRefused:
    return ConfigRefused(where=error.where, problem=error.problem)


def check_indicators(text: str, targets: TargetConfig) -> IndicatorConfig:
    """The text as indicator sets, and the targets in force still valid against them."""
    try:
        config = parse_yaml_model(text, IndicatorConfig, "office")
        check_against_indicators(targets, config, "office")
    except ConfigFileError as error:
        raise _refused(error) from None
    return config


def check_targets(text: str, indicators: IndicatorConfig) -> TargetConfig:
    """The text as annual targets, valid against the indicator sets in force."""
    try:
        config = parse_yaml_model(text, TargetConfig, "office")
        check_against_indicators(config, indicators, "office")
    except ConfigFileError as error:
        raise _refused(error) from None
    return config


def _suggest(version: str) -> str:
    head, dot, tail = version.rpartition(".")
    if dot and tail.isdigit():
        return f"{head}.{int(tail) + 1}"
    return f"{version}.1" if version else "2"


async def save(
    session: AsyncSession,
    kind: str,
    text: str,
    *,
    current: InForce,
    indicators: IndicatorConfig,
    targets: TargetConfig,
    actor: str,
    now: datetime,
) -> tuple[IndicatorConfig | TargetConfig, OfficeConfigVersion]:
    """Check ``text`` as the file would be checked and store it as the new version in force
    (audited as ``config.edit``); commits. The caller then puts the returned model in use."""
    kind = _kind(kind)
    text = text.replace("\r\n", "\n")
    if len(text) > MAX_CONTENT:
        raise ConfigRefused(where="", problem="the text is too long")
    if text.strip() == current.content.replace("\r\n", "\n").strip():
        raise NothingEdited()
    model: IndicatorConfig | TargetConfig = (
        check_indicators(text, targets) if kind == "indicators" else check_targets(text, indicators)
    )
    if model.version == current.version:
        raise SameVersionLabel(version=current.version, suggestion=_suggest(current.version))
    row = OfficeConfigVersion(
        kind=kind, version=model.version, content=text, created_by=actor, created_at=now
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action="config.edit",
        entity="office_config_version",
        entity_id=row.id,
        kind=kind,
        version=model.version,
        replaces=current.version,
    )
    await session.commit()
    return model, row


async def stored_overrides(
    session: AsyncSession, indicators: IndicatorConfig
) -> tuple[IndicatorConfig | None, TargetConfig | None]:
    """At start: the versions saved in the console, to use instead of the files (None: the
    file's). A stored version was valid when saved and the models only ever get stricter in a
    new release; one that no longer reads stops the bot like a bad file would."""
    found_indicators: IndicatorConfig | None = None
    found_targets: TargetConfig | None = None
    row = await newest(session, "indicators")
    if row is not None:
        found_indicators = parse_yaml_model(
            row.content, IndicatorConfig, f"office_config_versions #{row.id}"
        )
    row = await newest(session, "targets")
    if row is not None:
        source = f"office_config_versions #{row.id}"
        found_targets = parse_yaml_model(row.content, TargetConfig, source)
        check_against_indicators(found_targets, found_indicators or indicators, source)
    return found_indicators, found_targets
