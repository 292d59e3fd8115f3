"""The monthly report as one form: every indicator on one phone screen, on the chat's draft.

    GET  /report                              the officer's units and the months open to them
    GET  /report/<unit>/<yyyy-mm>             the form (or: who holds the draft; already sent)
    POST /report/<unit>/<yyyy-mm>/save        keep what is typed (the page saves as one types)
    POST /report/<unit>/<yyyy-mm>/review      keep it all; the review, or the form with errors
    POST /report/<unit>/<yyyy-mm>/send        send what the review showed: the receipt
    POST /report/<unit>/<yyyy-mm>/takeover    take over another officer's draft
    POST /report/<unit>/<yyyy-mm>/amend       change a report already sent

Thin, like a chat handler: read the request, call one use case of services/reporting/form.py (the
chat's own: ``open_form`` is ``open_draft``, ``submit_form`` is ``submit``), render. Every
request finds the person from the session and the service checks again, from the database,
that they still serve the unit and the month is still open; the unit in the URL is only a hint.

The browser checks as the officer types, from the indicator definitions sent with the page
(bounds, the set's rules, the change against last month): hints, shown at once. The page also
saves as the officer types, and the server's answer — the same checks the chat makes — replaces
the hint. Numbers the browser cannot read for certain are left to the server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from handlers.common.context import describe
from handlers.reports import views as report_views
from infra.i18n import day, number, tr
from services import access, outbox, reporting
from services.errors import N_, DomainError, PermissionDenied
from services.indicators import IndicatorKind, jump_threshold_for
from services.numbers import Negative, format_number
from services.outbox import Outgoing
from services.periods import Period, due_date
from services.reporting import (
    DraftHeldByOther,
    FormEntry,
    FormView,
    OutOfBounds,
    PendingJump,
    Receipt,
    ReportAlreadySent,
    TooHigh,
    TooLow,
)
from services.web_auth import NotSignedIn
from web.base import Pages, Visitor, form_body, json_answer, plain_number

FORM = "/report/{unit_id:int}/{period}"
JUMP_PROMPT = N_(
    "“{label}” changes a lot from last month: {last} → {new} ({change}%). Is that right?"
)
EXPIRED_PAGE = N_(
    "This page has expired or did not come from this site. Nothing was saved. Open the form "
    "again from the chat."
)
# Refusals after which the form is shown again as the draft now stands, with the reason.
RESHOW = (
    reporting.DraftChanged,
    reporting.DraftGone,
    reporting.AlreadySubmitted,
    reporting.StaleAction,
    reporting.MissingRequired,
    reporting.RuleBroken,
)


def form_path(unit_id: int, period: Period) -> str:
    return f"/report/{unit_id}/{period.key}"


@dataclass
class Call:
    """One request to a unit's month, the visitor signed in and the body read."""

    request: Request
    session: AsyncSession
    visitor: Visitor
    unit_id: int
    period: Period
    body: dict[str, str]
    telegram: bool  # opened as a Telegram Mini App: Telegram's script is loaded

    @property
    def path(self) -> str:
        return form_path(self.unit_id, self.period)


@dataclass(frozen=True)
class Item:
    """One indicator as the form shows it."""

    index: int
    code: str
    label: str
    unit: str | None
    help: str | None
    kind: str
    required: bool
    last: str | None  # last month's figure, written out
    text: str  # what the input holds
    checked: bool  # a yes/no switch
    reason: str
    error: str | None
    doubt: str | None  # "is that right?" when the change against last month is large


