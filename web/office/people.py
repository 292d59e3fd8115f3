"""People and their roles.

    GET  /office/people?q=…&state=active|revoked|all&page=N   list and search
    GET  /office/people/<id>                                  one person: roles, apps, actions
    POST /office/people/<id>/revoke                           revoke every role (audited)

Reinstating is a new invite (/office/invites/new, prefilled from the roles they had): the person
registers with it and gets exactly the new role.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from services.errors import N_
from services.office import people
from web.base import Pages
from web.office.guard import OfficeCall, office_page, page_number

REVOKED = N_("{name} no longer has access: every role is revoked and their web sessions ended.")


def routes(pages: Pages) -> list[Route]:
    async def listing(call: OfficeCall) -> Response:
        state = call.query("state", "active")
        if state not in {"active", "revoked", "all"}:
            state = "active"
        found, more = await people.people_page(
            call.session, query=call.query("q"), state=state, page=page_number(call)
        )
        return call.render(
            "office/people.html",
            people=found,
            more=more,
            page=page_number(call),
            q=call.query("q"),
            state=state,
            role_names=people.ROLE_NAMES,
        )

    async def one(call: OfficeCall, *, notice: str | None = None) -> Response:
        line = await people.person_line(call.session, call.request.path_params["person_id"])
        return call.render(
            "office/person.html",
            person=line,
            notice=notice,
            role_names=people.ROLE_NAMES,
            self_id=call.admin.person_id,
        )

    async def show(call: OfficeCall) -> Response:
        return await one(call)

    async def revoke(call: OfficeCall) -> Response:
        line = await people.revoke(
            call.session, call.request.path_params["person_id"], by=call.admin.person_id
        )
        return await one(call, notice=call.t(REVOKED, name=line.display_name))

    return [
        Route("/office/people", office_page(pages, listing), methods=["GET"]),
        Route("/office/people/{person_id:int}", office_page(pages, show), methods=["GET"]),
        Route(
            "/office/people/{person_id:int}/revoke",
            office_page(pages, revoke, post=True),
            methods=["POST"],
        ),
    ]
