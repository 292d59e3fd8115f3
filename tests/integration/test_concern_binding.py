"""Texts are bound to where they belong: a concern's text to its row and its enterprise, a
reply's to its row and its case. Someone who can write to the database but has no key cannot
move a case to another enterprise's officers, or a reply onto another case, and have it read
there; the officers and the worker see "this text cannot be read" instead, and nothing crashes.
Texts written before the binding (format 1) still read, and ``rotate_text_keys`` binds them."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Concern, ConcernReply
from services import anonymity, concerns
from testkit.concern_world import (
    CONFIG,
    KEYS,
    TODAY,
    lookup,
    make_world,
    only_case,
    submit,
)
from testkit.env import TEST_SECRET, concern_key_env
from tests.integration.conftest import cli


def legacy_blob(key: bytes, text: str, row: str) -> bytes:
    """A text as the code before the binding wrote it: format byte 1, key id, nonce, then
    AES-GCM with the header and the row (``concern:<id>``, ``reply:<id>``) as associated data."""
    header = bytes((1, anonymity.key_id(key)))
    nonce = secrets.token_bytes(12)
    return header + nonce + AESGCM(key).encrypt(nonce, text.encode(), header + row.encode())


async def _reply(session: AsyncSession, officer: int, concern_id: str, text: str) -> None:
    await concerns.reply(session, officer, concern_id, text, TODAY, keys=KEYS, config=CONFIG)


async def test_a_case_moved_to_another_enterprise_cannot_be_read_there(
    session: AsyncSession,
) -> None:
    world = await make_world(session)
    await submit(session, world.tree.enterprise.id, "Quản đốc chửi công nhân ở tổ 3.")
    case = await only_case(session, world.lan)
    assert case.text == "Quản đốc chửi công nhân ở tổ 3."
    # Someone with write access to the database hands the case to another enterprise's union.
    await session.execute(
        update(Concern)
        .where(Concern.id == case.concern_id)
        .values(enterprise_id=world.tree.small_enterprise.id)
    )
    await session.commit()
    moved = await only_case(session, world.minh)  # the other union's officer now lists it...
    assert moved.text is None  # ...and cannot read it
    view = await concerns.get_case(
        session, world.minh, case.concern_id, TODAY, keys=KEYS, config=CONFIG
    )
    assert view.text is None


async def test_a_text_copied_onto_a_case_of_another_enterprise_cannot_be_read(
    session: AsyncSession,
) -> None:
    world = await make_world(session)
    await submit(session, world.tree.enterprise.id, "Nội dung của DN-01.")
    await submit(session, world.tree.small_enterprise.id, "Nội dung của DN-02.", who="other")
    source = await only_case(session, world.lan)
    target = await only_case(session, world.minh)
    blob = await session.scalar(
        select(Concern.text_encrypted).where(Concern.id == source.concern_id)
    )
    await session.execute(
        update(Concern).where(Concern.id == target.concern_id).values(text_encrypted=blob)
    )
    await session.commit()
    assert (await only_case(session, world.minh)).text is None
    assert (await only_case(session, world.lan)).text == "Nội dung của DN-01."


async def test_a_reply_moved_onto_another_case_cannot_be_read_there(
    session: AsyncSession,
) -> None:
    world = await make_world(session)
    first = await submit(session, world.tree.enterprise.id, "Ca đêm không có nước uống.")
    second = await submit(session, world.tree.enterprise.id, "Nhà xe bị dột.", who="other")
    cases = await concerns.inbox(session, world.lan, TODAY, keys=KEYS, config=CONFIG)
    by_code = {c.case_code: c for c in cases}
    answered = by_code[first.case_code].concern_id
    other = by_code[second.case_code].concern_id
    await _reply(session, world.lan, answered, "Đã lắp bình nước cho ca đêm.")
    # The reply row is re-pointed at the other case.
    await session.execute(
        update(ConcernReply).where(ConcernReply.concern_id == answered).values(concern_id=other)
    )
    await session.commit()
    cases = await concerns.inbox(session, world.lan, TODAY, keys=KEYS, config=CONFIG)
    moved = {c.concern_id: c for c in cases}[other]
    assert [r.text for r in moved.replies] == [None]
    # The worker who holds the other case's receipt does not read it either.
    status = await lookup(session, second.receipt, who="other")
    assert [r.text for r in status.replies] == [None]


async def test_texts_written_before_the_binding_still_read_and_rotation_binds_them(
    session: AsyncSession,
) -> None:
    world = await make_world(session)
    await submit(session, world.tree.enterprise.id)
    case = await only_case(session, world.lan)
    await _reply(session, world.lan, case.concern_id, "Đã chuyển phòng nhân sự.")
    reply_id = await session.scalar(
        select(ConcernReply.id).where(ConcernReply.concern_id == case.concern_id)
    )
    # Both rows as the earlier code left them in the database.
    await session.execute(
        update(Concern)
        .where(Concern.id == case.concern_id)
        .values(
            text_encrypted=legacy_blob(KEYS.text_key, "Văn bản cũ.", f"concern:{case.concern_id}")
        )
    )
    await session.execute(
        update(ConcernReply)
        .where(ConcernReply.id == reply_id)
        .values(body_encrypted=legacy_blob(KEYS.text_key, "Trả lời cũ.", f"reply:{reply_id}"))
    )
    await session.commit()
    before = await only_case(session, world.lan)
    assert (before.text, before.replies[0].text) == ("Văn bản cũ.", "Trả lời cũ.")

    # Same key, old format: the rotation re-encrypts both into the bound format.
    rotation = await concerns.rotate_text_keys(session, KEYS)
    assert (rotation.reencrypted, rotation.unreadable) == (2, ())
    assert (await concerns.rotate_text_keys(session, KEYS)).reencrypted == 0  # idempotent
    blobs = [
        await session.scalar(select(Concern.text_encrypted)),
        await session.scalar(select(ConcernReply.body_encrypted)),
    ]
    assert [blob[0] for blob in blobs] == [2, 2]
    after = await only_case(session, world.lan)
    assert (after.text, after.replies[0].text) == ("Văn bản cũ.", "Trả lời cũ.")
    # Now bound: moving the case to another enterprise makes it unreadable.
    await session.execute(
        update(Concern)
        .where(Concern.id == case.concern_id)
        .values(enterprise_id=world.tree.small_enterprise.id)
    )
    await session.commit()
    assert (await only_case(session, world.minh)).text is None


async def test_rotation_reports_unreadable_rows_and_carries_on(session: AsyncSession) -> None:
    world = await make_world(session)
    await submit(session, world.tree.enterprise.id, "Bị ép ký hợp đồng ngắn hạn.")
    await submit(session, world.tree.enterprise.id, "Suất ăn ít thịt.", who="other")
    cases = await concerns.inbox(session, world.lan, TODAY, keys=KEYS, config=CONFIG)
    moved, kept = cases
    await session.execute(
        update(Concern)
        .where(Concern.id == moved.concern_id)
        .values(enterprise_id=world.tree.small_enterprise.id)
    )
    await session.commit()
    fresh_key = anonymity.generate_text_key()
    rotated = anonymity.ConcernKeys(
        text_key=anonymity.decode_text_key(fresh_key),
        old_text_keys=(KEYS.text_key,),
        receipt_pepper=KEYS.receipt_pepper,
        rate_secret=KEYS.rate_secret,
        push_public=KEYS.push_public,
        push_private=KEYS.push_private,
    )
    rotation = await concerns.rotate_text_keys(session, rotated)
    assert rotation.reencrypted == 1
    assert rotation.unreadable == (f"concern:{moved.concern_id}",)
    (still,) = await concerns.inbox(session, world.lan, TODAY, keys=rotated, config=CONFIG)
    assert (still.concern_id, still.text) == (kept.concern_id, kept.text)


async def test_the_rotation_command_names_unreadable_rows_and_fails(
    cli_env: Path,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = await make_world(session)
    env = concern_key_env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    keys = anonymity.ConcernKeys.from_strings(
        text_key=env["CONCERN_TEXT_KEY"],
        receipt_pepper=env["RECEIPT_PEPPER"],
        rate_secret=TEST_SECRET,
        push_public_key=env["CONCERN_PUSH_PUBLIC_KEY"],
        push_private_key=env["CONCERN_PUSH_PRIVATE_KEY"],
    )
    await submit(session, world.tree.enterprise.id, keys=keys)
    concern_id = await session.scalar(select(Concern.id))
    await session.execute(
        update(Concern)
        .where(Concern.id == concern_id)
        .values(enterprise_id=world.tree.small_enterprise.id)
    )
    await session.commit()
    assert await cli("rotate-concern-keys") == 1
    said = capsys.readouterr()
    assert "0 nội dung đã được mã hóa lại" in said.out
    assert "1 nội dung không giải mã được" in said.err and f"concern:{concern_id}" in said.err
