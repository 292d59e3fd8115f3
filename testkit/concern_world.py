"""A small world for the concern services' tests: keys, config, an enterprise with a union, a
worker, and helpers to submit and look up cases (shared by several integration tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ReportingUnit,
    UnitKind,
)
from services import anonymity, concerns
from services.anonymity import ConcernKeys
from services.concerns import ConcernConfig, load_concern_config
from testkit.org import Tree, make_person, make_tree

TODAY = date(2026, 11, 20)


WORKER = "987654321"  # a Telegram user id; in a private chat also the chat id


CONFIG = load_concern_config()


def make_keys(text_key: str | None = None, old: str = "") -> ConcernKeys:
    public, private = anonymity.generate_push_key_pair()
    return ConcernKeys.from_strings(
        text_key=text_key or anonymity.generate_text_key(),
        old_text_keys=old,
        receipt_pepper="pepper-" + "p" * 40,
        rate_secret="app-secret-" + "s" * 40,
        push_public_key=public,
        push_private_key=private,
    )


KEYS = make_keys()


def subject(user: str = WORKER, day: date = TODAY) -> str:
    return KEYS.subject("telegram", user, day)


@dataclass(frozen=True)
class World:
    tree: Tree
    zone_union_name: str
    lan: int  # officer of the trade union of DN-01
    minh: int  # officer of the trade union of DN-02 (the small enterprise)
    hoa: int  # officer of the industrial-zone union


async def make_world(session: AsyncSession) -> World:
    tree = await make_tree(session)
    zone_union = ReportingUnit(
        code="CD-KCN",
        kind=UnitKind.ZONE_UNION,
        name="Công đoàn các KCN tỉnh Bắc Giang",
        org_node_id=tree.zone.id,
    )
    session.add(zone_union)
    await session.commit()
    return World(
        tree=tree,
        zone_union_name=zone_union.name,
        lan=await make_person(session, 1, "Nguyễn Thị Lan", units=(tree.union.id,)),
        minh=await make_person(session, 2, "Trần Văn Minh", units=(tree.other_union.id,)),
        hoa=await make_person(session, 3, "Lê Thị Hoa", units=(zone_union.id,)),
    )


async def submit(
    session: AsyncSession,
    enterprise_id: int,
    text: str = "Tiền tăng ca tháng 10 chưa được trả đủ.",
    *,
    who: str = WORKER,
    day: date = TODAY,
    push: str | None = None,
    config: ConcernConfig = CONFIG,
    keys: ConcernKeys = KEYS,
    release: bool = True,
) -> concerns.Submission:
    sent = await concerns.submit_concern(
        session,
        enterprise_id=enterprise_id,
        category="overtime",
        text=text,
        subject=keys.subject("telegram", who, day),
        keys=keys,
        today=day,
        push_chat_id=push,
        config=config,
    )
    if release:  # as the notice batch does: officers see a case only once it is released
        await concerns.release_pending(session)
    return sent


async def lookup(
    session: AsyncSession, receipt: str, *, who: str = WORKER, day: date = TODAY, **kw: Any
) -> concerns.CaseStatus:
    return await concerns.lookup(
        session, receipt, subject(who, day), KEYS, day, config=kw.get("config", CONFIG)
    )


async def only_case(session: AsyncSession, person: int, day: date = TODAY) -> concerns.InboxCase:
    (case,) = await concerns.inbox(session, person, day, keys=KEYS, config=CONFIG)
    return case
