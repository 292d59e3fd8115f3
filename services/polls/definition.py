"""Polls as officers set them: the questions, the audience, the dates; who may set one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import NodeKind, OrgNode, Poll, ReportingUnit, Role, UnitKind
from services import audit
from services.access import Viewer
from services.polls.errors import BadDates, BadPoll, NotAllowedToPoll

MAX_QUESTIONS: Final = 5
MIN_OPTIONS: Final = 2
MAX_OPTIONS: Final = 9  # one digit each: typed as a number on Zalo and the console
MAX_TEXT: Final = 300


@dataclass(frozen=True)
class Text:
    """A text in Vietnamese and, optionally, English."""

    vi: str
    en: str | None = None

    def get(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.vi


@dataclass(frozen=True)
class Question:
    text: Text
    options: tuple[Text, ...]


@dataclass(frozen=True)
class PollDraft:
    questions: tuple[Question, ...]
    audience_node_id: int
    opens_on: date
    closes_on: date
    results_before_close: bool = False


@dataclass(frozen=True)
class PollView:
    id: int
    questions: tuple[Question, ...]
    audience_node_id: int
    audience_name: str
    opens_on: date
    closes_on: date
    results_before_close: bool
    finished: bool

    def is_open(self, today: date) -> bool:
        return self.opens_on <= today <= self.closes_on and not self.finished

    def is_closed(self, today: date) -> bool:
        return today > self.closes_on


def _clean(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > MAX_TEXT:
        raise BadPoll()
    return cleaned


def _text(value: Text) -> Text:
    return Text(_clean(value.vi), _clean(value.en) if value.en else None)


def _encode(questions: tuple[Question, ...]) -> str:
    return json.dumps(
        [
            {
                "text": {"vi": q.text.vi, "en": q.text.en},
                "options": [{"vi": o.vi, "en": o.en} for o in q.options],
            }
            for q in questions
        ],
        ensure_ascii=False,
    )


def decode_questions(raw: str) -> tuple[Question, ...]:
    return tuple(
        Question(
            Text(q["text"]["vi"], q["text"].get("en")),
            tuple(Text(o["vi"], o.get("en")) for o in q["options"]),
        )
        for q in json.loads(raw)
    )


async def may_poll(session: AsyncSession, viewer: Viewer, node_id: int) -> bool:
    """Administrators poll any node; an officer of a zone union polls their zone and below."""
    node = await session.get(OrgNode, node_id)
    if node is None or viewer.revoked:
        return False
    if viewer.has(Role.ADMIN):
        return True
    units = [r.reporting_unit_id for r in viewer.roles if r.role is Role.OFFICER]
    if not units:
        return False
    zones = await session.scalars(
        select(OrgNode.path)
        .join(ReportingUnit, ReportingUnit.org_node_id == OrgNode.id)
        .where(
            ReportingUnit.id.in_([u for u in units if u is not None]),
            ReportingUnit.kind == UnitKind.ZONE_UNION,
            ReportingUnit.active.is_(True),
        )
    )
    return any(node.path.startswith(path) for path in zones)


def check_draft(draft: PollDraft, today: date) -> PollDraft:
    """The draft with its texts cleaned; BadPoll or BadDates when it breaks a rule."""
    if not 1 <= len(draft.questions) <= MAX_QUESTIONS:
        raise BadPoll()
    questions = []
    for question in draft.questions:
        if not MIN_OPTIONS <= len(question.options) <= MAX_OPTIONS:
            raise BadPoll()
        questions.append(Question(_text(question.text), tuple(map(_text, question.options))))
    if draft.closes_on < draft.opens_on or draft.closes_on < today:
        raise BadDates()
    return PollDraft(
        tuple(questions),
        draft.audience_node_id,
        draft.opens_on,
        draft.closes_on,
        draft.results_before_close,
    )


async def create_poll(
    session: AsyncSession,
    viewer: Viewer,
    draft: PollDraft,
    *,
    today: date,
    actor: str | None = None,
) -> int:
    """Store a poll; its id. NotAllowedToPoll, BadPoll, BadDates. Commits. With ``actor`` (the
    office console's ``person:<id>``) it is written to the audit log as ``poll.create``."""
    if not await may_poll(session, viewer, draft.audience_node_id):
        raise NotAllowedToPoll()
    checked = check_draft(draft, today)
    poll = Poll(
        questions=_encode(checked.questions),
        audience_node_id=checked.audience_node_id,
        opens_on=checked.opens_on,
        closes_on=checked.closes_on,
        results_before_close=checked.results_before_close,
        created_by_person_id=viewer.person_id,
    )
    session.add(poll)
    if actor is not None:
        await session.flush()
        audit.record(
            session,
            actor=actor,
            action="poll.create",
            entity="poll",
            entity_id=poll.id,
            audience_node_id=checked.audience_node_id,
            opens_on=checked.opens_on.isoformat(),
            closes_on=checked.closes_on.isoformat(),
            results_before_close=checked.results_before_close,
        )
    await session.commit()
    return poll.id


def _view(poll: Poll, audience_name: str) -> PollView:
    return PollView(
        id=poll.id,
        questions=decode_questions(poll.questions),
        audience_node_id=poll.audience_node_id,
        audience_name=audience_name,
        opens_on=poll.opens_on,
        closes_on=poll.closes_on,
        results_before_close=poll.results_before_close,
        finished=poll.finished,
    )


async def get_poll(session: AsyncSession, poll_id: int) -> PollView | None:
    row = (
        await session.execute(
            select(Poll, OrgNode.name)
            .join(OrgNode, OrgNode.id == Poll.audience_node_id)
            .where(Poll.id == poll_id)
        )
    ).first()
    return None if row is None else _view(row[0], row[1])


async def list_polls(session: AsyncSession, *, under_path: str | None = None) -> list[PollView]:
    """Polls, newest first; with ``under_path`` only those whose audience lies under it."""
    statement = select(Poll, OrgNode.name, OrgNode.path).join(
        OrgNode, OrgNode.id == Poll.audience_node_id
    )
    rows = (await session.execute(statement.order_by(Poll.id.desc()))).all()
    return [
        _view(poll, name)
        for poll, name, path in rows
        if under_path is None or path.startswith(under_path)
    ]


async def enterprises_of(session: AsyncSession, node_id: int) -> list[int]:
    """The active enterprises at or under a node: a poll's audience."""
    node = await session.get(OrgNode, node_id)
    if node is None:
        return []
    rows = await session.scalars(
        select(OrgNode.id).where(
            OrgNode.path.startswith(node.path),
            OrgNode.kind == NodeKind.ENTERPRISE,
            OrgNode.active.is_(True),
        )
    )
    return list(rows)


async def enterprise_name(session: AsyncSession, enterprise_id: int) -> str | None:
    """The name of an active enterprise (a poll list's), None when there is none by this id."""
    node = await session.get(OrgNode, enterprise_id)
    if node is None or node.kind is not NodeKind.ENTERPRISE or not node.active:
        return None
    return node.name


async def audience_by_code(session: AsyncSession, viewer: Viewer, code: str) -> tuple[int, str]:
    """The org node with this code (any letter case) that this person may poll: (id, name).
    NotAllowedToPoll when there is none or it is outside their scope."""
    node = await session.scalar(
        select(OrgNode).where(
            func.upper(OrgNode.code) == " ".join(code.split()).upper(), OrgNode.active.is_(True)
        )
    )
    if node is None or not await may_poll(session, viewer, node.id):
        raise NotAllowedToPoll()
    return node.id, node.name


async def may_poll_somewhere(session: AsyncSession, viewer: Viewer) -> bool:
    """Whether this person may set polls at all (an administrator, a zone union officer)."""
    if viewer.revoked:
        return False
    if viewer.has(Role.ADMIN):
        return True
    units = [r.reporting_unit_id for r in viewer.roles if r.role is Role.OFFICER]
    found = await session.scalar(
        select(func.count())
        .select_from(ReportingUnit)
        .where(
            ReportingUnit.id.in_([u for u in units if u is not None]),
            ReportingUnit.kind == UnitKind.ZONE_UNION,
            ReportingUnit.active.is_(True),
        )
    )
    return bool(found)