def routes(pages: Pages) -> list[Route]:
    data = pages.data
    zone = data.settings.zone

    def say(lang: str, error: DomainError) -> str:
        return describe(lang, error, zone)

    # --- requests -----------------------------------------------------------------------------

    async def not_signed_in(request: Request, *, as_json: bool) -> Response:
        lang = data.settings.default_language
        text = tr(lang, NotSignedIn.message)
        if as_json:
            return json_answer({"stale": text}, status=401)
        if request.query_params.get("tg") == "1" and data.settings.bot_token is not None:
            # A Mini App: Telegram hands the page its signed data; the script posts it, then
            # loads the page again with the session.
            return pages.render("telegram_sign_in.html", lang, telegram=True)
        return pages.message(lang, text, status=401, telegram=False)

    def page(
        handler: Callable[[Call], Awaitable[Response]], *, post: bool, as_json: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            lang = data.settings.default_language
            telegram = request.query_params.get("tg") == "1"
            try:
                period = Period.from_key(request.path_params["period"])
            except ValueError:
                text = tr(lang, "This page does not exist.")
                return pages.message(lang, text, status=404, telegram=telegram)
            body: dict[str, str] = {}
            async with pages.database() as session:
                visitor = await pages.visitor(request, session)
                if visitor is None:
                    return await not_signed_in(request, as_json=as_json)
                if post:
                    found = await form_body(request)
                    if found is None or not pages.csrf_ok(visitor, found.get("csrf")):
                        text = tr(visitor.lang, EXPIRED_PAGE)
                        if as_json:
                            return json_answer({"stale": text}, status=403)
                        return pages.message(visitor.lang, text, status=403, telegram=telegram)
                    body = found
                unit_id = request.path_params["unit_id"]
                call = Call(request, session, visitor, unit_id, period, body, telegram)
                try:
                    return await handler(call)
                except DomainError as refusal:
                    await session.rollback()
                    return await refused(call, refusal, as_json=as_json)

        return endpoint

    async def refused(call: Call, refusal: DomainError, *, as_json: bool) -> Response:
        lang = call.visitor.lang
        text = say(lang, refusal)
        if as_json:
            status = 403 if isinstance(refusal, PermissionDenied) else 409
            return json_answer({"stale": text}, status=status)
        if isinstance(refusal, RESHOW):
            return await show_form(call, notice=text, status=409)
        status = 403 if isinstance(refusal, PermissionDenied) else 409
        back = None if isinstance(refusal, PermissionDenied) else call.path
        return pages.message(lang, text, status=status, back=back, telegram=call.telegram)

    # --- the pages ----------------------------------------------------------------------------

    async def show_form(
        call: Call,
        *,
        notice: str | None = None,
        status: int = 200,
        takeover: bool = False,
        amend: bool = False,
    ) -> Response:
        lang = call.visitor.lang
        try:
            form = await reporting.open_form(
                call.session,
                person_id=call.visitor.person_id,
                unit_id=call.unit_id,
                period=call.period,
                setup=data.reporting,
                now=data.clock(),
                takeover=takeover,
                amend=amend,
            )
        except DraftHeldByOther as held:
            return pages.render(
                "report_held.html",
                lang,
                status=status,
                held=say(lang, held),
                notice=notice,
                call=call,
                telegram=call.telegram,
            )
        except ReportAlreadySent as sent:
            return pages.render(
                "report_sent.html",
                lang,
                status=status,
                sent=sent.sent,
                notice=notice,
                call=call,
                telegram=call.telegram,
            )
        except DomainError as refusal:
            await call.session.rollback()
            status = 403 if isinstance(refusal, PermissionDenied) else 409
            return pages.message(lang, say(lang, refusal), status=status, telegram=call.telegram)
        return render_form(call, form, notice=notice, status=status)

    def render_form(
        call: Call,
        form: FormView,
        *,
        errors: dict[str, DomainError] | None = None,
        doubts: dict[str, PendingJump] | None = None,
        posted: dict[str, str] | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> Response:
        lang = call.visitor.lang
        items = form_items(form, lang, errors or {}, doubts or {}, posted)
        return pages.render(
            "report_form.html",
            lang,
            status=status,
            form=form,
            items=items,
            hints=hints(form, lang),
            notice=notice,
            call=call,
            telegram=call.telegram,
            due=due_date(form.draft.period, data.reporting.calendar),
        )

    def form_items(
        form: FormView,
        lang: str,
        errors: dict[str, DomainError],
        doubts: dict[str, PendingJump],
        posted: dict[str, str] | None,
    ) -> list[Item]:
        items = []
        for line in form.draft.answers:
            indicator = line.indicator
            code = indicator.code
            last = form.last.get(code)
            if posted is not None and f"v:{code}" in posted:
                text = posted[f"v:{code}"]
                reason = posted.get(f"r:{code}", "")
            else:
                value = line.value if line.answered else None
                # A stock starts at last month's figure: most months it has not moved.
                if not line.answered and indicator.kind is IndicatorKind.STOCK:
                    value = last
                # Written as the server reads it back, whatever the page's language.
                text = "" if value is None else format_number(value, "vi")
                reason = line.note or ""
            checked = text.strip() in {"1", "có", "Có"}
            doubt = doubts.get(code)
            items.append(
                Item(
                    index=line.index,
                    code=code,
                    label=indicator.label.get(lang),
                    unit=indicator.unit.get(lang) if indicator.unit else None,
                    help=indicator.help.get(lang) if indicator.help else None,
                    kind=indicator.kind.value,
                    required=indicator.required,
                    last=report_views.value_text(indicator, last, lang)
                    if last is not None
                    else None,
                    text=text,
                    checked=checked,
                    reason=reason,
                    error=say(lang, errors[code]) if code in errors else None,
                    doubt=jump_text(doubt, lang) if doubt is not None else None,
                )
            )
        return items

    def jump_text(doubt: PendingJump, lang: str) -> str:
        """The chat's "is that right?" (report_views.jump_prompt), without its buttons."""
        last, new = doubt.last, doubt.new
        change = (new - last) / last * 100 if last else Decimal(0)
        return tr(
            lang,
            JUMP_PROMPT,
            label=doubt.indicator.label.get(lang),
            last=report_views.value_text(doubt.indicator, last, lang),
            new=report_views.value_text(doubt.indicator, new, lang),
            change=("+" if change > 0 else "") + number(round(change, 1), lang),
        )

    def hints(form: FormView, lang: str) -> dict[str, Any]:
        """The indicator definitions the browser checks against: only what the services use,
        taken from the report's own version of the set."""
        default = data.reporting.indicators.jump_threshold
        indicator_set = form.indicator_set
        return {
            "items": [
                {
                    "code": i.code,
                    "label": i.label.get(lang),
                    "unit": i.unit.get(lang) if i.unit else "",
                    "kind": i.kind.value,
                    "min": plain_number(i.min),
                    "max": plain_number(i.max),
                    "jump": jump_threshold_for(i, default),
                    "last": plain_number(form.last.get(i.code)),
                }
                for i in indicator_set.indicators
            ],
            "rules": [
                {
                    "left": _side(rule.comparison.left),
                    "op": rule.comparison.op,
                    "right": _side(rule.comparison.right),
                    "message": rule.message.get(lang),
                }
                for rule in indicator_set.rules
            ],
            "texts": {
                "negative": tr(lang, Negative.message),
                "low": tr(lang, TooLow.message),
                "high": tr(lang, TooHigh.message),
                "between": tr(lang, OutOfBounds.message),
                "jump": tr(lang, JUMP_PROMPT),
                "saving": tr(lang, "Saving…"),
                "saved": tr(lang, "Saved"),
                "offline": tr(lang, "Not saved: no connection. Keep the page open and try again."),
                "reload": tr(lang, "Reload the page"),
            },
            "lang": lang,
        }

    def entries(body: dict[str, str]) -> dict[str, FormEntry]:
        """The items posted (inputs named v:<code>, reasons r:<code>); the service ignores a
        code that is not in the report's set."""
        return {
            name[2:]: FormEntry(text, body.get(f"r:{name[2:]}", ""))
            for name, text in body.items()
            if name.startswith("v:")
        }

    async def save_all(call: Call, *, complete: bool) -> reporting.FormOutcome:
        return await reporting.save_form(
            call.session,
            person_id=call.visitor.person_id,
            unit_id=call.unit_id,
            period=call.period,
            version=call.body.get("version", ""),
            entries=entries(call.body),
            setup=data.reporting,
            now=data.clock(),
            complete=complete,
        )

    # --- endpoints ----------------------------------------------------------------------------

    async def form(call: Call) -> Response:
        return await show_form(call)

    async def save(call: Call) -> Response:
        outcome = await save_all(call, complete=False)
        lang = call.visitor.lang
        draft = outcome.form.draft
        return json_answer(
            {
                "version": outcome.form.version,
                "errors": {code: say(lang, error) for code, error in outcome.errors.items()},
                "doubts": {code: jump_text(d, lang) for code, d in outcome.doubts.items()},
                "answered": sum(line.answered for line in draft.answers),
                "total": draft.total,
            }
        )

    async def review(call: Call) -> Response:
        outcome = await save_all(call, complete=True)
        if not outcome.complete:
            return render_form(
                call,
                outcome.form,
                errors=outcome.errors,
                doubts=outcome.doubts,
                posted=call.body,
                notice=tr(call.visitor.lang, "Please correct the items marked below."),
                status=422,
            )
        return render_review(call, outcome.form)

    def render_review(
        call: Call, form: FormView, *, error: str | None = None, status: int = 200
    ) -> Response:
        lang = call.visitor.lang
        lines = [
            {
                "index": line.index,
                "label": line.indicator.label.get(lang),
                "value": report_views.value_text(line.indicator, line.value, lang),
                "note": line.note,
            }
            for line in form.draft.answers
        ]
        return pages.render(
            "report_review.html",
            lang,
            status=status,
            form=form,
            lines=lines,
            error=error,
            call=call,
            telegram=call.telegram,
        )

    async def send(call: Call) -> Response:
        try:
            receipt = await reporting.submit_form(
                call.session,
                person_id=call.visitor.person_id,
                unit_id=call.unit_id,
                period=call.period,
                version=call.body.get("version", ""),
                reason=call.body.get("amend_reason"),
                setup=data.reporting,
                now=data.clock(),
            )
        except reporting.ReasonRequired as missing:
            await call.session.rollback()
            form = await reporting.open_form(
                call.session,
                person_id=call.visitor.person_id,
                unit_id=call.unit_id,
                period=call.period,
                setup=data.reporting,
                now=data.clock(),
            )
            return render_review(call, form, error=say(call.visitor.lang, missing), status=422)
        told = await tell_in_chat(call.session, call.visitor.person_id, receipt)
        return render_receipt(call, receipt, told)

    async def tell_in_chat(session: AsyncSession, person_id: int, receipt: Receipt) -> bool:
        """The chat's receipt, through the outbox (sent by the active instance, whichever
        instance served the page); False when the person has no account to send it to."""
        targets = await access.delivery_targets(session, [person_id], data.channels)
        target = targets.get(person_id)
        if target is None:
            return False
        text = report_views.receipt(receipt, target.language, zone)
        await outbox.enqueue(
            session,
            [
                Outgoing(
                    idempotency_key=f"receipt:{receipt.report_id}:{receipt.revision}",
                    kind="receipt",
                    person_id=person_id,
                    channel=target.channel,
                    chat_id=target.chat_id,
                    text=text,
                )
            ],
            data.clock(),
        )
        return True

    def render_receipt(call: Call, receipt: Receipt, told: bool) -> Response:
        lang = call.visitor.lang
        return pages.render(
            "report_receipt.html",
            lang,
            number=f"BC-{receipt.report_id:06d}",
            text=report_views.receipt(receipt, lang, zone),  # what the chat shows, word for word
            told=told,
            call=call,
            telegram=call.telegram,
        )

    async def takeover(call: Call) -> Response:
        await reporting.open_form(
            call.session,
            person_id=call.visitor.person_id,
            unit_id=call.unit_id,
            period=call.period,
            setup=data.reporting,
            now=data.clock(),
            takeover=True,
        )
        return RedirectResponse(back_to(call), status_code=303)

    async def amend(call: Call) -> Response:
        await reporting.open_form(
            call.session,
            person_id=call.visitor.person_id,
            unit_id=call.unit_id,
            period=call.period,
            setup=data.reporting,
            now=data.clock(),
            amend=True,
        )
        return RedirectResponse(back_to(call), status_code=303)

    def back_to(call: Call) -> str:
        return call.path + ("?tg=1" if call.telegram else "")

    async def index(request: Request) -> Response:
        telegram = request.query_params.get("tg") == "1"
        async with pages.database() as session:
            visitor = await pages.visitor(request, session)
            if visitor is None:
                return await not_signed_in(request, as_json=False)
            now = data.clock()
            units = []
            for unit in await reporting.units_for(session, visitor.person_id):
                choices = await reporting.periods_for(
                    session, visitor.person_id, unit.unit_id, data.reporting, now
                )
                months = [
                    {
                        "path": form_path(unit.unit_id, choice.period),
                        "label": choice.period.label(visitor.lang),
                        "state": _state(choice, visitor.lang),
                    }
                    for choice in choices
                ]
                units.append({"name": unit.name, "months": months})
        return pages.render("report_index.html", visitor.lang, units=units, telegram=telegram)

    return [
        Route("/report", index, methods=["GET"]),
        Route(FORM, page(form, post=False), methods=["GET"]),
        Route(FORM + "/save", page(save, post=True, as_json=True), methods=["POST"]),
        Route(FORM + "/review", page(review, post=True), methods=["POST"]),
        Route(FORM + "/send", page(send, post=True), methods=["POST"]),
        Route(FORM + "/takeover", page(takeover, post=True), methods=["POST"]),
        Route(FORM + "/amend", page(amend, post=True), methods=["POST"]),
    ]


def _side(side: str | Decimal) -> str:
    """A rule's operand for the browser: an indicator code, or "#<number>"."""
    return side if isinstance(side, str) else f"#{plain_number(side)}"


def _state(choice: reporting.PeriodChoice, lang: str) -> str:
    due = day(choice.due, lang)
    if choice.draft_progress is not None:
        done, total = choice.draft_progress
        return tr(lang, report_views.DRAFT_STATE, done=done, total=total)
    if choice.submitted:
        return tr(lang, report_views.SUBMITTED_STATE)
    if choice.unlocked:
        return tr(lang, report_views.UNLOCKED_STATE)
    if choice.state.value == "overdue":
        return tr(lang, report_views.OVERDUE_STATE, due=due)
    return tr(lang, report_views.OPEN_STATE, due=due)
