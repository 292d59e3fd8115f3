"""Indicator sets and annual targets: the versions in force, their history, and editing one.

    GET  /office/config                     both, in force (file or office edit), and history
    GET  /office/config/<kind>              the YAML in force in a text box
    POST /office/config/<kind>              save it as a new version (checked as the file is)
    GET  /office/config/<kind>/<id>         one earlier version, to read

``kind`` is "indicators" or "targets". A saved version is put in use at once in this process
(``apply``), noticed by the other instance within OFFICE_CONFIG_CHECK_SECONDS and read back at
every start (handlers/common/office_config.py); see services/office/config_edits.py.
"""

from __future__ import annotations

from grassroots_config import DEFAULT_CONFIG_DIR
from starlette.responses import Response
from starlette.routing import Route

from handlers.common import office_config
from handlers.common.context import BotData
from services.errors import N_, DomainError
from services.office import config_edits
from services.office.config_edits import ConfigRefused, InForce
from web.base import Pages
from web.office.config_words import refusal_words
from web.office.guard import OfficeCall, office_page

TITLES = {"indicators": N_("Indicator sets"), "targets": N_("Annual targets")}
SAVED = N_("Saved: version {version} is in force now. Reports already sent keep their own.")


def _file_text(data: BotData, kind: str) -> str:
    folder = data.settings.config_dir or DEFAULT_CONFIG_DIR
    return (folder / f"{kind}.yaml").read_text(encoding="utf-8")


async def in_force(call: OfficeCall, kind: str) -> InForce:
    data = call.pages.data
    row = await config_edits.newest(call.session, kind)  # type: ignore[arg-type]
    version = data.reporting.indicators.version if kind == "indicators" else data.targets.version
    return config_edits.in_force(kind, row, "" if row else _file_text(data, kind), version)


async def apply(data: BotData) -> None:
    """Put the saved version in use in this process at once: the next report stores (and points
    at) the new set's frozen copy; the next digest judges by the new targets. The other
    instance notices it within OFFICE_CONFIG_CHECK_SECONDS (handlers/common/office_config.py)."""
    await office_config.refresh(data, force=True)


def routes(pages: Pages) -> list[Route]:
    async def overview(call: OfficeCall) -> Response:
        kinds = []
        for kind in config_edits.KINDS:
            kinds.append(
                (kind, await in_force(call, kind), await config_edits.history(call.session, kind))
            )
        return call.render("office/config.html", kinds=kinds, titles=TITLES)

    def _kind(call: OfficeCall) -> str:
        kind = str(call.request.path_params["kind"])
        if kind not in config_edits.KINDS:
            raise config_edits.UnknownKind()
        return kind

    async def edit(call: OfficeCall) -> Response:
        kind = _kind(call)
        current = await in_force(call, kind)
        return call.render(
            "office/config_edit.html",
            kind=kind,
            title=TITLES[kind],
            current=current,
            text=current.content,
            refusal=None,
            history=await config_edits.history(call.session, kind),
        )

    async def save(call: OfficeCall) -> Response:
        kind = _kind(call)
        current = await in_force(call, kind)
        text = call.body.get("content", "")
        data = call.pages.data
        try:
            _, row = await config_edits.save(
                call.session,
                kind,
                text,
                current=current,
                indicators=data.reporting.indicators,
                targets=data.targets,
                actor=call.actor,
                now=call.now,
            )
        except DomainError as refused:
            # The form again with the text as typed, to fix; nothing was written.
            await call.session.rollback()
            words = (
                refusal_words(call.lang, refused.where, refused.problem)
                if isinstance(refused, ConfigRefused)
                else call.say(refused)
            )
            return call.render(
                "office/config_edit.html",
                status=409,
                kind=kind,
                title=TITLES[kind],
                current=current,
                text=text,
                refusal=words,
                history=await config_edits.history(call.session, kind),
            )
        await apply(data)
        return call.message(
            call.t(SAVED, version=row.version), status=200, back=f"/office/config/{kind}"
        )

    async def old(call: OfficeCall) -> Response:
        kind = _kind(call)
        row = await config_edits.version_text(
            call.session, kind, call.request.path_params["row_id"]
        )
        return call.render("office/config_old.html", kind=kind, title=TITLES[kind], row=row)

    return [
        Route("/office/config", office_page(pages, overview), methods=["GET"]),
        Route("/office/config/{kind}", office_page(pages, edit), methods=["GET"]),
        Route("/office/config/{kind}", office_page(pages, save, post=True), methods=["POST"]),
        Route("/office/config/{kind}/{row_id:int}", office_page(pages, old), methods=["GET"]),
    ]
