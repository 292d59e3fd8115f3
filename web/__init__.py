"""Web pages for the people the bot serves: today the monthly report form; next the office
console and the committee dashboard, on the same foundation.

Why here: a page is an edge, like a chat handler — it reads a request, calls one service, renders
— and it is served by the bot's own HTTP server (bot/web.py in production, the console's local
server in console mode), with the bot's settings, database and texts. So it lives in the
composition root beside the channels, one module per page family, sharing ``base.py`` (templates,
sessions, CSRF, safe responses) and ``sign_in.py`` (one-time links, Telegram Mini App data). The
rules stay in services/: a page never decides what the chat would decide differently.

    sign_in.py       /l/<token>, /auth/telegram
    report_form.py   /report/…
    office/          /office/… the office console (administrators), one module per page family
    dashboard/       /dashboard/… (the committee's dashboard; its charts as inline SVG)
    templates/       Jinja2, one layout (layout.html)
    static/          one stylesheet and one script, vendored (no CDN, no build step)
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from handlers.common.context import BotData
from web import dashboard, office, report_form, sign_in
from web.base import STATIC, Pages

# Where the pages live on the server: a reverse proxy in front forwards these (deploy/nginx.conf).
PUBLIC_PATHS = ("/report", "/l/", "/auth/", "/static/", "/office", "/dashboard")


def build_pages(data: BotData) -> list[BaseRoute]:
    """Every page's routes, for the bot's Starlette app (or the console's)."""
    pages = Pages(data)
    return [
        *sign_in.routes(pages),
        *report_form.routes(pages),
        *office.routes(pages),
        *dashboard.routes(pages),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
