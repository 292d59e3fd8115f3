"""Admin CLI for the standing office: `python -m bot.admin --help` (or `python3 run.py admin`).

One argparse parser and one short function per sub-command, each calling a service; the rules are
in services/, so a sub-command is never more than parsing, one call and printing. Here: the
parser and the dispatch; the commands by what they work on: org.py (the organisation), people.py
(invites and access), reports.py (unlock, the Word reports), concerns.py (posters, key rotation),
database.py (health, backup, restore); common.py what they share.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.admin.common import Command
from bot.admin.concerns import cmd_posters, cmd_reseal_concern_push, cmd_rotate_concern_keys
from bot.admin.database import backup_or_restore, cmd_health
from bot.admin.org import cmd_import, cmd_list_nodes, cmd_list_units, cmd_seed_demo
from bot.admin.people import cmd_invite, cmd_list_people, cmd_login_link, cmd_revoke
from bot.admin.reports import cmd_report, cmd_unlock
from infra.i18n import tr
from infra.settings import SettingsError, load_settings
from models import Role
from models.db import create_engine, make_uow
from models.migrate import upgrade
from services import documents


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
