"""Getting into the console: a one-time office link, signing out, and the overview page.

    GET  /office/l/<token>   a small page that posts the token back (link previews only GET)
    POST /office/l/<token>   use the link once: an office session, then /office
    POST /office/logout      end this session
    GET  /office             the overview

An office link is an ordinary web link (services/web_auth.py) to a page under /office, redeemed
only here: it opens a session of the office's own kind, which lasts OFFICE_SESSION_HOURS unused;
a report form's link or session never opens the console.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from infra.i18n import tr
from services import office, web_auth
from services.errors import N_, DomainError
from web.base import OFFICE_VIA, Pages
from web.office.guard import OfficeCall, office_page

ASK_AGAIN = N_(
    "Ask for a new link: /quantri in the chat, or “python3 run.py admin login-link” on the server."
)
LINK_USED = N_("This link has already been used: each link opens the office console once.")
LINK_EXPIRED = N_(
    "This link has expired: a link to the office console works for {minutes} minutes."
)
LINK_INVALID = N_("This link is not valid.")
SIGNED_OUT = N_("You have signed out of the office console.")


def routes(pages: Pages) -> list[Route]:
    data = pages.data

    def lang() -> str:
        return data.settings.default_language

    async def landing(request: Request) -> Response:
        return pages.render(
            "office/link.html", lang(), token=request.path_params["token"], telegram=False
        )

    async def redeem(request: Request) -> Response:
        token = request.path_params["token"]
        now = data.clock()
        async with pages.database() as session:
            try:
                opened = await web_auth.redeem_link(
                    session, token, now=now, prefix=office.OFFICE_HOME
                )
                await office.require_admin(session, opened.person_id)
            except DomainError as refusal:
                return refused(refusal)
            new = await web_auth.start_session(
                session,
                person_id=opened.person_id,
                via=OFFICE_VIA,
                now=now,
                idle=pages.idle_for[OFFICE_VIA],
            )
        return pages.sign_in(RedirectResponse(opened.target, status_code=303), new.token)

    def refused(refusal: DomainError) -> Response:
        language = lang()
        if isinstance(refusal, web_auth.LinkUsed):
            text, status = tr(language, LINK_USED), 410
        elif isinstance(refusal, web_auth.LinkExpired):
            minutes = data.settings.web_link_minutes
            text, status = tr(language, LINK_EXPIRED, minutes=minutes), 410
        elif isinstance(refusal, web_auth.LinkInvalid):
            text, status = tr(language, LINK_INVALID), 404
        else:  # revoked, or no longer an administrator
            text, status = tr(language, office.NotAdmin.message), 403
        return pages.message(
            language,
            f"{text} {tr(language, ASK_AGAIN)}",
            status=status,
            title=tr(language, "Office console"),
            telegram=False,
        )

    async def logout(call: OfficeCall) -> Response:
        await web_auth.end_sessions(call.session, call.visitor.person_id, token=call.visitor.token)
        response = call.pages.message(
            call.lang,
            call.t(SIGNED_OUT),
            status=200,
            title=call.t("Office console"),
            telegram=False,
        )
        response.delete_cookie(call.pages.cookie_name, path="/")
        return response

    async def overview(call: OfficeCall) -> Response:
        from services.office import overview as summary

        counts = await summary.counts(call.session, now=call.now)
        return call.render("office/home.html", counts=counts)

    return [
        Route("/office/l/{token}", landing, methods=["GET"]),
        Route("/office/l/{token}", redeem, methods=["POST"]),
        Route("/office/logout", office_page(pages, logout, post=True), methods=["POST"]),
        Route("/office", office_page(pages, overview), methods=["GET"]),
    ]
