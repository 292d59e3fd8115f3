"""Invites, one or a batch, and the printable sheet of their QR codes.

    GET  /office/invites?state=open|used|expired|cancelled   which invites are used or expired
    GET  /office/invites/new?role=…&under=…&kind=…&pick=…     choose what to invite (a checklist)
    POST /office/invites/new                                  make them: the printable sheet
    POST /office/invites/<id>/cancel                          cancel an unused invite
    POST /office/invites/sheet   (codes, as=pdf|png-N)        the sheet as a PDF or a PNG page

A code is shown once: only its keyed hash is stored. So the sheet is the answer to the POST and
cannot be opened again later; it says so, and the office prints it (or saves it as PDF) then.
Its PDF and PNG downloads post the sheet's own codes back (services/office/invite_sheet.py):
the server keeps nothing of a batch, and either instance can answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from starlette.responses import Response
from starlette.routing import Route

from infra import invite_sheet as sheet_files
from infra.i18n import day, tr
from infra.rendering import off_the_loop
from infra.settings import CONSOLE_BOT_USERNAME
from models import Role
from services import invites
from services.errors import N_
from services.office import invite_sheet, people
from web.base import SECURITY_HEADERS, Pages
from web.office.guard import OfficeCall, office_page, page_number
from web.office.qr import qr_images

STATES = ("open", "used", "expired", "cancelled")
PAGE_FOOTER = N_("Invite sheet — page {page} of {pages}")
CANCELLED = N_("The invite is cancelled: its code no longer works.")


@dataclass(frozen=True)
class Card:
    code: str  # ABCD-EFGH
    role: str
    scope: str | None
    expires_at: datetime
    link: str | None
    qr: str | None


NO_FILES = N_("BOT_USERNAME is not set: the sheet has no QR codes to download.")


def _caption(lang: str, item: invite_sheet.PrintedInvite, zone: tzinfo) -> list[str]:
    """The CLI's caption (bot/admin.py ``invite``): the code, what it grants, until when."""
    return [
        tr(lang, "Invite code: {code}", code=invites.display_code(item.code)),
        tr(
            lang,
            "Grants: {role} {scope}",
            role=tr(lang, people.ROLE_NAMES[item.role]),
            scope=item.scope_name or "",
        ).rstrip(),
        tr(lang, "Valid until: {date}", date=day(item.expires_at.astimezone(zone).date(), lang)),
    ]


def routes(pages: Pages) -> list[Route]:
    settings = pages.data.settings

    def bot_name() -> str | None:
        # As the CLI's invites: the bot's @username; the console's own bot in console mode.
        if settings.bot_username:
            return settings.bot_username
        return None if settings.channels else CONSOLE_BOT_USERNAME

    def role_of(text: str) -> Role:
        try:
            return Role(text)
        except ValueError:
            return Role.OFFICER

    async def listing(call: OfficeCall, *, notice: str | None = None) -> Response:
        state = call.query("state")
        state = state if state in STATES else ""
        found, more = await people.invites_page(
            call.session, now=call.now, state=state, page=page_number(call)
        )
        return call.render(
            "office/invites.html",
            invites=found,
            more=more,
            page=page_number(call),
            state=state,
            notice=notice,
            role_names=people.ROLE_NAMES,
        )

    async def show_list(call: OfficeCall) -> Response:
        return await listing(call)

    async def choose(call: OfficeCall) -> Response:
        role = role_of(call.query("role", "officer"))
        under, kind, pick = call.query("under"), call.query("kind"), call.query("pick")
        found = await people.candidates(call.session, role=role, under=under, kind=kind)
        if pick:
            found = [scope for scope in found if scope.code == pick]
        return call.render(
            "office/invite_new.html",
            role=role,
            roles=list(Role),
            under=under,
            kind=kind,
            pick=pick,
            areas=await people.areas(call.session),
            candidates=found,
            days=settings.invite_valid_days,
            role_names=people.ROLE_NAMES,
            unit_kinds=people.UNIT_KIND_NAMES,
            node_kinds=people.NODE_KIND_NAMES,
        )

    async def create(call: OfficeCall) -> Response:
        role = role_of(call.body.get("role", ""))
        days_text = call.body.get("days", "")
        days = int(days_text) if days_text.isdigit() else settings.invite_valid_days
        days = min(max(days, 1), 90)
        count_text = call.body.get("count", "1")
        count = min(max(int(count_text), 1), 20) if count_text.isdigit() else 1
        codes = [key[2:] for key, value in call.body.items() if key.startswith("s:") and value]
        made = await people.create_batch(
            call.session,
            settings.secret,
            role=role,
            codes=codes,
            count=count,
            by=call.admin.person_id,
            valid_days=days,
            now=call.now,
        )
        username = bot_name()
        links = [
            f"https://t.me/{username}?start={created.code}" if username else None
            for created in made
        ]
        images = await qr_images([link for link in links if link]) if username else []
        cards = [
            Card(
                invites.display_code(created.code),
                call.t(people.ROLE_NAMES[created.role]),
                created.scope_name,
                created.expires_at,
                link,
                images[index] if images else None,
            )
            for index, (created, link) in enumerate(zip(made, links, strict=True))
        ]
        return call.render(
            "office/invite_sheet.html",
            cards=cards,
            username=username,
            codes=" ".join(created.code for created in made),
            pages=range(1, sheet_files.page_count(len(cards)) + 1),
        )

    async def download(call: OfficeCall) -> Response:
        """The sheet's codes posted back → a PDF of every page, or one page as PNG."""
        username = bot_name()
        if username is None:
            return call.message(call.t(NO_FILES), status=409)
        found = await invite_sheet.printable(
            call.session, settings.secret, call.body.get("codes", ""), now=call.now
        )
        lang = call.lang
        cards = [
            sheet_files.SheetCard(
                f"https://t.me/{username}?start={item.code}",
                _caption(lang, item, settings.zone),
            )
            for item in found
        ]
        footer = tr(lang, PAGE_FOOTER, page="{page}", pages="{pages}")
        wanted = call.body.get("as", "pdf")
        total = sheet_files.page_count(len(cards))
        if wanted.startswith("png-") and wanted[4:].isdigit() and 1 <= int(wanted[4:]) <= total:
            number = int(wanted[4:])
            content = await off_the_loop(sheet_files.png, cards, number, footer)
            media, name = "image/png", f"phieu-moi-trang-{number}.png"
        else:
            content = await off_the_loop(sheet_files.pdf, cards, footer)
            media, name = "application/pdf", "phieu-moi.pdf"
        return Response(
            content,
            media_type=media,
            headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def cancel(call: OfficeCall) -> Response:
        await people.cancel_invite(
            call.session, call.request.path_params["invite_id"], by=call.admin.person_id
        )
        return await listing(call, notice=call.t(CANCELLED))

    return [
        Route("/office/invites", office_page(pages, show_list), methods=["GET"]),
        Route("/office/invites/new", office_page(pages, choose), methods=["GET"]),
        Route("/office/invites/new", office_page(pages, create, post=True), methods=["POST"]),
        Route("/office/invites/sheet", office_page(pages, download, post=True), methods=["POST"]),
        Route(
            "/office/invites/{invite_id:int}/cancel",
            office_page(pages, cancel, post=True),
            methods=["POST"],
        ),
    ]
