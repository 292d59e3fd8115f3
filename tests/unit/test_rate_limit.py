"""The bot-wide bucket serves waiting answers to people before waiting bulk messages, and
still gives bulk every slot no answer wants."""

from __future__ import annotations

import asyncio

import pytest
from telegram.constants import FloodLimit

from infra.rate_limit import AnswersFirstLimiter, AnswersFirstRateLimiter, bulk_sending, is_bulk


async def _take(limiter: AnswersFirstLimiter, label: str, order: list[str], bulk: bool) -> None:
    if bulk:
        with bulk_sending():
            await limiter.acquire()
    else:
        await limiter.acquire()
    order.append(label)


async def test_answers_queued_after_bulk_still_go_first() -> None:
    limiter = AnswersFirstLimiter(max_rate=2, time_period=0.2)  # 10 a second, bursts of 2
    order: list[str] = []
    # A reminder batch is waiting for the bucket when three officers' answers arrive.
    tasks = [asyncio.create_task(_take(limiter, f"bulk{i}", order, True)) for i in range(6)]
    await asyncio.sleep(0)  # the first two fill the bucket; the other four wait
    tasks += [asyncio.create_task(_take(limiter, f"answer{i}", order, False)) for i in range(3)]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert order[:2] == ["bulk0", "bulk1"]  # took free capacity before any answer existed
    assert order[2:5] == ["answer0", "answer1", "answer2"]
    assert order[5:] == ["bulk2", "bulk3", "bulk4", "bulk5"]


async def test_bulk_alone_gets_the_whole_rate() -> None:
    limiter = AnswersFirstLimiter(max_rate=5, time_period=0.1)  # 50 a second
    order: list[str] = []
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(
        asyncio.gather(*(_take(limiter, str(i), order, True) for i in range(15))), timeout=5
    )
    # 5 at once, then 10 more at 50/s: about 0.2 s; a bulk call never waits on nothing.
    assert len(order) == 15
    assert loop.time() - started < 1.0


async def test_bulk_marking_holds_only_inside_the_block() -> None:
    assert not is_bulk()
    with bulk_sending():
        assert is_bulk()
        inside = await asyncio.create_task(asyncio.sleep(0, result=is_bulk()))
        assert inside  # a task started inside inherits the mark
    assert not is_bulk()


def test_the_bot_uses_the_answers_first_bucket() -> None:
    limiter = AnswersFirstRateLimiter(max_retries=3)
    assert isinstance(limiter._base_limiter, AnswersFirstLimiter)


async def test_the_bucket_keeps_telegrams_rate_in_small_bursts() -> None:
    """30 a second, but never a whole second's worth at once (a full bucket drifts against
    Telegram's own and brings back 429s that pause every call: infra/rate_limit.py)."""
    bucket = AnswersFirstRateLimiter(max_retries=3)._base_limiter
    assert bucket.max_rate / bucket.time_period == pytest.approx(FloodLimit.MESSAGES_PER_SECOND)
    loop = asyncio.get_running_loop()
    started = loop.time()
    admitted_at_once = 0
    while bucket.has_capacity():
        await bucket.acquire()
        admitted_at_once += 1
    assert admitted_at_once <= 5
    assert loop.time() - started < 0.05
