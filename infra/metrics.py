"""Prometheus metrics (prometheus-client), one registry per Application.

Labels are a small closed set (update kinds, Bot API methods, error places), never ids or text:
a metric must not become a log of who wrote when. Served at /metrics by bot/web.py.

A worker's updates (the concern conversation, receipt checks) are neither counted, timed nor
their answers counted as sends: scraped every 15 s, the histogram put a submission's slow
receipt hash in a bucket of its own, a minute-exact trace of a worker's act. Leaving out the
timing alone would not do: updates counted but not timed would be the worker's, by difference.
The handlers of those updates call ``keep_out_of_metrics()`` before anything else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

# Bot API methods that put something in front of a user.
SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"}
)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "bot_updates_total", "Updates handled, by kind", ["kind"], registry=self.registry
        )
        self.latency = Histogram(
            "bot_update_handling_seconds",
            "Time from taking an update to the end of its handlers",
            ["kind"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.sent = Counter(
            "bot_messages_sent_total",
            "Bot API calls that showed something to a user, by method",
            ["method"],
            registry=self.registry,
        )
        self.throttled = Counter(
            "bot_api_throttled_total", "Bot API answers 429 (flood control)", registry=self.registry
        )
        self.api_failures = Counter(
            "bot_api_failures_total",
            "Bot API calls that failed: 5xx answers or network errors",
            ["kind"],
            registry=self.registry,
        )
        self.errors = Counter(
            "bot_errors_total",
            "Exceptions that reached the error handler, by where they happened",
            ["where"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "bot_outbox_backlog", "Outbox messages due and not yet sent", registry=self.registry
        )
        self.channel_silent = Gauge(
            "bot_channel_silent",
            "1 while a served channel has had no inbound event for INBOUND_SILENCE_MINUTES of "
            "working hours (a webhook that stopped receiving), else 0",
            ["channel"],
            registry=self.registry,
        )
        self.active = Gauge(
            "bot_instance_active",
            "1 while this instance serves users and runs the scheduler, 0 on standby",
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


@dataclass
class _Handling:
    """The update being handled in this task (and the tasks it starts, which share it)."""

    metered: bool = True


_HANDLING: ContextVar[_Handling | None] = ContextVar("metrics_handling", default=None)


def keep_out_of_metrics() -> None:
    """The update being handled is a worker's: neither count nor time it, nor count the
    messages sent in answer to it (the module docstring says why)."""
    handling = _HANDLING.get()
    if handling is not None:
        handling.metered = False


def _metered() -> bool:
    handling = _HANDLING.get()
    return handling is None or handling.metered


def update_kind(update: Update) -> str:
    """A closed set of labels."""
    if update.callback_query is not None:
        return "callback"
    if update.edited_message is not None or update.edited_channel_post is not None:
        return "edited"
    message = update.message
    if message is None:
        return "other"
    if message.chat.type != message.chat.PRIVATE:
        return "group"
    if message.text is not None:
        return "command" if message.text.startswith("/") else "text"
    return "media"


class InstrumentedApplication(Application):  # type: ignore[type-arg]
    """Counts and times every update but a worker's, and tells ``after_update`` hooks (the
    webhook's acknowledgements) when one is done; the rest is PTB's Application unchanged."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.after_update: list[Callable[[Update], None]] = []

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        kind = update_kind(update)
        data = self.bot_data
        seen = getattr(data, "last_inbound", None)
        if seen is not None:
            # In memory only, for the silence watch (services/channel_watch.py): never stored,
            # logged or exported, since the update may be a worker's.
            seen[data.channel] = data.clock()
        handling = _Handling()
        token = _HANDLING.set(handling)
        started = time.perf_counter()
        try:
            await super().process_update(update)
        finally:
            _HANDLING.reset(token)
            metrics: Metrics | None = getattr(self.bot_data, "metrics", None)
            if metrics is not None and handling.metered:
                metrics.updates.labels(kind).inc()
                metrics.latency.labels(kind).observe(time.perf_counter() - started)
            for hook in self.after_update:
                hook(update)


class InstrumentedRequest(BaseRequest):
    """Wraps the real transport to count sends, 429s and failures as the Bot API answered them."""

    def __init__(self, inner: BaseRequest, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        try:
            code, payload = await self._inner.do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        except Exception:
            self._metrics.api_failures.labels("network").inc()
            raise
        if code == 429:
            self._metrics.throttled.inc()
        elif code >= 500:
            self._metrics.api_failures.labels("server").inc()
        elif 200 <= code < 300 and api_method in SEND_METHODS and _metered():
            self._metrics.sent.labels(api_method).inc()
        return code, payload
