"""Printable QR posters: one per enterprise, for workers to raise concerns anonymously.

A4 portrait PNG at 150 dpi, in Vietnamese: what the channel is, the QR code of the deep link
``https://t.me/<bot>?start=c_<enterprise code>``, three steps, and what anonymity means here. The
font is DejaVu Sans as shipped with matplotlib, which has every Vietnamese letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

# The invite card is drawn in infra/ (the chat's /moi sends it too); re-exported for the CLI.
from infra.invite_card import INK, render_invite_card
from infra.invite_card import font as _font
from infra.invite_card import wrap as _wrap

WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
MARGIN = 90
ACCENT = (176, 24, 35)


@dataclass(frozen=True)
class PosterText:
    title: str
    enterprise: str
    steps: list[str]
    anonymity: str
    fallback: str


def concern_link(bot_username: str, enterprise_code: str) -> str:
    return f"https://t.me/{bot_username}?start=c_{enterprise_code}"


def vietnamese_poster_text(
    enterprise_name: str, enterprise_code: str, bot_username: str, small: bool
) -> PosterText:
    anonymity = (
        "Công đoàn không biết bạn là ai: bot không lưu tên, số điện thoại hay tài khoản của "
        "bạn, chỉ lưu nội dung bạn gửi và ngày gửi."
    )
    if small:
        anonymity += (
            " Doanh nghiệp ít người lao động: hãy tránh những chi tiết có thể "
            "khiến người khác đoán ra bạn."
        )
    return PosterText(
        title="Gửi tâm tư, nguyện vọng tới Công đoàn — không cần nêu tên",
        enterprise=enterprise_name,
        steps=[
            "1. Mở Telegram trên điện thoại, quét mã QR này.",
            "2. Chọn loại vấn đề (tiền lương, tăng ca, an toàn, bảo hiểm…) và viết nội dung.",
            "3. Giữ mã biên nhận 12 chữ số. Gõ /kiemtra và mã đó để xem Công đoàn trả lời.",
        ],
        anonymity=anonymity,
        # /tamtu is the worker's own command; /start would greet them as a new registrant.
        fallback=f"Không quét được? Nhắn cho @{bot_username}, gõ /tamtu rồi nhập mã doanh "
        f"nghiệp: {enterprise_code}",
    )


def _paragraph(
    draw: ImageDraw.ImageDraw,
    y: int,
    text: str,
    font: ImageFont.FreeTypeFont,
    fill: tuple[int, int, int],
    *,
    center: bool = False,
    gap: int = 10,
) -> int:
    width = WIDTH - 2 * MARGIN
    for line in _wrap(draw, text, font, width):
        x = (WIDTH - draw.textlength(line, font=font)) / 2 if center else MARGIN
        draw.text((x, y), line, font=font, fill=fill)
        y += int(font.size * 1.25) + gap // 2
    return y + gap


def render_poster(text: PosterText, link: str, path: Path) -> Path:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 24), fill=ACCENT)
    y = 80
    y = _paragraph(draw, y, text.title, _font(54, bold=True), INK, center=True, gap=24)
    y = _paragraph(draw, y, text.enterprise, _font(40), ACCENT, center=True, gap=30)

    qr = qrcode.QRCode(border=2, box_size=14, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(link)
    qr.make(fit=True)
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    side = min(640, WIDTH - 2 * MARGIN)
    code = code.resize((side, side), Image.Resampling.NEAREST)
    image.paste(code, ((WIDTH - side) // 2, y))
    y += side + 40

    for step in text.steps:
        y = _paragraph(draw, y, step, _font(32), INK, gap=8)
    top = y + 16
    bottom = _paragraph(draw, top + 14, text.anonymity, _font(30, bold=True), INK, gap=4)
    draw.rectangle((MARGIN - 20, top, WIDTH - MARGIN + 20, bottom + 6), outline=ACCENT, width=4)
    _paragraph(draw, HEIGHT - 150, text.fallback, _font(26), INK, center=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, dpi=(150, 150))
    return path


__all__ = [
    "INK",
    "PosterText",
    "concern_link",
    "render_invite_card",
    "render_poster",
    "vietnamese_poster_text",
]
