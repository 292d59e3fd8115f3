"""An invite's QR card: the QR code of its deep link with what it grants, the code and until
when written below, in Vietnamese (DejaVu Sans as shipped with matplotlib has every letter).
Drawn for the admin CLI (``invite``) and the chat's ``/moi`` alike; CPU work, so the chat runs
it off the event loop."""

from __future__ import annotations

from pathlib import Path

import qrcode
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

INK = (20, 33, 61)


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path = font_manager.findfont(
        font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal"),
        fallback_to_default=False,
    )
    return ImageFont.truetype(path, size)


def wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


CARD_WIDTH = 640


def card_image(
    link: str, caption: list[str], *, width: int = CARD_WIDTH, text_size: int = 26
) -> Image.Image:
    """The card itself: the QR code of ``link``, ``width`` pixels square, the caption below."""
    qr = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(link)
    qr.make(fit=True)
    # Whole pixels per module (no resampling), so every module is the same size for cameras.
    qr.box_size = width // (qr.modules_count + 2 * qr.border)
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    text_font = font(text_size)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    margin = width * 48 // CARD_WIDTH
    lines = [part for line in caption for part in wrap(measure, line, text_font, width - margin)]
    line_height = int(text_font.size * 1.4)
    image = Image.new("RGB", (width, width + margin // 2 + line_height * len(lines)), "white")
    image.paste(code, ((width - code.width) // 2, (width - code.height) // 2))
    draw = ImageDraw.Draw(image)
    y = width
    for line in lines:
        draw.text(
            ((width - draw.textlength(line, font=text_font)) / 2, y),
            line,
            font=text_font,
            fill=INK,
        )
        y += line_height
    return image


def render_invite_card(link: str, caption: list[str], path: Path) -> Path:
    """An invite's QR code with its caption below (what it grants, the code, until when): a PNG
    forwarded on its own, or printed, still says what it is. The caption is also stored as the
    PNG's Description, for whoever files the images."""
    image = card_image(link, caption)
    info = PngInfo()
    info.add_itxt("Description", "\n".join(caption))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, pnginfo=info)
    return path
