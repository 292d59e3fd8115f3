"""The organisation tree.

    GET  /office/org?q=…                   the tree (collapsible by level), or search results
    GET  /office/org/<unit|node>/<id>      one record: rename, move, first reporting month
    POST /office/org/<unit|node>/<id>      save it (a one-row import: the same checks)
    GET  /office/org/import                upload a CSV or XLSX file
    POST /office/org/import                check it: line-numbered errors, or the preview
    POST /office/org/import/confirm        import what the preview showed (all or nothing)

The preview writes nothing. The confirming form carries the file back (base64): the server keeps
nothing between the two steps (two instances serve the pages), and checks it all again, refusing
if the database changed what the import would do since the preview.
"""

from __future__ import annotations

import asyncio
import base64
import binascii

from starlette.responses import Response
from starlette.routing import Route

from infra.i18n import tr
from models import NodeKind, UnitKind
from services.errors import N_
from services.office import org
from services.office.people import NODE_KIND_NAMES, UNIT_KIND_NAMES
from services.org_import import OrgImportError, RowError
from services.periods import Period
from web.base import Pages
from web.office.guard import OfficeCall, office_page

IMPORTED = N_("Imported: {nc} nodes created, {nu} updated; {uc} units created, {uu} updated.")
CHANGED_SINCE = N_(
    "The database changed since the preview, so the import would now do something else. "
    "Nothing was imported: check the new preview and confirm again."
)
NO_FILE = N_("Choose a .csv or .xlsx file first.")
SAVED = N_("Saved.")


def routes(pages: Pages) -> list[Route]:
    zone_month = pages.data.settings.zone

    def kind_names() -> dict[NodeKind | UnitKind, str]:
        names: dict[NodeKind | UnitKind, str] = {}
        for kind, name in NODE_KIND_NAMES.items():
            names[kind] = name
        for unit_kind, label in UNIT_KIND_NAMES.items():
            names[unit_kind] = label
        return names

    def error_lines(call: OfficeCall, errors: list[RowError]) -> list[tuple[int, str]]:
        return [(e.line, tr(call.lang, e.message, **e.params)) for e in errors]

    async def browse(call: OfficeCall) -> Response:
        query = call.query("q")
        found = await org.search(call.session, query) if query else None
        roots = None if query else await org.tree(call.session)
        return call.render(
            "office/org.html", q=query, found=found, roots=roots, kind_names=kind_names()
        )

    async def show_edit(
        call: OfficeCall,
        *,
        notice: str | None = None,
        errors: list[tuple[int, str]] | None = None,
        status: int = 200,
    ) -> Response:
        record = await org.editable(
            call.session, call.request.path_params["kind"], call.request.path_params["id"]
        )
        return call.render(
            "office/org_edit.html",
            status=status,
            record=record,
            notice=notice,
            errors=errors or [],
            posted=call.body,
            kind_names=kind_names(),
        )

    async def edit_page(call: OfficeCall) -> Response:
        return await show_edit(call)

    async def save(call: OfficeCall) -> Response:
        try:
            await org.edit(
                call.session,
                call.request.path_params["kind"],
                call.request.path_params["id"],
                name=call.body.get("name", ""),
                parent_code=call.body.get("parent_code", ""),
                first_period=call.body.get("first_period", ""),
                by=call.admin.person_id,
            )
        except OrgImportError as refused:
            return await show_edit(call, errors=error_lines(call, refused.errors), status=409)
        call.body = {}
        return await show_edit(call, notice=call.t(SAVED))

    async def upload_page(call: OfficeCall) -> Response:
        return call.render("office/org_import.html", errors=[], notice=None)

    def this_month(call: OfficeCall) -> Period:
        return Period.of(call.now.astimezone(zone_month).date())

    async def check(call: OfficeCall, name: str, content: bytes) -> Response:
        try:
            rows = await asyncio.to_thread(org.rows_from_upload, name, content)
            preview = await org.preview_import(call.session, rows)
        except OrgImportError as refused:
            await call.session.rollback()
            return call.render(
                "office/org_import.html",
                status=422,
                errors=error_lines(call, refused.errors),
                notice=call.t(refused.message, **refused.params),
                filename=name,
            )
        return preview_page(call, preview, name, content)

    def preview_page(
        call: OfficeCall, preview: org.Preview, name: str, content: bytes, notice: str = ""
    ) -> Response:
        return call.render(
            "office/org_preview.html",
            preview=preview,
            filename=name,
            payload=base64.b64encode(content).decode("ascii"),
            notice=notice,
            kind_names=kind_names(),
        )

    async def upload(call: OfficeCall) -> Response:
        sent = call.files.get("file")
        if sent is None or not sent.content:
            return call.render(
                "office/org_import.html", status=422, errors=[], notice=call.t(NO_FILE)
            )
        return await check(call, sent.name, sent.content)

    async def confirm(call: OfficeCall) -> Response:
        name = call.body.get("filename", "")
        try:
            content = base64.b64decode(call.body.get("payload", ""), validate=True)
        except (binascii.Error, ValueError):
            content = b""
        if not content or not name:
            return call.render(
                "office/org_import.html", status=422, errors=[], notice=call.t(NO_FILE)
            )
        try:
            rows = await asyncio.to_thread(org.rows_from_upload, name, content)
            done = await org.confirm_import(
                call.session,
                rows,
                fingerprint=call.body.get("fingerprint", ""),
                source=name,
                by=call.admin.person_id,
                created_month=this_month(call),
            )
        except OrgImportError:
            await call.session.rollback()
            return await check(call, name, content)
        if isinstance(done, org.Preview):
            return preview_page(call, done, name, content, notice=call.t(CHANGED_SINCE))
        text = call.t(
            IMPORTED,
            nc=done.nodes_created,
            nu=done.nodes_updated,
            uc=done.units_created,
            uu=done.units_updated,
        )
        return call.render("office/org_import.html", errors=[], notice=text, done=True)

    edit_path = "/office/org/{kind:str}/{id:int}"
    return [
        Route("/office/org", office_page(pages, browse), methods=["GET"]),
        Route("/office/org/import", office_page(pages, upload_page), methods=["GET"]),
        Route(
            "/office/org/import",
            office_page(pages, upload, post=True, upload=True),
            methods=["POST"],
        ),
        Route(
            "/office/org/import/confirm",
            office_page(pages, confirm, post=True),
            methods=["POST"],
        ),
        Route(edit_path, office_page(pages, edit_page), methods=["GET"]),
        Route(edit_path, office_page(pages, save, post=True), methods=["POST"]),
    ]
