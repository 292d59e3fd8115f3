"""Workers' polls in the office console (issue 17).

    GET  /office/polls          every poll, newest first: open or closed, audience, dates, and
                                how many answered — only after the close
    GET  /office/polls/<id>     one poll: its questions, and its results once they may be seen
                                (after the close, or before it when the poll says so)
    GET  /office/polls/new      the form to set a poll
    POST /office/polls/new      set it (services/polls/definition.py create_poll checks the rules
                                and who may poll, from the database; audited ``poll.create``)

The results are services/polls/results.py's, with its suppression, never recomputed here
(web/poll_results.py only turns them into text and bars). Nothing of one answer is shown, and
no time: the poll's dates are days.
"""

from __future__ import annotations

from datetime import date

from starlette.responses import Response
from starlette.routing import Route

from services import polls
from services.errors import N_, DomainError
from services.polls import PollDraft, Question, Text
from services.reporting import local_date
from web.base import Pages
from web.office.guard import OfficeCall, office_page, page_number
from web.poll_results import shown

PER_PAGE = 20
CREATED = N_("The poll is set: it goes to the workers' poll lists from its opening day.")
NO_SUCH_POLL = N_("There is no such poll.")
BAD_DATE = N_("Type the dates as dd/mm/yyyy.")


def _text(line: str) -> Text:
    """ "Vietnamese | English": the English is optional (as /khaosat in the chat)."""
    vi, _, en = line.partition("|")
    return Text(vi.strip(), en.strip() or None)


def _date(typed: str) -> date | None:
    """yyyy-mm-dd (a date field) or dd/mm/yyyy (typed)."""
    typed = typed.strip()
    try:
        if "-" in typed:
            return date.fromisoformat(typed)
        day_, month, year = (int(part) for part in typed.replace(".", "/").split("/"))
        return date(year, month, day_)
    except ValueError:
        return None


def _questions(body: dict[str, str]) -> tuple[Question, ...]:
    questions = []
    for n in range(1, polls.MAX_QUESTIONS + 1):
        text = body.get(f"q{n}", "").strip()
        options = [line for line in body.get(f"o{n}", "").splitlines() if line.strip()]
        if not text and not options:
            continue
        questions.append(Question(_text(text), tuple(_text(o) for o in options)))
    return tuple(questions)


def routes(pages: Pages) -> list[Route]:
    def today(call: OfficeCall) -> date:
        return local_date(call.now, call.pages.data.reporting)

    async def listing(call: OfficeCall) -> Response:
        page = page_number(call)
        found = await polls.polls_listed(
            call.session, today(call), limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE
        )
        return call.render(
            "office/polls.html",
            polls=[shown(p, today(call), call.lang) for p in found[:PER_PAGE]],
            notice=call.t(CREATED) if call.query("made") == "1" else None,
            pager_page=page,
            pager_more=len(found) > PER_PAGE,
        )

    async def one(call: OfficeCall) -> Response:
        poll_id = call.request.path_params["poll_id"]
        found = (
            await polls.poll_listed(call.session, poll_id, today(call))
            if 0 < poll_id < 2**31
            else None
        )
        if found is None:
            return call.message(call.t(NO_SUCH_POLL), status=404, back="/office/polls")
        return call.render(
            "office/poll.html",
            p=shown(found, today(call), call.lang),
            poll=found.poll,
            notice=call.t(CREATED) if call.query("made") == "1" else None,
        )

    def form(call: OfficeCall, *, error: str | None = None, status: int = 200) -> Response:
        values = call.body or {"opens": today(call).isoformat()}
        return call.render(
            "office/poll_new.html",
            status=status,
            error=error,
            values=values,
            numbers=range(1, polls.MAX_QUESTIONS + 1),
        )

    async def new(call: OfficeCall) -> Response:
        return form(call)

    async def create(call: OfficeCall) -> Response:
        body = call.body
        opens, closes = _date(body.get("opens", "")), _date(body.get("closes", ""))
        if opens is None or closes is None:
            return form(call, error=call.t(BAD_DATE), status=400)
        try:
            node_id, _name = await polls.audience_by_code(
                call.session, call.admin, body.get("area", "")
            )
            poll_id = await polls.create_poll(
                call.session,
                call.admin,
                PollDraft(
                    _questions(body),
                    node_id,
                    opens,
                    closes,
                    results_before_close=body.get("early") == "1",
                ),
                today=today(call),
                actor=call.actor,
            )
        except DomainError as refusal:
            await call.session.rollback()
            return form(call, error=call.say(refusal), status=400)
        return call.redirect(f"/office/polls/{poll_id}?made=1")

    return [
        Route("/office/polls", office_page(pages, listing), methods=["GET"]),
        Route("/office/polls/new", office_page(pages, new), methods=["GET"]),
        Route("/office/polls/new", office_page(pages, create, post=True), methods=["POST"]),
        Route("/office/polls/{poll_id:int}", office_page(pages, one), methods=["GET"]),
    ]
