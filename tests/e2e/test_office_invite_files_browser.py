"""The printable invite sheet as files (issue 16: "print a sheet of captioned QR invites (PDF or
PNG pages)"), in a real Chromium: a batch of seven invites, then the PDF (two A4 pages) and each
page as PNG (six cards, then one) downloaded from the sheet itself; the server keeps nothing of
the batch (the sheet posts its codes back), prints only invites that still work, and refuses a
POST without the CSRF token."""

from __future__ import annotations

import asyncio
import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.async_api import expect
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Invite, Role
from testkit.chat import Clock
from testkit.office_pages import SHOTS, shot, sign_in
from testkit.org import make_person, make_tree

pytestmark = pytest.mark.browser


def pdf_pages(content: bytes) -> int:
    """Pages of a PDF by its page tree (Pillow writes PDFs but does not read them)."""
    assert content.startswith(b"%PDF-")
    counts = [int(found) for found in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", content)]
    counts += [
        int(found) for found in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", content)
    ]
    assert counts, "no page tree"
    return max(counts)


async def download(page: Any, button: str) -> tuple[str, bytes]:
    async with page.expect_download() as info:
        await page.click(button)
    got = await info.value
    path = await got.path()
    return got.suggested_filename, await asyncio.to_thread(Path(path).read_bytes)


async def test_the_sheet_downloads_as_a_pdf_and_png_pages(
    browser: Any, pages_url: str, session: AsyncSession, clock: Clock
) -> None:
    await make_tree(session)
    admin = await make_person(session, 7770001, "Phạm Thu Hà", role=Role.ADMIN)
    page = await browser.new_page()
    await sign_in(page, pages_url, session, admin, clock)
    await page.goto(pages_url + "/office/invites/new?role=admin")
    await page.fill("#count", "7")
    await page.click("button:has-text('Tạo mã mời')")
    await expect(page.locator(".invite-card")).to_have_count(7)
    codes = [code.strip() for code in await page.locator(".invite-card .code").all_inner_texts()]
    buttons = page.locator(".sheet-files button")
    await expect(buttons).to_have_text(["Tải PDF", "Trang 1 (PNG)", "Trang 2 (PNG)"])
    await shot(page, "office-invite-sheet-files-phone")  # no sideways scrolling at 360 px

    name, content = await download(page, ".sheet-files button[value=pdf]")
    assert name == "phieu-moi.pdf"
    assert pdf_pages(content) == 2
    assert b"/MediaBox [ 0 0 595.2 841.92 ]" in content or b"595.2" in content  # A4

    name, first = await download(page, ".sheet-files button[value=png-1]")
    assert name == "phieu-moi-trang-1.png"
    with Image.open(io.BytesIO(first)) as image:
        assert image.format == "PNG" and image.size == (1240, 1754)  # A4 at 150 dpi
        described = image.info["Description"]
    assert [line for line in described.splitlines() if line.startswith("Mã mời:")] == [
        f"Mã mời: {code}" for code in codes[:6]
    ]
    assert "Cấp quyền: Quản trị viên" in described
    _, second = await download(page, ".sheet-files button[value=png-2]")
    with Image.open(io.BytesIO(second)) as image:
        assert image.info["Description"].count("Mã mời:") == 1
    if os.environ.get("REFRESH_SCREENSHOTS") == "1":  # the README's picture of a page
        with Image.open(io.BytesIO(first)) as image:
            image.convert("RGB").resize((620, 877)).save(SHOTS / "office-invite-sheet-page.png")

    # A used invite is no longer printed; the rest are.
    used = await session.scalar(select(Invite).order_by(Invite.id).limit(1))
    assert used is not None
    await session.execute(update(Invite).where(Invite.id == used.id).values(used_at=clock.now))
    await session.commit()
    _, again = await download(page, ".sheet-files button[value=png-1]")
    with Image.open(io.BytesIO(again)) as image:
        assert codes[0] not in image.info["Description"]
        assert image.info["Description"].count("Mã mời:") == 6  # the seventh moved up

    # The same form without its CSRF token: refused, no file.
    answer = await page.request.post(
        pages_url + "/office/invites/sheet", form={"codes": " ".join(codes), "as": "pdf"}
    )
    assert answer.status == 403
    assert not answer.headers["content-type"].startswith("application/pdf")
