"""The office console in a real browser: signing in by link, screenshots, counting rows (shared
by the office browser tests)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services import office
from testkit.chat import Clock

DOCS = Path(__file__).resolve().parents[1] / "docs"  # testkit/ is at the root


SHOTS = DOCS / "screenshots"


DESK = {"width": 1280, "height": 900}


async def office_link(session: AsyncSession, person_id: int, clock: Clock) -> str:
    issued = await office.issue_office_link(
        session, person_id, now=clock.now, valid=timedelta(minutes=30), actor="cli:test"
    )
    return issued.path


async def sign_in(
    page: Any, pages_url: str, session: AsyncSession, admin: int, clock: Clock
) -> None:
    await page.goto(pages_url + await office_link(session, admin, clock))
    await page.wait_for_url("**/office")


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    session.expire_all()
    query = select(func.count()).select_from(model)
    if where:
        query = query.where(*where)
    return int(await session.scalar(query) or 0)


async def shot(page: Any, name: str) -> None:
    """No sideways scrolling on a 360 px phone; REFRESH_SCREENSHOTS=1 writes docs/screenshots/."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{page.url} is {width} px wide on a {viewport} px screen"
    if os.environ.get("REFRESH_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
