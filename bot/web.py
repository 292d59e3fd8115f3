"""The production HTTP endpoints on one port (Starlette, served by uvicorn in bot/runtime.py).

    POST <webhook path>  Telegram's updates, secret token checked
    POST <Zalo path>     Zalo's events, X-Bot-Api-Secret-Token checked (with ZALO_WEBHOOK_URL)
    GET  /files/<t>/<n>  a picture or Excel file sent to Zalo by link, until it expires
    GET  /healthz        the process is alive (for the supervisor's restart decision)
    GET  /readyz         database reachable, migrations current, this instance active
    GET  /metrics        Prometheus
    /report, /l/…, …     the web pages for people (web/: the report form), with pages=True

A webhook update is answered only after the bot has handled it (or after ANSWER_WITHIN seconds):
if this process dies first, Telegram has no 200 and delivers the update again, as getUpdates does
after a crash in polling mode. Updates go to the Application's ChatOrderedProcessor, as in polling
mode: chats side by side, each chat in order. A redelivered update already handled is dropped by
its id.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.ext import Application

from bot.update_processor import processor_of
from infra.metrics import InstrumentedApplication
from models.migrate import current_revision, head_revision
from services import outbox, shared_files
from web import build_pages

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ANSWER_WITHIN = 25.0  # seconds; Telegram gives up on a webhook call after about a minute
CHECK_WITHIN = 3.0  # seconds for the readiness and backlog queries
REMEMBERED_UPDATES = 10_000


@dataclass
class InstanceState:
    """What the runtime tells the endpoints."""

    active: bool = False
    role: str = "starting"


@dataclass
class UpdateAcks:
    """Futures the webhook waits on until the Application has handled an update; recent ids for
    dropping redeliveries."""

    waiting: dict[int, asyncio.Future[None]] = field(default_factory=dict)
    handled: OrderedDict[int, None] = field(default_factory=OrderedDict)

    def seen(self, update_id: int) -> bool:
        return update_id in self.handled or update_id in self.waiting

    def expect(self, update_id: int) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[update_id] = future
        return future

    def done(self, update: Update) -> None:
        self.handled[update.update_id] = None
        while len(self.handled) > REMEMBERED_UPDATES:
            self.handled.popitem(last=False)
        future = self.waiting.pop(update.update_id, None)
        if future is not None and not future.done():
            future.set_result(None)


@dataclass
class Webhook:
    """One channel's webhook: where it posts, how it proves itself, how its body becomes an
    Update (None: nothing to handle, e.g. a duplicate Zalo event)."""

    application: Application  # type: ignore[type-arg]
    path: str
    header: str
    secret: str
    to_update: Callable[[Any], Update | None]
    acks: UpdateAcks = field(default_factory=UpdateAcks)
    # True from the moment its Application runs (before the webhook is registered, so that the
    # first event the platform sends right after registering is taken) until it stops.
    ready: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.application, InstrumentedApplication):
            self.application.after_update.append(self.acks.done)


def telegram_webhook(
    application: Application,  # type: ignore[type-arg]
    path: str,
    secret: str,
) -> Webhook:
    def to_update(payload: Any) -> Update | None:
        update_id = payload.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise ValueError("update_id is not a number")
        return Update.de_json(payload, application.bot)

    return Webhook(application, path, SECRET_HEADER, secret, to_update)


def build_web_app(
    primary: Application,  # type: ignore[type-arg]
    engine: AsyncEngine,
    state: InstanceState,
    *,
    webhooks: list[Webhook],
    files: bool = False,
    pages: bool = False,
) -> Starlette:
    data = primary.bot_data

    async def healthz(_: Request) -> Response:
        return JSONResponse({"alive": True, "role": state.role})

    async def readyz(_: Request) -> Response:
        checks: dict[str, Any] = {"role": state.role}
        try:
            async with asyncio.timeout(CHECK_WITHIN):
                revision = await current_revision(engine)
            checks["database"] = "ok"
            expected = head_revision()
            checks["migrations"] = (
                "current" if revision == expected else f"at {revision}, code expects {expected}"
            )
        except Exception as error:  # any failure means "not ready"; the type is enough to act
            checks["database"] = f"unreachable ({type(error).__name__})"
        # Read after the database check: the role may have changed while it was awaited.
        ready = state.active and checks.get("migrations") == "current"
        checks["role"] = state.role
        return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)

    async def metrics(_: Request) -> Response:
        try:
            async with asyncio.timeout(CHECK_WITHIN), data.uow() as session:
                data.metrics.outbox_backlog.set(await outbox.backlog(session, data.clock()))
        except Exception:  # the database is away: /readyz says so; keep the last figure
            log.warning("metrics: outbox backlog not read (database unreachable)")
        return Response(data.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    def receiver(hook: Webhook) -> Callable[[Request], Awaitable[Response]]:
        async def receive(request: Request) -> Response:
            given = request.headers.get(hook.header, "")
            if not hmac.compare_digest(given.encode(), hook.secret.encode()):
                return Response(status_code=403)
            if not hook.ready:
                # A standby (or an instance still starting): a load balancer (docker-compose's
                # proxy) passes the 503 on to the active instance; the platform tries again.
                return Response("standby", status_code=503)
            try:
                payload = json.loads(await request.body())
                if not isinstance(payload, dict):
                    raise TypeError("not a JSON object")
                update = hook.to_update(payload)
            except Exception as error:
                # Anything the platform would never send: one line with the kind of problem,
                # never the body (it may be a real user's message, or an attacker's text).
                log.warning("webhook %s: malformed body (%s)", hook.path, type(error).__name__)
                return Response(status_code=400)
            if update is None or hook.acks.seen(update.update_id):
                return Response(status_code=200)
            handled = hook.acks.expect(update.update_id)
            await processor_of(hook.application).submit(hook.application, update)
            try:
                await asyncio.wait_for(asyncio.shield(handled), ANSWER_WITHIN)
            except TimeoutError:
                log.warning(
                    "webhook: update still queued after %.0f s; acknowledged", ANSWER_WITHIN
                )
            return Response(status_code=200)

        return receive

    async def shared_file(request: Request) -> Response:
        async with data.uow() as session:
            found = await shared_files.get(session, request.path_params["token"], now=data.clock())
        if found is None:
            return Response("not found or expired", status_code=404)
        return Response(
            found.content,
            media_type=found.media_type,
            headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(found.name)}"},
        )

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    routes += [Route(hook.path, receiver(hook), methods=["POST"]) for hook in webhooks]
    if files:
        routes.append(Route("/files/{token}/{name}", shared_file, methods=["GET"]))
    if pages:
        routes += build_pages(data)
    return Starlette(routes=routes)
