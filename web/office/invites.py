"""Invites, one or a batch, and the printable sheet of their QR codes.

    GET  /office/invites?state=open|used|expired|cancelled   which invites are used or expired
    GET  /office/invites/new?role=…&under=…&kind=…&pick=…     choose what to invite (a checklist)
    POST /office/invites/new                                  make them: the printable sheet
    POST /office/invites/<id>/cancel                          cancel an unused invite

A code is shown once: only its keyed hash is stored. So the sheet is the answer to the POST and
cannot be opened again later; it says so, and the office prints it (or saves it as PDF) then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.responses import Response
from starlette.routing import Route

from infra.settings import CONSOLE_BOT_USERNAME
from models import Role
from services import invites
from services.errors import N_
from services.office import people
from web.base import Pages
from web.office.guard import OfficeCall, office_page, page_number
from web.office.qr import qr_images

STATES = ("open", "used", "expired", "cancelled")
CANCELLED = N_("The invite is cancelled: its code no longer works.")


@dataclass(frozen=True)
class Card:
    code: str  # ABCD-EFGH
    role: str
    scope: str | None
    expires_at: datetime
    link: str | None
    qr: str | None


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
        return call.render("office/invite_sheet.html", cards=cards, username=username)

    async def cancel(call: OfficeCall) -> Response:
        await people.cancel_invite(
            call.session, call.request.path_params["invite_id"], by=call.admin.person_id
        )
        return await listing(call, notice=call.t(CANCELLED))

    return [
        Route("/office/invites", office_page(pages, show_list), methods=["GET"]),
        Route("/office/invites/new", office_page(pages, choose), methods=["GET"]),
        Route("/office/invites/new", office_page(pages, create, post=True), methods=["POST"]),
        Route(
            "/office/invites/{invite_id:int}/cancel",
            office_page(pages, cancel, post=True),
            methods=["POST"],
        ),
    ]
