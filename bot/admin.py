"""Admin CLI for the standing office: `python -m bot.admin --help` (or `python3 run.py admin`).

Longer than 600 lines on purpose: one argparse parser and one short function per sub-command,
each calling a service; read top to bottom it is the office's whole shell interface. The rules
are in services/, so a sub-command is never more than parsing, one call and printing.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from grassroots_config import DEFAULT_CONFIG_DIR

from bot.app import load_concern_setup, load_reporting_setup
from bot.posters import concern_link, render_invite_card, render_poster, vietnamese_poster_text
from handlers.documents.render import render_report
from handlers.reports import unlock_notice
from infra.i18n import day, plural, tr
from infra.rendering import off_the_loop
from infra.settings import CONSOLE_BOT_USERNAME, Settings, SettingsError, load_settings
from models import NodeKind, Role, UnitKind, utcnow
from models.db import UnitOfWork, create_engine, make_uow
from models.migrate import current_revision, head_revision, upgrade
from services import (
    access,
    anonymity,
    concerns,
    demo,
    documents,
    invites,
    office,
    org_queries,
    reporting,
)
from services.errors import N_, DomainError
from services.org_import import OrgImportError, import_org_tree
from services.periods import Period
from services.targets import load_targets

ROLE_NAMES = {
    Role.OFFICER: N_("Officer"),
    Role.COMMITTEE: N_("Steering committee member"),
    Role.ADMIN: N_("Administrator"),
}
NODE_KIND_NAMES = {
    NodeKind.PROVINCE: N_("Province"),
    NodeKind.INDUSTRIAL_ZONE: N_("Industrial zone"),
    NodeKind.ECONOMIC_ZONE: N_("Economic zone"),
    NodeKind.COMMUNE: N_("Commune or ward"),
    NodeKind.ENTERPRISE: N_("Enterprise"),
}
UNIT_KIND_NAMES = {
    UnitKind.TRADE_UNION: N_("Grassroots trade union"),
    UnitKind.PARTY_CELL: N_("Party cell"),
    UnitKind.YOUTH_UNION: N_("Youth union branch"),
    UnitKind.WOMENS_UNION: N_("Women's union branch"),
    UnitKind.ZONE_UNION: N_("Zone trade union"),
}
NO_BOT_NAME = N_(
    "BOT_USERNAME is not set: links and QR codes need the bot's @username. Add it to .env "
    "(for example BOT_USERNAME=congdoan_bacninh_bot) and run the command again."
)


def _file_name(code: str) -> str:
    """A poster's file name from an enterprise code that stays inside --out whatever the code
    holds (codes are checked at import since issue #13; older rows may not be)."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", code).strip("_")[:64]
    return f"{name or 'poster'}.png"


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except Exception:  # no login name in some containers
        return "cli"


def bot_name(settings: Settings) -> str | None:
    """The @username links and QR codes name: BOT_USERNAME; in console mode (no token) the
    console's own bot; None when a real bot runs without BOT_USERNAME, since a link to a
    placeholder printed on a poster can never be fixed."""
    if settings.bot_username:
        return settings.bot_username
    return None if settings.channels else CONSOLE_BOT_USERNAME


def deep_link(username: str, code: str) -> str:
    return f"https://t.me/{username}?start={code}"


async def cmd_import(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    async with uow() as session:
        try:
            result = await import_org_tree(
                session,
                Path(args.file),
                actor=_actor(),
                created_month=Period.of(utcnow().astimezone(settings.zone).date()),
            )
        except OrgImportError as failed:
            print(tr(lang, "Nothing was imported; fix these rows and run again:"), file=sys.stderr)
            for error in failed.errors:
                print(
                    tr(
                        lang,
                        "  line {line}: {problem}",
                        line=error.line,
                        problem=tr(lang, error.message, **error.params),
                    ),
                    file=sys.stderr,
                )
            return 1
    print(
        tr(
            lang,
            "Imported: {nc} nodes created, {nu} updated; {uc} units created, {uu} updated.",
            nc=result.nodes_created,
            nu=result.nodes_updated,
            uc=result.units_created,
            uu=result.units_updated,
        )
    )
    return 0


async def cmd_invite(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    username = bot_name(settings)
    if username is None and not args.no_link:
        print(tr(lang, NO_BOT_NAME), file=sys.stderr)
        return 1
    async with uow() as session:
        try:
            created = await invites.create_invite(
                session,
                settings.secret,
                role=Role(args.role),
                actor=_actor(),
                valid_days=args.days or settings.invite_valid_days,
                unit_code=args.unit,
                node_code=args.node,
            )
        except invites.InviteScopeError as error:
            print(tr(lang, error.message), file=sys.stderr)
            return 1
        except DomainError:
            print(
                tr(lang, "No such unit or node: {code}", code=args.unit or args.node),
                file=sys.stderr,
            )
            return 1
    caption = [
        tr(lang, "Invite code: {code}", code=invites.display_code(created.code)),
        tr(
            lang,
            "Grants: {role} {scope}",
            role=tr(lang, ROLE_NAMES[created.role]),
            scope=created.scope_name or "",
        ).rstrip(),
        tr(
            lang,
            "Valid until: {date}",
            date=day(created.expires_at.astimezone(settings.zone).date(), lang),
        ),
    ]
    for line in caption:
        print(line)
    if args.no_link or username is None:
        return 0
    link = deep_link(username, created.code)
    qr_path = Path(args.qr) if args.qr else Path("invites") / f"{created.code}.png"
    render_invite_card(link, caption, qr_path)
    print(tr(lang, "Link: {link}", link=link))
    print(tr(lang, "QR code: {path}", path=qr_path))
    return 0


async def cmd_unlock(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    try:
        period = Period.from_key(args.period)
    except ValueError:
        print(tr(lang, "The period must look like 2026-10."), file=sys.stderr)
        return 1
    until = utcnow() + timedelta(days=args.days)
    async with uow() as session:
        try:
            unlocked = await reporting.unlock(
                session, unit_code=args.unit, period=period, until=until, actor=_actor()
            )
        except DomainError:
            print(tr(lang, "No such unit or node: {code}", code=args.unit), file=sys.stderr)
            return 1
        told = await _tell_officers_of_unlock(session, settings, unlocked)
    print(
        tr(
            lang,
            "Reopened {period} for {unit} until {date}.",
            period=period.label(lang),
            unit=args.unit,
            date=day(until.astimezone(settings.zone).date(), lang),
        )
    )
    print(tr(lang, "Officers of the unit told: {count}.", count=told))
    return 0


# One message for the CLI and the office console (handlers/reports/unlock_notice.py).
_tell_officers_of_unlock = unlock_notice.tell_officers_of_unlock


async def cmd_posters(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    """One A4 PNG per enterprise: the QR of /start c_<code> and what anonymity means."""
    lang = settings.default_language
    bot = bot_name(settings)
    if bot is None:
        print(tr(lang, NO_BOT_NAME), file=sys.stderr)
        return 1
    config = load_concern_setup(settings).config
    async with uow() as session:
        try:
            rows = await org_queries.list_enterprises(session, under=args.under)
        except DomainError:
            print(tr(lang, "No such unit or node: {code}", code=args.under), file=sys.stderr)
            return 1
    if args.enterprise:
        rows = [r for r in rows if r.code == args.enterprise]
        if not rows:
            print(tr(lang, "No such unit or node: {code}", code=args.enterprise), file=sys.stderr)
            return 1
    folder = Path(args.out)
    for row in rows:
        small = row.worker_count is None or row.worker_count < config.small_enterprise_workers
        text = vietnamese_poster_text(row.name, row.code, bot, small)
        path = render_poster(text, concern_link(bot, row.code), folder / _file_name(row.code))
        print(f"{row.code}  {path}")
    print(
        plural(
            lang,
            len(rows),
            N_("{n} poster written to {folder}"),
            N_("{n} posters written to {folder}"),
            n=len(rows),
            folder=folder,
        )
    )
    return 0


async def cmd_rotate_concern_keys(
    args: argparse.Namespace, settings: Settings, uow: UnitOfWork
) -> int:
    keys = load_concern_setup(settings).keys
    async with uow() as session:
        rotation = await concerns.rotate_text_keys(session, keys)
    lang = settings.default_language
    changed = rotation.reencrypted
    print(
        plural(
            lang,
            changed,
            N_("{n} text re-encrypted with the current key."),
            N_("{n} texts re-encrypted with the current key."),
            n=changed,
        )
    )
    if not rotation.unreadable:
        return 0
    # Not an error of this command: rows someone moved or altered in the database, or texts
    # whose key is gone. Keep the old keys until these are explained.
    bad = len(rotation.unreadable)
    print(
        plural(
            lang,
            bad,
            N_(
                "{n} text cannot be read with any configured key where it is stored (moved or "
                "altered in the database, or its key was removed); keep the old keys until "
                "you know why:"
            ),
            N_(
                "{n} texts cannot be read with any configured key where they are stored (moved "
                "or altered in the database, or their key was removed); keep the old keys until "
                "you know why:"
            ),
            n=bad,
        ),
        file=sys.stderr,
    )
    for row in rotation.unreadable:
        print(f"  {row}", file=sys.stderr)
    return 1


async def cmd_reseal_concern_push(
    args: argparse.Namespace, settings: Settings, uow: UnitOfWork
) -> int:
    lang = settings.default_language
    # The old key comes from the environment, not the command line, to stay out of shell history.
    old = os.environ.get(args.old_key_env)
    if not old:
        print(
            tr(
                lang, "Set {name} to the old CONCERN_PUSH_PRIVATE_KEY first.", name=args.old_key_env
            ),
            file=sys.stderr,
        )
        return 1
    keys = load_concern_setup(settings).keys
    async with uow() as session:
        changed = await concerns.reseal_push_targets(
            session, keys, anonymity.decode_push_private_key(old)
        )
    print(
        plural(
            lang,
            changed,
            N_("{n} push target sealed to the new key."),
            N_("{n} push targets sealed to the new key."),
            n=changed,
        )
    )
    return 0


def _kind_name(names: dict[Any, str], kind: Any, lang: str) -> str:
    return tr(lang, names[kind]) if kind in names else str(kind.value)


async def cmd_list_units(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    async with uow() as session:
        try:
            rows = await org_queries.list_units(session, under=args.under)
        except DomainError:
            print(tr(lang, "No such unit or node: {code}", code=args.under), file=sys.stderr)
            return 1
    print(
        f"{tr(lang, 'Code'):<16} {tr(lang, 'Kind'):<24} {tr(lang, 'Name')}  —  {tr(lang, 'Place')}"
    )
    for row in rows:
        kind = _kind_name(UNIT_KIND_NAMES, row.kind, lang)
        print(f"{row.code:<16} {kind:<24} {row.name}  —  {row.place}")
    print(plural(lang, len(rows), N_("{n} unit"), N_("{n} units"), n=len(rows)))
    return 0


async def cmd_list_nodes(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    async with uow() as session:
        try:
            rows = await org_queries.list_nodes(session, under=args.under)
        except DomainError:
            print(tr(lang, "No such unit or node: {code}", code=args.under), file=sys.stderr)
            return 1
    print(
        f"{tr(lang, 'Code'):<16} {tr(lang, 'Kind'):<18} {tr(lang, 'Workers'):>9}  "
        f"{tr(lang, 'Name')}"
    )
    for row in rows:
        kind = _kind_name(NODE_KIND_NAMES, row.kind, lang)
        workers = "" if row.worker_count is None else f"{row.worker_count:,}".replace(",", ".")
        indent = "  " * row.depth  # the tree's shape, without a second column to read
        print(f"{row.code:<16} {kind:<18} {workers:>9}  {indent}{row.name}")
    print(plural(lang, len(rows), N_("{n} node"), N_("{n} nodes"), n=len(rows)))
    return 0


async def cmd_list_people(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    async with uow() as session:
        people = await access.list_people(session)
    print(
        f"{tr(lang, 'ID'):>5}  {tr(lang, 'Full name'):<28} {tr(lang, 'Apps'):<16} "
        f"{tr(lang, 'Roles')}"
    )
    for person in people:
        roles = (
            "; ".join(
                f"{tr(lang, ROLE_NAMES[r.role])}: {r.scope_code}"
                if r.scope_code
                else tr(lang, ROLE_NAMES[r.role])
                for r in person.roles
            )
            or "—"
        )
        state = f"  ({tr(lang, 'revoked')})" if person.revoked else ""
        print(
            f"{person.person_id:>5}  {person.display_name:<28} {', '.join(person.channels):<16} "
            f"{roles}{state}"
        )
    print(plural(lang, len(people), N_("{n} person"), N_("{n} people"), n=len(people)))
    return 0


async def cmd_revoke(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    async with uow() as session:
        try:
            viewer = await access.revoke_person(session, args.person_id, actor=_actor())
        except DomainError:
            print(tr(lang, "No person with id {id}.", id=args.person_id), file=sys.stderr)
            return 1
    print(tr(lang, "Revoked: {name}", name=viewer.display_name))
    return 0


async def cmd_login_link(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    """A one-time link into the office console for an administrator (by id or name)."""
    lang = settings.default_language
    minutes = args.minutes or settings.web_link_minutes
    async with uow() as session:
        try:
            person_id = await office.find_admin(session, args.person)
            link = await office.issue_office_link(
                session,
                person_id,
                now=utcnow(),
                valid=timedelta(minutes=minutes),
                actor=_actor(),
            )
        except DomainError as refusal:
            print(tr(lang, refusal.message, **refusal.params), file=sys.stderr)
            return 1
    print(
        tr(
            lang,
            "Office console link for {name} (works once, for {minutes} minutes):",
            name=link.display_name,
            minutes=minutes,
        )
    )
    base = settings.pages_base_url or (
        f"http://127.0.0.1:{settings.web_port}" if settings.web_port else None
    )
    if base is None:
        print(link.path)
        print(
            tr(
                lang,
                "Put the address of the web pages in front (PUBLIC_BASE_URL is not set; in "
                "console mode it is the address the console printed at start).",
            )
        )
    else:
        print(f"{base}{link.path}")
    return 0


async def cmd_seed_demo(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    lang = settings.default_language
    async with uow() as session:
        if not await demo.is_empty(session):
            print(
                tr(lang, "The database is not empty; the demo province was not added."),
                file=sys.stderr,
            )
            return 1
        seeded = await demo.seed(session, settings.secret, load_reporting_setup(settings), utcnow())
    for code, role, scope in seeded.invites:
        print(f"{code}  →  {tr(lang, ROLE_NAMES[role])}: {scope}")
    return 0


async def cmd_report(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    """The quarterly or yearly report as a Word document (and a PDF when LibreOffice is
    installed), from the same figures as the digest."""
    lang = settings.default_language
    try:
        period = documents.document_period(args.period)
        template = documents.template_path(args.template)
        async with uow() as session:
            node_id = await documents.node_id_of(session, args.node)
            setup = load_reporting_setup(settings)
            digest = await documents.report_digest(
                session,
                node_id=node_id,
                period=period,
                setup=setup,
                targets=load_targets(
                    (settings.config_dir or DEFAULT_CONFIG_DIR) / "targets.yaml", setup.indicators
                ),
                concern_config=load_concern_setup(settings).config,
                today=utcnow().astimezone(settings.zone).date(),
            )
            root = await documents.root_name(session, node_id)
        rendered = await off_the_loop(render_report, digest, root, template, Path(args.out))
    except DomainError as refused:
        print(tr(lang, refused.message, **refused.params), file=sys.stderr)
        return 1
    print(tr(lang, "Report written: {path}", path=rendered.docx))
    if rendered.pdf is not None:
        print(tr(lang, "PDF written: {path}", path=rendered.pdf))
    else:
        print(tr(lang, "No PDF: LibreOffice (soffice) is not installed or could not convert."))
    return 0


async def cmd_health(args: argparse.Namespace, settings: Settings, uow: UnitOfWork) -> int:
    engine = create_engine(settings.database_url)
    try:
        current = await current_revision(engine)
    except Exception as error:  # any failure to reach the database is "unhealthy"
        print(f"unhealthy: database unreachable ({type(error).__name__})", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    if current != head_revision():
        print(f"unhealthy: schema at {current}, code expects {head_revision()}", file=sys.stderr)
        return 1
    print("ok")
    return 0


def backup_or_restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.backup import BackupError, backup, restore

    try:
        if args.command == "backup":
            backup(settings.database_url, Path(args.out))
            print(f"backup written: {args.out}")
            return 0
        restore(settings.database_url, Path(args.file))
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    upgrade(settings.database_url)  # a backup from older code: bring it to this schema
    print(f"restored from {args.file}; schema current")
    return 0


Command = Callable[[argparse.Namespace, Settings, UnitOfWork], Awaitable[int]]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot.admin", description="Quản trị bot / bot admin")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="nâng cấp cơ sở dữ liệu / migrate the database")
    imp = sub.add_parser("import-org", help="nhập cây tổ chức từ CSV/XLSX / import the org tree")
    imp.add_argument("file")
    inv = sub.add_parser("invite", help="tạo mã mời / create an invite")
    inv.add_argument("--role", required=True, choices=[r.value for r in Role])
    inv.add_argument("--unit", help="mã đơn vị báo cáo (cán bộ) / reporting unit code (officer)")
    inv.add_argument("--node", help="mã cấp tổ chức (Ban Chỉ đạo) / org node code (committee)")
    inv.add_argument("--days", type=int, help="số ngày hiệu lực / days valid")
    inv.add_argument("--qr", help="đường dẫn file PNG mã QR / QR PNG path")
    inv.add_argument(
        "--no-link",
        action="store_true",
        help="chỉ in mã, không có đường dẫn và mã QR (bot chỉ chạy Zalo) / code only",
    )
    units = sub.add_parser("list-units", help="liệt kê đơn vị / list units")
    units.add_argument("--under", help="chỉ trong cấp này (mã) / only under this node code")
    nodes = sub.add_parser("list-nodes", help="liệt kê cây tổ chức / list the org tree")
    nodes.add_argument("--under", help="chỉ trong cấp này (mã) / only under this node code")
    sub.add_parser("list-people", help="liệt kê người dùng / list people")
    unl = sub.add_parser("unlock", help="mở lại kỳ báo cáo đã khóa / reopen a locked period")
    unl.add_argument("--unit", required=True, help="mã đơn vị / unit code")
    unl.add_argument("--period", required=True, help="tháng, ví dụ 2026-10 / month")
    unl.add_argument("--days", type=int, default=7, help="mở trong bao nhiêu ngày / days open")
    rev = sub.add_parser("revoke", help="thu hồi quyền một người / revoke a person")
    rev.add_argument("person_id", type=int)
    login = sub.add_parser(
        "login-link", help="liên kết một lần vào trang quản trị / one-time office console link"
    )
    login.add_argument(
        "--person", required=True, help="id hoặc tên quản trị viên / administrator id or name"
    )
    login.add_argument("--minutes", type=int, help="số phút hiệu lực / minutes valid")
    sub.add_parser("seed-demo", help="tạo tỉnh mẫu vào CSDL trống / seed the demo province")
    post = sub.add_parser("posters", help="áp phích QR gửi tâm tư / QR posters for concerns")
    post.add_argument("--enterprise", help="chỉ một doanh nghiệp (mã) / one enterprise")
    post.add_argument("--under", help="các doanh nghiệp thuộc cấp này / enterprises under a node")
    post.add_argument("--out", default="posters", help="thư mục / folder (posters/)")
    sub.add_parser(
        "rotate-concern-keys",
        help="mã hóa lại nội dung bằng khóa mới / re-encrypt with the new key",
    )
    reseal = sub.add_parser(
        "reseal-concern-push", help="niêm phong lại chat id bằng cặp khóa mới / reseal push ids"
    )
    reseal.add_argument(
        "--old-key-env",
        default="OLD_CONCERN_PUSH_PRIVATE_KEY",
        help="biến môi trường chứa khóa cũ / env var with the old private key",
    )
    rep = sub.add_parser(
        "report", help="báo cáo quý, năm (DOCX, PDF) / quarterly or yearly report (Word)"
    )
    rep.add_argument("--period", required=True, help="quý 2026-Q4 hoặc năm 2026 / quarter, year")
    rep.add_argument("--node", required=True, help="mã cấp tổ chức, ví dụ BN / org node code")
    rep.add_argument("--out", required=True, help="tệp .docx / the .docx file")
    rep.add_argument(
        "--template",
        default=documents.DEFAULT_LAYOUT,
        help="party, union hoặc đường dẫn tệp .docx / party, union or a .docx path",
    )
    sub.add_parser("health", help="kiểm tra CSDL và phiên bản / database and schema check")
    back = sub.add_parser("backup", help="sao lưu toàn bộ CSDL / back up the whole database")
    back.add_argument("--out", required=True, help="file sao lưu / backup file")
    rest = sub.add_parser(
        "restore", help="khôi phục CSDL từ bản sao lưu (ghi đè!) / restore (replaces everything)"
    )
    rest.add_argument("file")
    return p


COMMANDS: dict[str, Command] = {
    "import-org": cmd_import,
    "invite": cmd_invite,
    "list-units": cmd_list_units,
    "list-nodes": cmd_list_nodes,
    "posters": cmd_posters,
    "rotate-concern-keys": cmd_rotate_concern_keys,
    "reseal-concern-push": cmd_reseal_concern_push,
    "unlock": cmd_unlock,
    "list-people": cmd_list_people,
    "revoke": cmd_revoke,
    "seed-demo": cmd_seed_demo,
    "login-link": cmd_login_link,
    "health": cmd_health,
    "report": cmd_report,
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    if args.command in ("backup", "restore"):
        return backup_or_restore(args, settings)
    if args.command != "health":
        # Idempotent and quick: every command then works on a fresh database too.
        upgrade(settings.database_url)
    if args.command == "migrate":
        print(tr(settings.default_language, "Database is up to date."))
        return 0

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            return await COMMANDS[args.command](args, settings, make_uow(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
