"""Getting into the pages: a one-time link from the chat, or Telegram's Mini App data.

    GET  /l/<token>        a small page that posts the token back (below)
    POST /l/<token>        use the link once: a session cookie, then the page it opens
    POST /auth/telegram    Mini App data (initData) checked against the bot token: a session

Why a link needs a second step: chat apps fetch the links in a message to draw a preview. A GET
that used the link up would hand the officer a link already spent, so the GET only shows a page
whose form posts it (at once, by script; a button without script). Previews never post.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from handlers.common.context import describe
from services import web_auth
from services.errors import DomainError
from web.base import Pages, form_body, json_answer

VIA_LINK = "link"
VIA_TELEGRAM = "telegram"


def routes(pages: Pages) -> list[Route]:
    data = pages.data

    def default_lang() -> str:
        return data.settings.default_language

    async def link_landing(request: Request) -> Response:
        return pages.render(
            "link.html", default_lang(), token=request.path_params["token"], telegram=False
        )

    async def link_open(request: Request) -> Response:
        token = request.path_params["token"]
        now = data.clock()
        async with pages.database() as session:
            try:
                opened = await web_auth.redeem_link(session, token, now=now)
            except DomainError as refusal:
                status = 404 if isinstance(refusal, web_auth.LinkInvalid) else 410
                text = describe(default_lang(), refusal, data.settings.zone)
                return pages.message(default_lang(), text, status=status, telegram=False)
            new = await web_auth.start_session(
                session, person_id=opened.person_id, via=VIA_LINK, now=now, idle=pages.idle
            )
        return pages.sign_in(RedirectResponse(opened.target, status_code=303), new.token)

    async def telegram(request: Request) -> Response:
        token = data.settings.bot_token
        if token is None:
            return json_answer({"error": "not served"}, status=404)
        if not _same_origin(request):
            return json_answer({"error": "cross-site"}, status=403)
        body = await form_body(request)
        lang = default_lang()
        now = data.clock()
        max_age = timedelta(minutes=data.settings.web_init_data_max_age_minutes)
        async with pages.database() as session:
            try:
                user = web_auth.check_init_data(
                    (body or {}).get("init_data", ""),
                    token.get_secret_value(),
                    now=now,
                    max_age=max_age,
                )
                person_id = await web_auth.telegram_person(session, user)
            except DomainError as refusal:
                return json_answer(
                    {"error": describe(lang, refusal, data.settings.zone)}, status=401
                )
            new = await web_auth.start_session(
                session, person_id=person_id, via=VIA_TELEGRAM, now=now, idle=pages.idle
            )
        return pages.sign_in(json_answer({"ok": True}), new.token)

    return [
        Route("/l/{token}", link_landing, methods=["GET"]),
        Route("/l/{token}", link_open, methods=["POST"]),
        Route("/auth/telegram", telegram, methods=["POST"]),
    ]


def _same_origin(request: Request) -> bool:
    """A sign-in posted by a page of another site is refused (login CSRF); browsers always send
    Origin on a cross-site POST, so its absence means a same-site or non-browser client."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")
