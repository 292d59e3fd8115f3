"""The console's guard and rendering, for every office page (and the pages added later).

``office_page(pages, handler)`` makes a Starlette endpoint that, on every request: finds the
visitor's session, which must be an office session (opened by an office link, never a report
form's), asks the database again that the person is an administrator now, and for a POST reads
the body and checks its CSRF token (403 and nothing written otherwise). The handler gets an
``OfficeCall`` and renders with ``call.render("office/<page>.html", ...)``, which extends
``office/layout.html`` (the menu, the sign-out button, office.css).

A new page family: a module with ``routes(pages) -> list[Route]`` built from ``office_page``,
listed in ``web/office/__init__.py``, with a menu entry in ``MENU``.
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from handlers.common.context import describe
from infra.i18n import tr
from services import office
from services.access import Viewer
from services.errors import N_, DomainError, PermissionDenied
from web.base import OFFICE_VIA, Pages, Visitor, form_body

UPLOAD_LIMIT = 5 * 1024 * 1024  # an organisation file of a whole province is well under this
FORM_LIMIT = 8 * 1024 * 1024  # a confirmed import carries its file back (base64)

# The menu: (path, label). Later page families add theirs here.
MENU: list[tuple[str, str]] = [
    ("/office", N_("Overview")),
    ("/office/org", N_("Organisation")),
    ("/office/org/import", N_("Import")),
    ("/office/people", N_("People")),
    ("/office/invites", N_("Invites")),
    ("/office/audit", N_("Audit log")),
    ("/office/reports", N_("Reporting")),
    ("/office/config", N_("Indicators and targets")),
    ("/office/concerns", N_("Concerns")),
    ("/office/polls", N_("Polls")),
    ("/office/review", N_("Review")),
]

NOT_SIGNED_IN = N_(
    "You are not signed in to the office console, or your session has ended. Ask for a new "
    "link: /quantri in the chat, or “python3 run.py admin login-link” on the server."
)
EXPIRED_FORM = N_(
    "This page has expired or did not come from this site. Nothing was changed. Open the "
    "page again and repeat."
)


@dataclass
class Upload:
    name: str
    content: bytes


@dataclass
class OfficeCall:
    """One request of a signed-in administrator."""

    pages: Pages
    request: Request
    session: AsyncSession
    visitor: Visitor
    admin: Viewer
    body: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.visitor.lang

    @property
    def actor(self) -> str:
        return office.actor_of(self.admin.person_id)

    @property
    def now(self) -> Any:
        return self.pages.data.clock()

    def t(self, message: str, /, **params: Any) -> str:
        return tr(self.lang, message, **params)

    def say(self, error: DomainError) -> str:
        return describe(self.lang, error, self.pages.data.settings.zone)

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default).strip()

    def query_with(self, **changes: object) -> str:
        """This page's query string with some parameters changed (a pager keeps the filters)."""
        params = dict(self.request.query_params)
        params.update({key: str(value) for key, value in changes.items()})
        return urlencode(params)

    def render(self, template: str, *, status: int = 200, **context: Any) -> Response:
        return self.pages.render(
            template,
            self.lang,
            status=status,
            telegram=False,
            visitor=self.visitor,
            admin=self.admin,
            csrf=self.visitor.csrf,
            menu=MENU,
            here=self.request.url.path,
            query_with=self.query_with,
            **context,
        )

    def message(self, text: str, *, status: int, back: str | None = None) -> Response:
        return self.render("office/message.html", status=status, text=text, back=back)

    def redirect(self, path: str) -> Response:
        return RedirectResponse(path, status_code=303)


Handler = Callable[[OfficeCall], Awaitable[Response]]


def office_page(
    pages: Pages, handler: Handler, *, post: bool = False, upload: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that runs ``handler`` only for an administrator in an office session."""

    async def endpoint(request: Request) -> Response:
        lang = pages.data.settings.default_language
        async with pages.database() as session:
            visitor = await pages.visitor(request, session)
            if visitor is None or visitor.via != OFFICE_VIA:
                return pages.message(lang, tr(lang, NOT_SIGNED_IN), status=401, telegram=False)
            try:
                admin = await office.require_admin(session, visitor.person_id)
            except PermissionDenied as refusal:
                text = describe(visitor.lang, refusal, pages.data.settings.zone)
                return pages.message(visitor.lang, text, status=403, telegram=False)
            call = OfficeCall(pages, request, session, visitor, admin)
            if post:
                read = await (_multipart(request) if upload else _form(request))
                if read is None or not pages.csrf_ok(visitor, read[0].get("csrf")):
                    return call.message(call.t(EXPIRED_FORM), status=403)
                call.body, call.files = read
            try:
                return await handler(call)
            except DomainError as refusal:
                await session.rollback()
                status = 403 if isinstance(refusal, PermissionDenied) else 409
                return call.message(call.say(refusal), status=status)

    return endpoint


async def _form(request: Request) -> tuple[dict[str, str], dict[str, Upload]] | None:
    found = await form_body(request, limit=FORM_LIMIT)
    return None if found is None else (found, {})


async def _multipart(request: Request) -> tuple[dict[str, str], dict[str, Upload]] | None:
    """A multipart/form-data body (a file and a few fields), read with the standard library:
    the project has no multipart package, and this form is small and ours."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > UPLOAD_LIMIT:
            return None
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return None
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = Upload(filename, content)
        else:
            fields[name] = content.decode("utf-8", errors="replace")
    return fields, files


def page_number(call: OfficeCall) -> int:
    """The ?page=N of a paged list (1 when absent or not a number)."""
    text = call.query("page", "1")
    return int(text) if text.isdigit() and 0 < int(text) < 100_000 else 1
