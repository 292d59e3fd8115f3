"""The documents the committee signs: the quarterly and the yearly report, filled into a Word
template the standing office can edit (handlers/documents/ renders them).

Their figures are the digest's, from ``build_digest`` and nothing else, so that a signed report
never disagrees with the digest the members read in the chat. What lives here is what is not
rendering: which periods a document covers, where the templates are, which node a code names, and
the refusals (a month, an unknown template, a template with a broken tag).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode, Person, Role, RoleAssignment
from services import access
from services.access import Viewer
from services.concerns import ConcernConfig
from services.digests import Digest, DigestPeriod, PeriodKind, build_digest
from services.errors import DomainError
from services.periods import DocumentSchedule, Period, ReportingCalendar, lock_date
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


class NotForCommittee(DomainError):
    message = "Report documents are for steering committee members."


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


# An edited template in the configuration folder replaces the default one in the chat.
CHAT_TEMPLATE_FILE: Final = "report-template.docx"


def chat_template(config_dir: Path) -> Path:
    """The template of the documents sent in the chat: ``report-template.docx`` in the
    configuration folder when the office has put one there, the labour federation's otherwise."""
    edited = config_dir / CHAT_TEMPLATE_FILE
    return edited if edited.is_file() else TEMPLATE_DIR / f"{DEFAULT_LAYOUT}.docx"


def default_period(kind: PeriodKind, today: date) -> DigestPeriod:
    """The quarter or the year of last month: on 20 January 2027 the fourth quarter and the year
    2026, both complete; on 20 February the first quarter of 2027 so far."""
    month = today.month - 1 or 12
    year = today.year if today.month > 1 else today.year - 1
    if kind is PeriodKind.YEAR:
        return DigestPeriod.of_year(year)
    return DigestPeriod.of_quarter(year, (month - 1) // 3 + 1)


async def committee_node(session: AsyncSession, viewer: Viewer) -> int:
    """The node a member's documents cover: their own scope (an administrator: the province).
    Checked here, from the database, whatever the chat asked for."""
    if not (viewer.has(Role.COMMITTEE) or viewer.has(Role.ADMIN)) or viewer.revoked:
        raise NotForCommittee()
    node_id = await access.home_node(session, viewer)
    if node_id is None:
        raise NotForCommittee()
    return node_id


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


def due_documents(
    schedule: DocumentSchedule, calendar: ReportingCalendar, today: date
) -> list[str]:
    """Period keys whose document is due today: a quarter from its last month's lock day, the
    year from its configured day, each for ``relevant_days``."""
    window = timedelta(days=schedule.relevant_days)
    keys = []
    if schedule.quarterly:
        month = Period.of(today)
        for back in range(0, 4):
            period = month.shift(-back)
            if period.month % 3:
                continue
            locks = lock_date(period, calendar)
            if locks <= today < locks + window:
                keys.append(f"{period.year:04d}-Q{period.month // 3}")
    if schedule.yearly:
        for year in (today.year, today.year - 1):
            day_ = date(year, schedule.yearly_month, schedule.yearly_day)
            if day_ <= today < day_ + window:
                keys.append(f"{year:04d}")
    return keys


@dataclass(frozen=True)
class DocumentDue:
    person_id: int
    node_id: int
    period_key: str


async def plan_documents(
    session: AsyncSession, calendar: ReportingCalendar, today: date
) -> list[DocumentDue]:
    """Each committee member gets each due document of their own subtree (the outbox's
    idempotency key makes it once)."""
    schedule = calendar.documents
    keys = due_documents(schedule, calendar, today) if schedule is not None else []
    if not keys:
        return []
    rows = (
        await session.execute(
            select(RoleAssignment.org_node_id, Person.id)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(
                RoleAssignment.role == Role.COMMITTEE,
                RoleAssignment.revoked_at.is_(None),
                RoleAssignment.org_node_id.is_not(None),
                Person.revoked_at.is_(None),
            )
            .order_by(RoleAssignment.id)
        )
    ).all()
    return [
        DocumentDue(person_id, node_id, key)
        for node_id, person_id in rows
        if node_id is not None
        for key in keys
    ]
