"""Telegram's flood limits, with answers to people ahead of bulk messages.

PTB's AIORateLimiter paces every call that goes to a chat through one leaky bucket (about 30
messages a second for the whole bot) and groups through their own (20 a minute). Its bucket
serves waiters first come, first served, so a batch of reminders queued at the deadline hour
would make an officer in the middle of a report wait behind it. Here the bucket serves a waiting
answer before any waiting bulk message; bulk messages still get every slot no answer wants.

What is bulk is said by the sender, not guessed: the outbox sender runs inside ``bulk_sending()``
(a context variable, so it holds for that task and what it awaits, not for the updates handled
beside it).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from heapq import heappush

from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit
from telegram.ext import AIORateLimiter

_BULK: contextvars.ContextVar[bool] = contextvars.ContextVar("bulk_sending", default=False)
# Waiters are a heap ordered by (amount, order): answers take orders far below any bulk order.
_ANSWER_ORDER_OFFSET = -(1 << 62)


@contextmanager
def bulk_sending() -> Iterator[None]:
    """Calls made inside wait behind answers to people (reminders, digests, notices)."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


def is_bulk() -> bool:
    return _BULK.get()


class AnswersFirstLimiter(AsyncLimiter):
    """aiolimiter's leaky bucket whose waiting answers are woken before waiting bulk calls.

    It reuses aiolimiter's own waiter heap and wake-up (pinned version; tests/unit/
    test_rate_limit.py checks the order), changing only the order a waiter gets and adding one
    rule: a bulk call does not take free capacity while an answer is waiting for it."""

    def _answer_waiting(self) -> bool:
        return any(order < 0 and not fut.done() for _, order, fut in self._waiters)

    async def acquire(self, amount: float = 1) -> None:
        if amount > self.max_rate:
            raise ValueError("Can't acquire more than the maximum capacity")
        bulk = is_bulk()
        loop = self._loop
        while not self.has_capacity(amount) or (bulk and self._answer_waiting()):
            fut = loop.create_future()
            fut.add_done_callback(partial(loop.call_soon, self._wake_next))
            order = self._next_count() + (0 if bulk else _ANSWER_ORDER_OFFSET)
            heappush(self._waiters, (amount, order, fut))
            self._wake_next()
            await fut
        self._level += amount
        self._wake_next()


# Telegram's 30 a second, but at most BURST calls at once rather than a whole second's worth.
# With a bucket of 30, the limiter and Telegram's own bucket drift in and out of phase, a 429
# comes back now and then, and PTB then pauses *every* call for its retry_after (answers to
# people included): measured with benchmarks/fanout_poll.py, 10,000 poll messages while 50
# officers report, 421 429s, 0.89 of the limit and the officers' p99 at 1.2 s; with a bucket of
# 5 at the same rate, no 429, 0.98 of the limit and their p99 at 139 ms. An answer waits at most
# BURST / 30 s (0.17 s) behind calls already admitted.
BURST = 5


class AnswersFirstRateLimiter(AIORateLimiter):
    """AIORateLimiter with its overall bucket replaced by one that serves answers first, BURST
    calls at once at Telegram's rate."""

    def __init__(
        self,
        *,
        max_retries: int = 3,
        overall_max_rate: float = BURST,
        overall_time_period: float = BURST / FloodLimit.MESSAGES_PER_SECOND,
    ) -> None:
        super().__init__(
            overall_max_rate=overall_max_rate,
            overall_time_period=overall_time_period,
            max_retries=max_retries,
        )
        self._base_limiter = AnswersFirstLimiter(
            max_rate=overall_max_rate, time_period=overall_time_period
        )
