"""The printable invite sheet as files: A4 pages (150 dpi) of the CLI's captioned QR cards
(infra/invite_card.py), six to a page in two columns, each in a thin cutting frame, the page's
number at its foot. One PDF of every page (Pillow's PDF writer, black and white) or one page as
PNG. CPU work: the console renders it off the event loop (infra/rendering.py)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from infra.invite_card import INK, card_image, font

DPI: Final = 150
PAGE: Final = (1240, 1754)  # A4 at 150 dpi
MARGIN: Final = 60
COLUMNS: Final = 2
ROWS: Final = 3
PER_PAGE: Final = COLUMNS * ROWS
CARD: Final = 400  # the QR code's side: 6.8 cm, read by any phone camera
CUT: Final = (200, 200, 200)


@dataclass(frozen=True)
class SheetCard:
    link: str  # what the QR code opens
    caption: list[str]  # the CLI's lines: the code, what it grants, until when


def page_count(cards: int) -> int:
    return max(1, -(-cards // PER_PAGE))


def pages(
    cards: Sequence[SheetCard], footer: str = "{page}/{pages}", *, only: int | None = None
) -> list[Image.Image]:
    """Every page (or page ``only``, from 1), cards in reading order; ``footer`` with {page}
    and {pages}."""
    total = page_count(len(cards))
    numbers = range(total) if only is None else [only - 1]
    return [_page(cards, number, total, footer) for number in numbers]


def _page(cards: Sequence[SheetCard], number: int, total: int, footer: str) -> Image.Image:
    cell_w = (PAGE[0] - 2 * MARGIN) // COLUMNS
    cell_h = (PAGE[1] - 2 * MARGIN - 40) // ROWS
    page = Image.new("RGB", PAGE, "white")
    draw = ImageDraw.Draw(page)
    for slot, card in enumerate(cards[number * PER_PAGE : (number + 1) * PER_PAGE]):
        left = MARGIN + (slot % COLUMNS) * cell_w
        top = MARGIN + (slot // COLUMNS) * cell_h
        draw.rectangle((left, top, left + cell_w - 1, top + cell_h - 1), outline=CUT)
        image = card_image(card.link, card.caption, width=CARD, text_size=19)
        if image.height > cell_h - 8:  # a very long caption: shrink the card to fit
            scale = (cell_h - 8) / image.height
            image = image.resize(
                (int(image.width * scale), int(image.height * scale)), Image.Resampling.NEAREST
            )
        page.paste(image, (left + (cell_w - image.width) // 2, top + (cell_h - image.height) // 2))
    small = font(18)
    text = footer.format(page=number + 1, pages=total)
    draw.text(
        ((PAGE[0] - draw.textlength(text, font=small)) / 2, PAGE[1] - MARGIN),
        text,
        font=small,
        fill=INK,
    )
    return page


def pdf(cards: Sequence[SheetCard], footer: str = "{page}/{pages}") -> bytes:
    """Every page in one PDF, A4 at 150 dpi, in black and white: about 20 KB a page instead of
    240 KB in colour (Pillow stores colour pages as JPEG), and the QR modules stay crisp."""
    first, *rest = [_black_and_white(page) for page in pages(cards, footer)]
    buffer = io.BytesIO()
    first.save(buffer, format="PDF", save_all=True, append_images=rest, resolution=DPI)
    return buffer.getvalue()


def _black_and_white(page: Image.Image) -> Image.Image:
    # A threshold, not dithering: letters' soft edges would otherwise become speckles.
    return page.convert("L").point(lambda value: 255 if value > 200 else 0, mode="1")


def png(cards: Sequence[SheetCard], number: int, footer: str = "{page}/{pages}") -> bytes:
    """Page ``number`` (from 1) as a PNG, marked 150 dpi so that it prints at A4; its cards'
    captions are its Description, as on the CLI's cards."""
    (chosen,) = pages(cards, footer, only=number)
    info = PngInfo()
    on_page = cards[(number - 1) * PER_PAGE : number * PER_PAGE]
    info.add_itxt("Description", "\n\n".join("\n".join(card.caption) for card in on_page))
    buffer = io.BytesIO()
    chosen.save(buffer, format="PNG", dpi=(DPI, DPI), optimize=True, pnginfo=info)
    return buffer.getvalue()
