"""The documents the committee signs: the quarterly and the yearly report, filled into a Word
template the standing office can edit (handlers/documents/ renders them).

Their figures are the digest's, from ``build_digest`` and nothing else, so that a signed report
never disagrees with the digest the members read in the chat. What lives here is what is not
rendering: which periods a document covers, where the templates are, which node a code names, and
the refusals (a month, an unknown template, a template with a broken tag).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode
from services.concerns import ConcernConfig
from services.digests import Digest, DigestPeriod, PeriodKind, build_digest
from services.errors import DomainError
from services.reporting import ReportingSetup
from services.targets import TargetConfig

TEMPLATE_DIR: Final = Path(__file__).resolve().parent / "templates"
# The two layouts shipped: a party committee's report and a labour federation's.
LAYOUTS: Final = ("party", "union")
DEFAULT_LAYOUT: Final = "union"
# Flows that count organisations founded (the zone unions' set), shown in a section of their own
# when the indicator sets have them.
FOUNDED_CODES: Final = (
    "new_grassroots_unions",
    "new_party_organisations",
    "new_youth_organisations",
)


class NotADocumentPeriod(DomainError):
    message = "A report document covers a quarter (2026-Q4) or a year (2026), not {period}."


class UnknownNode(DomainError):
    message = "No such node: {code}"


class TemplateNotFound(DomainError):
    message = "No such template: {name} (use party, union or the path of a .docx file)."


class TemplateTagError(DomainError):
    """A tag of the template the report cannot fill: misspelt, unknown or unclosed. Names the
    tag, so that the office can find it in Word."""

    message = "The template has a tag the report cannot fill: {tag} ({reason})."


def template_path(name: str) -> Path:
    """A shipped layout by name, or the path of an edited .docx."""
    if name in LAYOUTS:
        return TEMPLATE_DIR / f"{name}.docx"
    path = Path(name)
    if path.suffix.lower() != ".docx" or not path.is_file():
        raise TemplateNotFound(name=name)
    return path


def document_period(key: str) -> DigestPeriod:
    """ "2026-Q4" or "2026"; a month is refused (its digest is the chat's, not a document)."""
    try:
        period = DigestPeriod.parse(key)
    except ValueError:
        raise NotADocumentPeriod(period=key) from None
    if period.kind is PeriodKind.MONTH:
        raise NotADocumentPeriod(period=key)
    return period


async def node_id_of(session: AsyncSession, code: str) -> int:
    node_id = await session.scalar(select(OrgNode.id).where(OrgNode.code == code))
    if node_id is None:
        raise UnknownNode(code=code)
    return node_id


async def root_name(session: AsyncSession, node_id: int) -> str:
    """The name of the top of the node's tree (the province): the place a document is issued."""
    path = await session.scalar(select(OrgNode.path).where(OrgNode.id == node_id))
    root_id = int(path.strip("/").split("/")[0]) if path and path.strip("/") else node_id
    return await session.scalar(select(OrgNode.name).where(OrgNode.id == root_id)) or ""


async def report_digest(
    session: AsyncSession,
    *,
    node_id: int,
    period: DigestPeriod,
    setup: ReportingSetup,
    targets: TargetConfig,
    concern_config: ConcernConfig,
    today: date,
) -> Digest:
    """The figures of a document: the digest itself (the caller checks the reader's scope)."""
    if period.kind is PeriodKind.MONTH:
        raise NotADocumentPeriod(period=period.key)
    return await build_digest(
        session,
        node_id=node_id,
        period=period,
        setup=setup,
        targets=targets,
        concern_config=concern_config,
        today=today,
    )
