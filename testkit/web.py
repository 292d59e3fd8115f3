"""Test kit for the web pages (web/): serve them on a loopback port, drive Debian's
Chromium through Playwright, sign Telegram Mini App data, read a page's form fields.

Imported by tests and benchmarks only. Playwright never downloads a browser here: it launches
/usr/bin/chromium (Debian's package; .ci/run installs it when missing). Every request the browser
makes to anything but this machine is aborted (telegram.org's script included: the pages must
work without it).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import re
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import uvicorn
from starlette.types import ASGIApp

from services import web_auth
from services.web_auth import init_data_key

if TYPE_CHECKING:  # playwright is imported where used: without it, browser tests say why
    from playwright.async_api import ViewportSize
    from sqlalchemy.ext.asyncio import AsyncSession

    from testkit.chat import Clock

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE: ViewportSize = {"width": 360, "height": 780}  # the narrowest phone the pages are made for
LOOPBACK = {"127.0.0.1", "localhost", "[::1]"}


def chromium_missing() -> str | None:
    """Why browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def browser_unavailable_is_failure() -> bool:
    """In CI a missing browser fails the browser tests; on a laptop they are skipped, visibly."""
    return os.environ.get("CI", "").lower() == "true"


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the test runner keeps its signals


@contextlib.asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Serve ``app`` at http://127.0.0.1:<free port> in this event loop; yields the base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    server = _QuietServer(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        listener.close()


@contextlib.asynccontextmanager
async def chromium(*, viewport: ViewportSize | None = None) -> AsyncIterator[Any]:
    """A fresh browser context (no cookies) sized like a phone; yields Playwright's context."""
    from playwright.async_api import Route, async_playwright

    async def local_only(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOOPBACK or host == "::1":
            await route.continue_()
        else:
            await route.abort()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(
                viewport=viewport or PHONE,
                locale="vi-VN",
                is_mobile=True,
                has_touch=True,
            )
            context.set_default_timeout(15_000)
            await context.route("**/*", local_only)
            yield context
        finally:
            await browser.close()


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """Mini App data as Telegram signs it (services/web_auth.py says how it is checked)."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    digest = hmac.new(init_data_key(bot_token), check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def init_data(user_id: int, *, auth_date: datetime, bot_token: str, name: str = "Lan") -> str:
    """What Telegram hands a Mini App opened from a private chat by this user."""
    user = {"id": user_id, "first_name": name, "language_code": "vi", "allows_write_to_pm": True}
    return sign_init_data(
        {
            "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
            "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
            "auth_date": str(int(auth_date.timestamp())),
            "chat_type": "private",
            "chat_instance": "-8134722200314281151",
        },
        bot_token,
    )


def mini_app_fragment(signed: str) -> str:
    """The URL fragment Telegram opens a Mini App with: its data as one encoded parameter."""
    return "#" + urlencode(
        {"tgWebAppData": signed, "tgWebAppVersion": "8.0", "tgWebAppPlatform": "android"}
    )


def hidden(html: str, name: str) -> str:
    """A hidden field's value in a rendered page (the CSRF token, the draft's version)."""
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert found is not None, f"no field {name!r} in the page"
    return found[1]


# A trade union's report form filled in with values that break no rule (members ≤ workers ...).
UNION_FORM_VALUES = {
    "workers": "1.200",
    "union_members": "1.000",
    "new_union_members": "3",
    "members_introduced_to_party": "1",
    "workplace_dialogues": "2",
    "worker_conferences": "1",
    "cla_in_force": "1",
    "labour_disputes": "0",
    "technical_initiatives": "",
}


async def dashboard_link(session: AsyncSession, person_id: int, clock: Clock) -> str:
    """A one-time link (path only) into the committee dashboard for ``person_id``."""
    issued = await web_auth.issue_link(
        session,
        person_id=person_id,
        target="/dashboard",
        now=clock.now,
        valid=timedelta(minutes=30),
    )
    return f"/l/{issued.token}"
