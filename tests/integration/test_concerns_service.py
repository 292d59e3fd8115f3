"""Anonymous concerns: the worker's side, the officers' side, the jobs, and what is stored."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Date, DateTime, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AuditEntry,
    Base,
    Concern,
    ConcernLimit,
    ConcernReply,
    ConcernStatus,
    NodeKind,
    OrgNode,
    ReportingUnit,
    UnitKind,
)
from models.db import UnitOfWork
from services import anonymity, concerns
from services.access import revoke_person
from services.anonymity import ConcernKeys
from services.concerns import load_concern_config
from services.errors import PermissionDenied
from services.indicators import ConfigFileError
from testkit.concern_world import (
    CONFIG,
    KEYS,
    TODAY,
    WORKER,
    lookup,
    make_keys,
    make_world,
    only_case,
    subject,
    submit,
)
from testkit.org import make_person


async def take(session: AsyncSession, keys: ConcernKeys = KEYS) -> concerns.PushBatch:
    """What the push batch takes: the answers waiting now."""
    return await concerns.take_pushes(session, keys, await concerns.pending_pushes(session))


async def answer(
    session: AsyncSession, person: int, concern_id: str, day: date = TODAY
) -> concerns.ReplyResult:
    return await concerns.reply(
        session, person, concern_id, "Đã nhận.", day, keys=KEYS, config=CONFIG
    )


async def seal_of(session: AsyncSession, case_code: str) -> bytes | None:
    return await session.scalar(select(Concern.push_sealed).where(Concern.case_code == case_code))


# --- configuration --------------------------------------------------------------------------


def test_the_shipped_configuration() -> None:
    assert [c.code for c in CONFIG.categories] == [
        "wages",
        "overtime",
        "safety",
        "insurance",
        "contract",
        "housing",
        "meals",
        "management",
        "other",
    ]
    assert CONFIG.category("wages") is not None
    assert CONFIG.category("wages").label.vi == "Tiền lương, thu nhập"  # type: ignore[union-attr]
    assert (CONFIG.max_text_length, CONFIG.small_enterprise_workers) == (2000, 50)
    assert (CONFIG.concerns_per_day, CONFIG.messages_per_minute) == (3, 20)
    assert (CONFIG.receipt_attempts_per_day, CONFIG.escalate_after_days) == (10, 7)
    assert [t.strftime("%H:%M") for t in CONFIG.notice_times] == ["08:00", "14:00"]
    assert (CONFIG.push_every_minutes, CONFIG.push_jitter_minutes) == (20, 10)
    assert CONFIG.push_seal_days == 30


def test_unquoted_yaml_times_are_read_as_times(tmp_path: Path) -> None:
    path = tmp_path / "concerns.yaml"
    path.write_text(
        "notice_times: [14:00, 8:30]\n"
        "categories:\n  - {code: other, label: {vi: Khác, en: Other}}\n",
        encoding="utf-8",
    )
    assert [t.strftime("%H:%M") for t in load_concern_config(path).notice_times] == [
        "08:30",
        "14:00",
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("categories: []\n", "categories"),
        (
            "categories:\n"
            "  - {code: a, label: {vi: A, en: A}}\n"
            "  - {code: a, label: {vi: B, en: B}}\n",
            "twice",
        ),
        ("concerns_per_day: 0\ncategories:\n  - {code: a, label: {vi: A, en: A}}\n", "per_day"),
        ("categories:\n  - {code: Bad Code, label: {vi: A, en: A}}\n", "lower-case"),
        ("categores: []\n", "categores"),
        (
            "push_every_minutes: 10\npush_jitter_minutes: 10\n"
            "categories:\n  - {code: a, label: {vi: A, en: A}}\n",
            "push_jitter_minutes must be shorter",
        ),
    ],
)
def test_a_bad_configuration_stops_with_one_line(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / "concerns.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigFileError) as error:
        load_concern_config(path)
    assert problem in str(error.value) and "\n" not in str(error.value)


# --- cleaning texts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Lương\u200b thấp\u200d", "Lương thấp"),  # zero-width space and joiner
        ("\ufeffxin chào", "xin chào"),  # byte-order mark
        ("abc\u202edcba\u202c", "abcdcba"),  # right-to-left override
        ("\u2066<b>x</b>\u2069", "<b>x</b>"),  # isolates; markup itself is escaped when shown
        ("a\u200eb\u200fc\u061cd", "abcd"),  # LRM, RLM, ALM
        ("so\u00adft", "soft"),  # soft hyphen
        ("ca\u0301c", "các"),  # decomposed → NFC
        ("ca\u200d\u0301c", "các"),  # a joiner hidden between letter and accent
        (
            "  dòng 1  \r\ndòng 2\r\n\r\n\r\n\r\ndòng 3\u2028dòng 4\t!  ",
            "dòng 1\ndòng 2\n\ndòng 3\ndòng 4 !",
        ),
        ("\x07bell\x1b[31m", "bell[31m"),  # control characters
        ("\u3164\u115fa", "a"),  # invisible Hangul fillers
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert concerns.clean_text(raw) == clean


@pytest.mark.parametrize("raw", ["", "   ", "\u200b\u200b", "\n\u202e\n"])
def test_nothing_visible_is_refused(raw: str) -> None:
    with pytest.raises(concerns.EmptyText):
        concerns.clean_text(raw)


def test_too_long_is_refused_with_its_length_never_cut() -> None:
    assert concerns.clean_text("a" * 2000) == "a" * 2000
    with pytest.raises(concerns.TextTooLong) as error:
        concerns.clean_text("á" * 2001)
    assert (error.value.length, error.value.limit) == (2001, 2000)
    assert "2001" in str(error.value) and "2000" in str(error.value)
    # Invisible characters do not count against the limit.
    assert len(concerns.clean_text("a" * 2000 + "\u200b" * 50)) == 2000


# --- the worker's side ----------------------------------------------------------------------


async def test_enterprise_by_code(session: AsyncSession) -> None:
    world = await make_world(session)
    big = await concerns.enterprise_by_code(session, " dn-01 ", config=CONFIG)
    assert (big.enterprise_id, big.name, big.small) == (
        world.tree.enterprise.id,
        "Công ty TNHH May Hà Phong",
        False,
    )
    assert big.union_name == "CĐCS Công ty May Hà Phong"
    small = await concerns.enterprise_by_code(session, "DN-02", config=CONFIG)
    assert small.small and small.worker_count == 35
    for code in ("DN-99", "KCN-QC", "BG", "", "x" * 100, " - ", "DN-0"):
        with pytest.raises(concerns.EnterpriseNotFound):
            await concerns.enterprise_by_code(session, code, config=CONFIG)


async def test_enterprise_codes_match_as_people_type_them(session: AsyncSession) -> None:
    world = await make_world(session)
    for typed in ("dn 01", "DN01", "dn.01", "Dn – 01", "ＤＮ－０１", " dn_01 "):
        found = await concerns.enterprise_by_code(session, typed, config=CONFIG)
        assert found.enterprise_id == world.tree.enterprise.id, typed
    # Two codes that differ only by separators: the exact one wins, a loose match is refused.
    session.add(
        OrgNode(
            code="DN0-1",
            kind=NodeKind.ENTERPRISE,
            name="Công ty Trùng Mã",
            parent_id=world.tree.zone.id,
            path=f"/{world.tree.province.id}/{world.tree.zone.id}/0/",
        )
    )
    await session.commit()
    exact = await concerns.enterprise_by_code(session, "dn-01", config=CONFIG)
    assert exact.enterprise_id == world.tree.enterprise.id
    with pytest.raises(concerns.EnterpriseNotFound):
        await concerns.enterprise_by_code(session, "dn 01", config=CONFIG)


async def test_an_enterprise_without_a_union_names_the_zone_union(session: AsyncSession) -> None:
    world = await make_world(session)
    union = await session.get(ReportingUnit, world.tree.union.id)
    assert union is not None
    union.active = False
    await session.commit()
    found = await concerns.enterprise_by_code(session, "DN-01", config=CONFIG)
    assert (found.union_name, found.zone_union_name) == (None, world.zone_union_name)


async def test_submit_then_lookup(session: AsyncSession) -> None:
    world = await make_world(session)
    sent = await submit(session, world.tree.enterprise.id)
    assert sent.case_code.startswith("TT-") and len(sent.case_code) == 9
    assert len(sent.receipt) == 14 and sent.receipt[4] == " " and sent.receipt not in repr(sent)
    status = await lookup(session, sent.receipt.replace(" ", "-"))
    assert status.case_code == sent.case_code
    assert status.status is ConcernStatus.RECEIVED
    assert (status.created_on, status.category, status.replies) == (TODAY, "overtime", ())
    assert status.enterprise_name == "Công ty TNHH May Hà Phong"
    assert not status.push


async def test_every_check_counts_even_of_a_valid_receipt(session: AsyncSession) -> None:
    """Each check costs a slow hash: a valid receipt checked over and over must not be a way
    to make the bot hash without limit (issue 11)."""
    world = await make_world(session)
    sent = await submit(session, world.tree.enterprise.id)
    config = CONFIG.model_copy(update={"receipt_attempts_per_day": 3})
    for _ in range(3):
        assert (await lookup(session, sent.receipt, config=config)).case_code == sent.case_code
    with pytest.raises(concerns.TooManyAttempts) as refused:
        await lookup(session, sent.receipt, config=config)
    assert refused.value.params == {"limit": 3}


async def test_unknown_category_and_enterprise_are_refused(session: AsyncSession) -> None:
    world = await make_world(session)
    with pytest.raises(concerns.UnknownCategory):
        await concerns.submit_concern(
            session,
            enterprise_id=world.tree.enterprise.id,
            category="politics",
            text="x",
            subject=subject(),
            keys=KEYS,
            today=TODAY,
            config=CONFIG,
        )
    with pytest.raises(concerns.EnterpriseNotFound):
        await submit(session, world.tree.zone.id)
    assert await session.scalar(select(func.count()).select_from(Concern)) == 0


async def test_wrong_and_nonexistent_receipts_get_the_same_answer(session: AsyncSession) -> None:
    world = await make_world(session)
    sent = await submit(session, world.tree.enterprise.id)
    digits = anonymity.normalize_receipt(sent.receipt)
    assert digits is not None
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)  # one digit off a real receipt
    answers = []
    for typed in (wrong, "0000 0000 0000"):
        with pytest.raises(concerns.ReceiptNotRecognised) as error:
            await lookup(session, typed)
        answers.append((type(error.value), str(error.value), error.value.params))
    assert answers[0] == answers[1]
    with pytest.raises(concerns.ReceiptMalformed):
        await lookup(session, "12345")


async def test_receipt_attempts_are_limited_per_subject_and_day(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world(session)
    config = CONFIG.model_copy(update={"receipt_attempts_per_day": 3})
    sent = await submit(session, world.tree.enterprise.id)
    for guess in range(3):
        with pytest.raises(concerns.ReceiptNotRecognised):
            await lookup(session, f"{guess:012d}", config=config)
    hashed: list[str] = []
    real_hash = anonymity.receipt_hash
    monkeypatch.setattr(anonymity, "receipt_hash", lambda k, r: hashed.append(r) or real_hash(k, r))
    # Over the limit even the right receipt is refused, before anything is hashed.
    with pytest.raises(concerns.TooManyAttempts):
        await lookup(session, sent.receipt, config=config)
    assert hashed == []
    # Another worker, or the same one tomorrow, is not affected.
    assert (await lookup(session, sent.receipt, who="111", config=config)).case_code
    tomorrow = TODAY + timedelta(days=1)
    assert (await lookup(session, sent.receipt, day=tomorrow, config=config)).case_code
    assert len(hashed) == 2  # the spy sees hashes: its silence above meant something


async def test_parallel_guesses_cannot_overshoot_the_limit(uow: UnitOfWork) -> None:
    async with uow() as session:
        world = await make_world(session)
        await submit(session, world.tree.enterprise.id)
    config = CONFIG.model_copy(update={"receipt_attempts_per_day": 4})

    async def guess(n: int) -> str:
        async with uow() as own:
            try:
                await lookup(own, f"{n:012d}", config=config)
            except concerns.DomainError as error:
                return type(error).__name__
        return "found"

    results = await asyncio.gather(*(guess(n) for n in range(10)))
    assert results.count("ReceiptNotRecognised") == 4
    assert results.count("TooManyAttempts") == 6


async def test_receipt_hashes_run_at_most_a_few_at_a_time(
    uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many checks at once (a crowd, or one attacker with many accounts) queue for the hash:
    at most RECEIPT_HASH_WORKERS of them use CPU and 16 MiB each at any moment."""
    async with uow() as session:
        world = await make_world(session)
        sent = await submit(session, world.tree.enterprise.id)
    running = 0
    most = 0
    lock = threading.Lock()
    real_scrypt = hashlib.scrypt

    def counted(*args: Any, **kwargs: Any) -> bytes:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.05)  # long enough for every queued check to start if nothing held it
            return real_scrypt(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(hashlib, "scrypt", counted)

    async def check(n: int) -> str:
        async with uow() as own:
            status = await lookup(own, sent.receipt, who=f"worker-{n}")
            return status.case_code

    results = await asyncio.gather(*(check(n) for n in range(8)))
    assert results == [sent.case_code] * 8
    assert 1 <= most <= 2
    assert most == anonymity.RECEIPT_HASH_WORKERS  # the queue is full: every worker is busy


async def test_concerns_per_day_are_limited_per_subject(session: AsyncSession) -> None:
    world = await make_world(session)
    for _ in range(3):
        await submit(session, world.tree.enterprise.id)
    with pytest.raises(concerns.TooManyConcerns) as error:
        await submit(session, world.tree.small_enterprise.id)
    assert error.value.params == {"limit": 3}
    await submit(session, world.tree.enterprise.id, who="123456")  # another worker is fine
    await submit(session, world.tree.enterprise.id, day=TODAY + timedelta(days=1))  # so is tomorrow
    assert await session.scalar(select(func.count()).select_from(Concern)) == 5


async def test_parallel_submissions_respect_the_daily_limit(uow: UnitOfWork) -> None:
    async with uow() as session:
        world = await make_world(session)

    async def send() -> str:
        async with uow() as own:
            try:
                await submit(own, world.tree.enterprise.id)
            except concerns.TooManyConcerns:
                return "refused"
        return "sent"

    results = await asyncio.gather(*(send() for _ in range(6)))
    assert sorted(results) == ["refused"] * 3 + ["sent"] * 3


async def test_a_refused_text_costs_no_concern_of_the_day(session: AsyncSession) -> None:
    world = await make_world(session)
    for _ in range(5):
        with pytest.raises(concerns.TextTooLong) as error:
            await submit(session, world.tree.enterprise.id, "ư" * 2001)
        assert error.value.length == 2001
    await submit(session, world.tree.enterprise.id)
    assert await session.scalar(select(func.count()).select_from(Concern)) == 1


async def test_officers_read_the_cleaned_text(session: AsyncSession) -> None:
    world = await make_world(session)
    raw = unicodedata.normalize("NFD", "Quản đốc\u200b la mắng\u202e công nhân")
    await submit(session, world.tree.enterprise.id, raw)
    case = await only_case(session, world.lan)
    assert case.text == "Quản đốc la mắng công nhân"
    assert unicodedata.is_normalized("NFC", case.text)


async def test_the_limits_table_stays_bounded(session: AsyncSession) -> None:
    world = await make_world(session)
    for offset in range(6):
        day = TODAY + timedelta(days=offset)
        for user in ("1001", "1002"):
            await submit(session, world.tree.enterprise.id, who=user, day=day)
            with pytest.raises(concerns.ReceiptNotRecognised):
                await lookup(session, "0000 0000 0000", who=user, day=day)
    days = set(await session.scalars(select(ConcernLimit.day)))
    assert days == {TODAY + timedelta(days=4), TODAY + timedelta(days=5)}
    assert await session.scalar(select(func.count()).select_from(ConcernLimit)) == 8


async def test_push_opt_in_and_out_with_the_receipt(session: AsyncSession) -> None:
    world = await make_world(session)
    sent = await submit(session, world.tree.enterprise.id)
    common = {"subject": subject(), "keys": KEYS, "today": TODAY, "config": CONFIG}
    assert await concerns.set_push(session, sent.receipt, WORKER, **common)
    assert (await lookup(session, sent.receipt)).push
    await answer(session, world.lan, (await only_case(session, world.lan)).concern_id)
    (due,) = (await take(session)).due
    assert due.target == WORKER
    assert not await concerns.set_push(session, sent.receipt, None, **common)
    assert not (await lookup(session, sent.receipt)).push
    with pytest.raises(concerns.ReceiptNotRecognised):
        await concerns.set_push(session, "1111 1111 1111", WORKER, **common)


# --- the officers' side ---------------------------------------------------------------------


async def test_officers_see_only_their_enterprise(session: AsyncSession) -> None:
    world = await make_world(session)
    await submit(session, world.tree.enterprise.id)
    case = await only_case(session, world.lan)
    assert (case.created_on, case.category, case.status) == (
        TODAY,
        "overtime",
        ConcernStatus.RECEIVED,
    )
    assert case.text == "Tiền tăng ca tháng 10 chưa được trả đủ." and not case.overdue
    assert not case.as_zone and case.escalated_to is None
    # The officer of another enterprise, and the zone union before escalation, see nothing …
    for other in (world.minh, world.hoa):
        assert await concerns.inbox(session, other, TODAY, keys=KEYS, config=CONFIG) == []
        # … and can do nothing with the case, whatever id they send.
        with pytest.raises(PermissionDenied):
            await concerns.reply(
                session, other, case.concern_id, "Trả lời", TODAY, keys=KEYS, config=CONFIG
            )
        with pytest.raises(PermissionDenied):
            await concerns.set_status(session, other, case.concern_id, ConcernStatus.CLOSED, TODAY)
        with pytest.raises(PermissionDenied):
            await concerns.escalate(session, other, case.concern_id, TODAY)
        with pytest.raises(PermissionDenied):
            await concerns.get_case(
                session, other, case.concern_id, TODAY, keys=KEYS, config=CONFIG
            )
    with pytest.raises(concerns.CaseNotFound):
        await concerns.reply(session, world.lan, "0" * 32, "x", TODAY, keys=KEYS, config=CONFIG)
    # A revoked officer loses the inbox at once.
    await revoke_person(session, world.lan, actor="test")
    assert await concerns.inbox(session, world.lan, TODAY, keys=KEYS, config=CONFIG) == []


async def test_a_reply_is_signed_by_the_organisation(session: AsyncSession) -> None:
    world = await make_world(session)
    sent = await submit(session, world.tree.enterprise.id)
    case = await only_case(session, world.lan)
    result = await concerns.reply(
        session,
        world.lan,
        case.concern_id,
        "Công đoàn đã làm việc với phòng nhân sự, tiền tăng ca sẽ trả vào kỳ lương tới.",
        TODAY + timedelta(days=2),
        keys=KEYS,
        config=CONFIG,
    )
    assert result.case_code == sent.case_code
    assert await take(session) == concerns.PushBatch(due=(), unopened=0)  # nobody asked
    status = await lookup(session, sent.receipt)
    assert status.status is ConcernStatus.ANSWERED
    (answer,) = status.replies
    assert answer.signed_as == "CĐCS Công ty May Hà Phong"
    assert "Lan" not in answer.signed_as and answer.created_on == TODAY + timedelta(days=2)
    assert answer.text.startswith("Công đoàn đã làm việc")
    row = await session.scalar(select(Concern))
    assert row is not None and row.answered_on == TODAY + timedelta(days=2)
    audit = (await session.scalars(select(AuditEntry.action))).all()
    assert audit == ["concern.reply"]  # the officer's act is recorded; the submission is not


async def test_statuses_and_closing_deletes_the_push_seal(session: AsyncSession) -> None:
    world = await make_world(session)
    sent = await submit(session, world.tree.enterprise.id, push=WORKER)
    case = await only_case(session, world.lan)
    assert (await session.scalar(select(Concern.push_sealed))) is not None
    for status in (ConcernStatus.RECEIVED, ConcernStatus.ESCALATED):
        with pytest.raises(concerns.StatusNotSettable):
            await concerns.set_status(session, world.lan, case.concern_id, status, TODAY)
    assert (
        await concerns.set_status(
            session, world.lan, case.concern_id, ConcernStatus.IN_PROGRESS, TODAY
        )
        is ConcernStatus.IN_PROGRESS
    )
    assert (await lookup(session, sent.receipt)).status is ConcernStatus.IN_PROGRESS
    await concerns.set_status(session, world.lan, case.concern_id, ConcernStatus.CLOSED, TODAY)
    assert (await session.scalar(select(Concern.push_sealed))) is None
    assert not (await lookup(session, sent.receipt)).push
    assert await concerns.inbox(session, world.lan, TODAY, keys=KEYS, config=CONFIG) == []
    closed = await concerns.inbox(
        session, world.lan, TODAY, keys=KEYS, config=CONFIG, include_closed=True
    )
    assert closed[0].status is ConcernStatus.CLOSED
    with pytest.raises(concerns.CaseClosed):
        await concerns.reply(
            session, world.lan, case.concern_id, "x", TODAY, keys=KEYS, config=CONFIG
        )
    with pytest.raises(concerns.CaseClosed):
        await concerns.set_push(
            session, sent.receipt, WORKER, subject=subject(), keys=KEYS, today=TODAY, config=CONFIG
        )


async def test_every_answer_waits_for_the_push_batch_alike(session: AsyncSession) -> None:
    """The officer's request writes the same whether or not the worker asked for pushes; the
    batch delivers to those who did, once."""
    world = await make_world(session)
    opted = await submit(session, world.tree.enterprise.id, "Nhà vệ sinh hỏng.", push=WORKER)
    await submit(session, world.tree.enterprise.id, "Thiếu nước uống.", who="1002")
    for case in await concerns.inbox(session, world.lan, TODAY, keys=KEYS, config=CONFIG):
        await answer(session, world.lan, case.concern_id)
    rows = (await session.scalars(select(ConcernReply))).all()
    assert [row.push_pending for row in rows] == [True, True]
    assert len(await concerns.pending_pushes(session)) == 2
    batch = await take(session)
    (due,) = batch.due
    assert (due.target, due.case_code, due.reply.text) == (WORKER, opted.case_code, "Đã nhận.")
    assert "987654321" not in repr(due)  # the opened chat id stays out of reprs (and logs)
    # The answer nobody asked for is settled; the one to push waits until it was delivered.
    assert await concerns.pending_pushes(session) == [due.reply_id]
    assert (await take(session)).due == batch.due  # not done yet: taken again (at least once)
    await concerns.push_done(session, due.reply_id)
    assert await concerns.pending_pushes(session) == []
    assert (await take(session)).due == ()


async def test_an_answer_whose_seal_does_not_open_is_dropped(session: AsyncSession) -> None:
    world = await make_world(session)
    await submit(session, world.tree.enterprise.id, push=WORKER)
    await answer(session, world.lan, (await only_case(session, world.lan)).concern_id)
    # A new push key pair without the reseal: the old seal does not open any more.
    assert await take(session, make_keys()) == concerns.PushBatch(due=(), unopened=1)
    assert await concerns.pending_pushes(session) == []


async def test_closing_keeps_the_seal_until_the_last_answer_is_pushed(
    session: AsyncSession,
) -> None:
    world = await make_world(session)
    sent = await submit(session, world.tree.enterprise.id, push=WORKER)
    case = await only_case(session, world.lan)
    await answer(session, world.lan, case.concern_id)
    await concerns.set_status(session, world.lan, case.concern_id, ConcernStatus.CLOSED, TODAY)
    assert await seal_of(session, sent.case_code) is not None  # the answer is still to push
    assert await concerns.forget_closed_seals(session) == 0
    (due,) = (await take(session)).due
    assert due.target == WORKER
    await concerns.push_done(session, due.reply_id)
    assert await concerns.forget_closed_seals(session) == 1
    assert await seal_of(session, sent.case_code) is None


async def test_seals_expire_days_after_the_last_answer(session: AsyncSession) -> None:
    world = await make_world(session)
    answered = await submit(session, world.tree.enterprise.id, "Một.", push=WORKER)
    unanswered = await submit(session, world.tree.enterprise.id, "Hai.", who="1002", push="1002")
    touched = await submit(session, world.tree.enterprise.id, "Ba.", who="1003", push="1003")
    cases = {
        c.case_code: c.concern_id
        for c in await concerns.inbox(session, world.lan, TODAY, keys=KEYS, config=CONFIG)
    }
    await answer(session, world.lan, cases[answered.case_code])
    await answer(session, world.lan, cases[touched.case_code])
    for due in (await take(session)).due:
        await concerns.push_done(session, due.reply_id)
    # Ten days later the third case is marked in progress: its days count from then.
    later = TODAY + timedelta(days=10)
    await concerns.set_status(
        session, world.lan, cases[touched.case_code], ConcernStatus.IN_PROGRESS, later
    )
    days = CONFIG.push_seal_days

    async def expire(day: date) -> int:
        return await concerns.expire_push_seals(session, day, config=CONFIG)

    assert await expire(TODAY + timedelta(days=days - 1)) == 0
    assert await expire(TODAY + timedelta(days=days)) == 1
    assert await seal_of(session, answered.case_code) is None
    assert await seal_of(session, touched.case_code) is not None
    # An answer still waiting for the push batch keeps its seal until it is delivered.
    await answer(session, world.lan, cases[touched.case_code], later)
    assert await expire(later + timedelta(days=days + 5)) == 0
    for due in (await take(session)).due:
        await concerns.push_done(session, due.reply_id)
    assert await expire(later + timedelta(days=days)) == 1
    assert await seal_of(session, touched.case_code) is None
    # A case never answered keeps its seal: the answer the worker asked for is still owed.
    assert await expire(TODAY + timedelta(days=365)) == 0
    assert await seal_of(session, unanswered.case_code) is not None


async def test_escalate_by_hand_to_the_zone_union(session: AsyncSession) -> None:
    world = await make_world(session)
    await submit(session, world.tree.enterprise.id)
    case = await only_case(session, world.lan)
    done = await concerns.escalate(session, world.lan, case.concern_id, TODAY)
    # Named by its union: the case goes to "Công đoàn …", not to the industrial zone itself.
    assert (done.zone_id, done.zone_name) == (world.tree.zone.id, world.zone_union_name)
    await concerns.release_pending(session)  # the zone hears of it at the next batch
    seen = await only_case(session, world.hoa)
    assert seen.as_zone and seen.status is ConcernStatus.ESCALATED and not seen.overdue
    assert (await only_case(session, world.lan)).escalated_to == world.zone_union_name
    # Once escalated, only the zone union acts: the enterprise union cannot touch it again.
    with pytest.raises(concerns.NotCaseOfficer):
        await concerns.escalate(session, world.lan, case.concern_id, TODAY)
    with pytest.raises(concerns.NotCaseOfficer):
        await concerns.set_status(session, world.lan, case.concern_id, ConcernStatus.CLOSED, TODAY)
    result = await concerns.reply(
        session,
        world.hoa,
        case.concern_id,
        "Đã chuyển cơ quan chức năng.",
        TODAY,
        keys=KEYS,
        config=CONFIG,
    )
    assert result.reply.signed_as == world.zone_union_name
    # The officer of another enterprise in the same zone still sees nothing.
    assert await concerns.inbox(session, world.minh, TODAY, keys=KEYS, config=CONFIG) == []


async def test_an_enterprise_outside_any_zone_cannot_escalate(session: AsyncSession) -> None:
    world = await make_world(session)
    lonely = OrgNode(
        code="DN-LE", kind=NodeKind.ENTERPRISE, name="Công ty Lẻ", parent_id=world.tree.province.id
    )
    session.add(lonely)
    await session.flush()
    union = ReportingUnit(
        code="CDCS-LE", kind=UnitKind.TRADE_UNION, name="CĐCS Công ty Lẻ", org_node_id=lonely.id
    )
    session.add(union)
    await session.commit()
    officer = await make_person(session, 9, "Phạm Văn Tú", units=(union.id,))
    await submit(session, lonely.id)
    case = await only_case(session, officer)
    with pytest.raises(concerns.NoZoneAbove):
        await concerns.escalate(session, officer, case.concern_id, TODAY)
    assert await concerns.escalate_overdue(session, TODAY + timedelta(days=30), config=CONFIG) == []
    assert (await only_case(session, officer, TODAY + timedelta(days=30))).overdue


async def test_an_enterprise_without_a_union_sends_to_the_zone(session: AsyncSession) -> None:
    world = await make_world(session)
    bare = OrgNode(
        code="DN-03",
        kind=NodeKind.ENTERPRISE,
        name="Công ty Chưa có CĐ",
        parent_id=world.tree.zone.id,
    )
    session.add(bare)
    await session.commit()
    assert (await concerns.enterprise_by_code(session, "DN-03", config=CONFIG)).union_name is None
    await submit(session, bare.id)
    case = await only_case(session, world.hoa)
    assert case.status is ConcernStatus.ESCALATED and case.as_zone


async def test_escalate_overdue_after_the_configured_days(session: AsyncSession) -> None:
    world = await make_world(session)
    await submit(session, world.tree.enterprise.id)
    answered = await submit(session, world.tree.enterprise.id, who="555")
    cases = await concerns.inbox(session, world.lan, TODAY, keys=KEYS, config=CONFIG)
    status = await lookup(session, answered.receipt, who="555")
    answered_id = next(c.concern_id for c in cases if c.case_code == status.case_code)
    await concerns.reply(
        session, world.lan, answered_id, "Đã trả lời.", TODAY, keys=KEYS, config=CONFIG
    )
    await concerns.mark_notified(session, [c.concern_id for c in cases])

    day6 = TODAY + timedelta(days=6)
    assert await concerns.escalate_overdue(session, day6, config=CONFIG) == []
    assert not any(
        c.overdue for c in await concerns.inbox(session, world.lan, day6, keys=KEYS, config=CONFIG)
    )
    day7 = TODAY + timedelta(days=7)
    (done,) = await concerns.escalate_overdue(session, day7, config=CONFIG)
    assert done.zone_id == world.tree.zone.id and done.concern_id != answered_id
    row = await session.get(Concern, done.concern_id)
    assert row is not None
    assert (row.status, row.overdue, row.escalated_on) == (ConcernStatus.ESCALATED, True, day7)
    # Running the job again changes nothing; the zone hears of it in the next batch.
    assert await concerns.escalate_overdue(session, day7, config=CONFIG) == []
    (notice,) = [n for n in await concerns.pending_notices(session) if n.person_id == world.hoa]
    assert notice.lines[0].escalated_cases == 1
    await concerns.release_pending(session)
    seen = await only_case(session, world.hoa, day7)
    assert seen.overdue and seen.as_zone
    assert (
        await session.scalar(
            select(AuditEntry.actor).where(AuditEntry.action == "concern.escalate_overdue")
        )
    ) == "system"


async def test_pending_notices_then_mark_notified(session: AsyncSession) -> None:
    world = await make_world(session)
    second_officer = await make_person(session, 4, "Đỗ Văn Nam", units=(world.tree.union.id,))
    revoked = await make_person(session, 5, "Vũ Thị Mai", units=(world.tree.union.id,))
    await revoke_person(session, revoked, actor="test")
    for who in ("1", "2"):
        await submit(session, world.tree.enterprise.id, who=who, release=False)
    await submit(session, world.tree.small_enterprise.id, who="3", release=False)

    notices = {n.person_id: n for n in await concerns.pending_notices(session)}
    assert set(notices) == {world.lan, second_officer, world.minh}
    (line,) = notices[world.lan].lines
    assert (line.enterprise_name, line.new_cases, line.escalated_cases) == (
        "Công ty TNHH May Hà Phong",
        2,
        0,
    )
    assert notices[world.minh].lines[0].new_cases == 1
    await concerns.mark_notified(session, notices[world.lan].concern_ids)
    left = await concerns.pending_notices(session)
    assert [n.person_id for n in left] == [world.minh]
    await concerns.mark_notified(session, left[0].concern_ids)
    assert await concerns.pending_notices(session) == []


# --- keys -----------------------------------------------------------------------------------


async def test_rotating_the_text_key_reencrypts_every_row(session: AsyncSession) -> None:
    world = await make_world(session)
    first = anonymity.generate_text_key()
    old_keys = make_keys(first)
    await submit(session, world.tree.enterprise.id, "Nhà vệ sinh thiếu nước.", keys=old_keys)
    (case,) = await concerns.inbox(session, world.lan, TODAY, keys=old_keys, config=CONFIG)
    await concerns.reply(
        session,
        world.lan,
        case.concern_id,
        "Đã báo ban giám đốc.",
        TODAY,
        keys=old_keys,
        config=CONFIG,
    )
    second = anonymity.generate_text_key()
    rotated = make_keys(second, old=first)
    assert await concerns.rotate_text_keys(session, rotated) == concerns.TextRotation(2, ())
    assert (await concerns.rotate_text_keys(session, rotated)).reencrypted == 0  # idempotent
    only_new = make_keys(second)
    (after,) = await concerns.inbox(session, world.lan, TODAY, keys=only_new, config=CONFIG)
    assert after.text == "Nhà vệ sinh thiếu nước."
    assert after.replies[0].text == "Đã báo ban giám đốc."


async def test_resealing_push_targets_for_a_new_key_pair(session: AsyncSession) -> None:
    world = await make_world(session)
    await submit(session, world.tree.enterprise.id, push=WORKER)
    assert KEYS.push_private is not None
    fresh = make_keys()
    assert await concerns.reseal_push_targets(session, fresh, KEYS.push_private) == 1
    case = await only_case(session, world.lan)
    await concerns.reply(
        session, world.lan, case.concern_id, "Đã nhận.", TODAY, keys=fresh, config=CONFIG
    )
    (due,) = (await take(session, fresh)).due
    assert due.target == WORKER and due.reply.text == "Đã nhận."


# --- what is stored -------------------------------------------------------------------------


def _flatten(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return [raw.hex(), raw.decode("latin-1")]
    if isinstance(value, dict):
        return [item for key, v in value.items() for item in (str(key), *_flatten(v))]
    if isinstance(value, list | tuple):
        return [item for v in value for item in _flatten(v)]
    return [str(value)]


async def test_nothing_stored_identifies_the_worker(session: AsyncSession) -> None:
    world = await make_world(session)
    sent = await submit(session, world.tree.enterprise.id, push=WORKER)
    status = await lookup(session, sent.receipt)
    with pytest.raises(concerns.ReceiptNotRecognised):
        await lookup(session, "0000 0000 0000")
    await concerns.reply(
        session,
        world.lan,
        (await only_case(session, world.lan)).concern_id,
        "Đã nhận.",
        TODAY,
        keys=KEYS,
        config=CONFIG,
    )
    receipt = anonymity.normalize_receipt(sent.receipt)
    assert receipt is not None and status.push

    needles = [WORKER, receipt, sent.receipt, receipt[:8], "Tiền tăng ca", subject()]
    found = []
    for table in Base.metadata.sorted_tables:
        rows = (await session.execute(text(f'SELECT * FROM "{table.name}"'))).all()
        for row in rows:
            for column, value in zip(row._fields, row, strict=True):
                for cell in _flatten(value):
                    found += [(table.name, column, n) for n in needles if n in cell]
    assert found == []

    # Dates, never times, for everything about a case.
    for name in ("concerns", "concern_replies"):
        table = Base.metadata.tables[name]
        assert not [c.name for c in table.columns if isinstance(c.type, DateTime)]
        assert {c.name for c in table.columns if isinstance(c.type, Date)} >= {"created_on"}
        for row in (await session.execute(text(f'SELECT * FROM "{name}"'))).all():
            assert not any(isinstance(v, datetime) for v in row)
    # The limits table holds one row per use with its day: no count, no time of day at all.
    limits = Base.metadata.tables["concern_limits"]
    assert not [c.name for c in limits.columns if isinstance(c.type, DateTime)]
    assert {c.name for c in limits.columns} == {"purpose", "subject_hash", "day"}
    # No audit entry for anything the worker did.
    assert (await session.scalars(select(AuditEntry.action))).all() == ["concern.reply"]
