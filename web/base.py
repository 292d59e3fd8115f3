"""What every page shares: templates, the signed-in visitor, CSRF, cookies and safe responses.

Pages are rendered on the server (Jinja2, autoescaped) in the visitor's language; texts are
English msgids translated by ``t(...)`` in the templates (infra/locale/vi/*.po), numbers and dates
written the Vietnamese way. The one stylesheet and script are vendored in ``static/`` — no CDN,
no build step — and carry a content hash in their URL so a new version is never served stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jinja2
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from handlers.common import office_config
from handlers.common.context import BotData
from infra.i18n import day, moment, normalize_language, number, tr
from services import web_auth

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
BODY_LIMIT = 64 * 1024  # a whole form is a few kilobytes
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
OFFICE_VIA = "office"  # a session opened by an office link (web/office/): its own idle time

# Pages show a person's unit and figures: never cached, never framed by another site (Telegram's
# web client frames Mini Apps), no Referer (a link's token must not travel to anyone).
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' https://telegram.org; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'self' https://web.telegram.org"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class Visitor:
    """A signed-in person, as the pages know them: who, in which language, with which token."""

    person_id: int
    display_name: str
    lang: str
    csrf: str
    token: str
    via: str = "link"  # how the session was opened: "link", "telegram", "office"


@cache
def _static_version(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    return f"/static/{name}?v={_static_version(name)}"


class Pages:
    """The bot's dependencies as the pages use them, and the helpers every page shares."""

    def __init__(self, data: BotData) -> None:
        self.data = data
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(static=static_url, telegram_script=TELEGRAM_SCRIPT)
        # SQLite has one writer at a time; concurrent requests that all write would make it
        # retry with growing sleeps (seconds with fifty officers at once). They take turns here
        # instead, each for a few milliseconds. PostgreSQL serves them side by side.
        backend = make_url(data.settings.database_url).get_backend_name()
        self._turns = asyncio.Lock() if backend == "sqlite" else None

    @contextlib.asynccontextmanager
    async def database(self) -> AsyncIterator[AsyncSession]:
        """One unit of work for one request (on SQLite, one request at a time), after the
        office's newest configuration edits are in use (handlers/common/office_config.py)."""
        await office_config.refresh(self.data)
        async with contextlib.AsyncExitStack() as stack:
            if self._turns is not None:
                await stack.enter_async_context(self._turns)
            yield await stack.enter_async_context(self.data.uow())

    # --- settings read at each request: the console learns its address after start-up ---------

    @property
    def secure(self) -> bool:
        """Cookies only over https when the pages are published on https (behind nginx the
        request itself arrives as plain http)."""
        return (self.data.pages_url or "").startswith("https://")

    @property
    def cookie_name(self) -> str:
        # __Host-: the browser refuses it unless Secure, on this host only, for every path.
        return "__Host-session" if self.secure else "session"

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.data.settings.web_session_minutes)

    @property
    def idle_for(self) -> dict[str, timedelta]:
        """Sessions of another kind (``via``) that stay open longer unused than ``idle``."""
        return {OFFICE_VIA: timedelta(hours=self.data.settings.office_session_hours)}

    # --- rendering ----------------------------------------------------------------------------

    def render(self, name: str, lang: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        lang = normalize_language(lang)
        zone = self.data.settings.zone

        def t(message: str, /, **params: Any) -> str:
            return tr(lang, message, **params)

        html = self.env.get_template(name).render(
            lang=lang,
            t=t,
            num=lambda value: number(value, lang) if value is not None else "",
            day=lambda value: day(value, lang),
            moment=lambda value: moment(value, lang, zone),
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def message(
        self, lang: str, text: str, *, status: int, title: str | None = None, **context: Any
    ) -> HTMLResponse:
        """A page that only says something (a refusal, an expired link)."""
        return self.render("message.html", lang, status=status, text=text, title=title, **context)

    # --- who is asking ------------------------------------------------------------------------

    async def visitor(self, request: Request, session: AsyncSession) -> Visitor | None:
        token = request.cookies.get(self.cookie_name)
        found = await web_auth.signed_in(
            session, token, now=self.data.clock(), idle=self.idle, idle_for=self.idle_for
        )
        if found is None or token is None:
            return None
        return Visitor(
            found.person_id,
            found.display_name,
            normalize_language(found.language),
            web_auth.csrf_token(self.data.settings.secret, token),
            token,
            found.via,
        )

    def sign_in(self, response: Response, token: str) -> Response:
        response.set_cookie(
            self.cookie_name,
            token,
            httponly=True,
            secure=self.secure,
            samesite="lax",
            path="/",
        )
        return response

    def csrf_ok(self, visitor: Visitor, given: str | None) -> bool:
        return web_auth.csrf_ok(self.data.settings.secret, visitor.token, given)


async def form_body(request: Request, *, limit: int = BODY_LIMIT) -> dict[str, str] | None:
    """An urlencoded form, the last value of each name (a switch posts "0" then "1"); None when
    it is too large or not a form. Parsed here: no multipart library for a few fields."""
    if request.headers.get("content-type", "").split(";")[0].strip() not in (
        "application/x-www-form-urlencoded",
        "",
    ):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return None


def json_answer(payload: dict[str, Any], *, status: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status, headers={"Cache-Control": "no-store"})


def plain_number(value: Decimal | None) -> str | None:
    """A figure for the browser's hints: digits, a dot for decimals (never shown to people)."""
    return None if value is None else format(value.normalize(), "f")


Endpoint = Callable[[Request], Awaitable[Response]]
