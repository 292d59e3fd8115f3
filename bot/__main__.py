"""`python -m bot`: Telegram with BOT_TOKEN; otherwise a console chat on a local demo database."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TextIO

from bot.app import load_reporting_setup, on_start
from handlers.common.menu import ROLE_LABELS
from infra.i18n import tr
from infra.logging_setup import configure
from infra.settings import Settings, SettingsError, load_settings
from models import utcnow
from models.db import UnitOfWork, create_engine, make_uow
from models.migrate import upgrade
from services.config_files import ConfigFileError

log = logging.getLogger("bot")


async def run_console(
    settings: Settings, source: TextIO = sys.stdin, out: TextIO = sys.stdout
) -> None:
    from bot.channels.console import make_console, serve_pages
    from services import demo

    engine = create_engine(settings.database_url)
    uow = make_uow(engine)
    reporting_setup = load_reporting_setup(settings)
    async with uow() as session:
        if await demo.is_empty(session):
            seeded = await demo.seed(session, settings.secret, reporting_setup, utcnow())
            print("• Đã tạo tỉnh mẫu. Mã mời để thử đăng ký (dùng /as new):", file=out)
            lang = settings.default_language
            for code, role, scope in seeded.invites:
                print(f"    {code}  →  {tr(lang, ROLE_LABELS[role], scope=scope)}", file=out)
            print(
                "• Thử gửi tâm tư: /as worker, /tamtu, mã doanh nghiệp "
                f"{seeded.officer_enterprise}; cán bộ mẫu đọc và trả lời sau đợt thông báo: "
                "/as officer, #notices, /hopthu",
                file=out,
            )
    chat = make_console(settings, uow, reporting_setup, out=out)
    async with chat.application:
        await on_start(chat.application)  # post_init only runs under run_polling
        await chat.application.start()
        pages = await serve_pages(chat.application, settings.web_port)
        if pages is None:
            print(
                f"• Không mở được trang web: cổng {settings.web_port} đang bận (đặt WEB_PORT "
                "khác). Trò chuyện vẫn chạy, chỉ không có biểu mẫu trên trình duyệt.",
                file=out,
            )
        else:
            print(f"• {await _demo_form_link(settings, uow, pages.url)}", file=out)
            print(f"• {await _demo_office_link(settings, uow, pages.url)}", file=out)
        try:
            await chat.run(source)
        finally:
            if pages is not None:
                await pages.stop()
            await chat.application.stop()
    await engine.dispose()


async def _demo_form_link(settings: Settings, uow: UnitOfWork, url: str) -> str:
    """A one-time link for the demo officer, to open the report form in a browser at once."""
    from datetime import timedelta

    from services import access, demo, web_auth

    async with uow() as session:
        officer = await access.identify(session, demo.DEMO_CHANNEL, demo.DEMO_PEOPLE[0].external_id)
        if officer is None:  # the demo people were changed by hand: /baocao still offers links
            return f"Trang web chạy tại {url} (gõ /baocao để nhận liên kết mở biểu mẫu)"
        link = await web_auth.issue_link(
            session,
            person_id=officer.person_id,
            target="/report",
            now=utcnow(),
            valid=timedelta(minutes=settings.web_link_minutes),
        )
    return (
        f"Biểu mẫu báo cáo trên trình duyệt (cán bộ mẫu {officer.display_name}; liên kết dùng "
        f"một lần, {settings.web_link_minutes} phút; /baocao gửi liên kết mới): "
        f"{url}/l/{link.token}"
    )


async def _demo_office_link(settings: Settings, uow: UnitOfWork, url: str) -> str:
    """A one-time link for the demo administrator into the office console (/office), so the
    standing office's pages can be tried at once, as the form can."""
    from datetime import timedelta

    from services import access, demo
    from services.office.login import issue_office_link

    admin = next((p for p in demo.DEMO_PEOPLE if p.key == "admin"), None)
    async with uow() as session:
        viewer = (
            await access.identify(session, demo.DEMO_CHANNEL, admin.external_id)
            if admin is not None
            else None
        )
        if viewer is None:  # the demo people were changed by hand: /quantri still offers links
            return (
                f"Bàn làm việc của cơ quan thường trực: {url}/office "
                "(gõ /quantri để nhận liên kết)"
            )
        link = await issue_office_link(
            session,
            viewer.person_id,
            now=utcnow(),
            valid=timedelta(minutes=settings.web_link_minutes),
            actor="console",
        )
    return (
        f"Bàn làm việc của cơ quan thường trực (quản trị viên mẫu {link.display_name}; liên kết "
        f"dùng một lần, {settings.web_link_minutes} phút; /quantri gửi liên kết mới): "
        f"{url}{link.path}"
    )


def run_telegram(settings: Settings) -> int:
    from bot.runtime import serve

    log.info("bot starting: %s", ", ".join(settings.channels))
    return asyncio.run(serve(settings))


def main() -> int:
    try:
        settings = load_settings()
        load_reporting_setup(settings)  # a bad YAML stops the bot here, with one line
    except (SettingsError, ConfigFileError) as error:
        print(error, file=sys.stderr)
        return 2
    configure(
        settings.log_level if settings.channels else "WARNING",
        settings.log_format,
        settings.secret_values(),
    )
    upgrade(settings.database_url)
    if not settings.channels:
        asyncio.run(run_console(settings))
        return 0
    return run_telegram(settings)


if __name__ == "__main__":
    sys.exit(main())
