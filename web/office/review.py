"""Review by the level above, in the console: the reports waiting (every reviewed kind, every
level: the standing office may decide for any reviewer), each with the figures /duyet shows
(from the same service), approve or return with a comment, and the approved ones to reopen.

GET  /office/review                         the reports waiting, then the approved ones
POST /office/review/<report id>/approve
POST /office/review/<report id>/return      comment (required, at most 500 characters)
POST /office/review/<report id>/reopen      comment (optional)

The report id in the URL is only a hint: services/review checks again, from the database, that
the person is an administrator now and that the report waits (or is approved), and records the
decision in audit_log exactly as the chat does. A returned or reopened report goes back to its
officers through the outbox (handlers/review/notices.py, the chat's own message).
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from handlers.common.context import served_channels
from handlers.review.notices import tell_officers
from services import review
from services.errors import N_
from web.base import Pages
from web.office.guard import OfficeCall, office_page

APPROVED = N_("Approved: {unit}, {period}. The report is locked; reopen it if it must change.")
RETURNED = N_("Returned: {unit}, {period}. Officers of the unit told: {count}.")
REOPENED = N_("Reopened: {unit}, {period}. Officers of the unit told: {count}.")
BACK = "/office/review"


def routes(pages: Pages) -> list[Route]:
    async def listing(call: OfficeCall) -> Response:
        setup = call.pages.data.reporting
        person = call.admin.person_id
        return call.render(
            "office/review.html",
            configured=bool(setup.calendar.review),
            waiting=await review.waiting(call.session, person, setup, office=True),
            approved=await review.approved(call.session, person, setup, office=True),
            max_comment=review.MAX_COMMENT,
        )

    async def decide(call: OfficeCall, action: str) -> Response:
        data = call.pages.data
        report_id = call.request.path_params["report_id"]
        common = {
            "person_id": call.admin.person_id,
            "report_id": report_id,
            "setup": data.reporting,
            "now": call.now,
            "office": True,
        }
        comment = call.body.get("comment", "")
        if action == "approve":
            decision = await review.approve(call.session, **common)
            text = APPROVED
        elif action == "return":
            decision = await review.return_report(call.session, comment=comment, **common)
            text = RETURNED
        else:
            decision = await review.reopen(call.session, comment=comment, **common)
            text = REOPENED
        told = 0
        if action != "approve":  # back to its officers, with the comment (commits)
            told = await tell_officers(call.session, decision, served_channels(data), call.now)
        message = call.t(
            text, unit=decision.unit_name, period=decision.period.label(call.lang), count=told
        )
        return call.message(message, status=200, back=BACK)

    def posted(action: str) -> Route:
        async def handler(call: OfficeCall) -> Response:
            return await decide(call, action)

        path = f"/office/review/{{report_id:int}}/{action}"
        return Route(path, office_page(pages, handler, post=True), methods=["POST"])

    return [
        Route("/office/review", office_page(pages, listing), methods=["GET"]),
        *(posted(action) for action in ("approve", "return", "reopen")),
    ]
