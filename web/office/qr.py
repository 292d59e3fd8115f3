"""QR codes for the printable invite sheet, drawn on this server (no outside service): PNG as a
data: URI (the pages' Content-Security-Policy allows data: images). Drawn off the event loop:
a sheet of a few hundred codes is a noticeable amount of work."""

from __future__ import annotations

import asyncio
import base64
import io

import qrcode


def qr_data_uri(text: str) -> str:
    image = qrcode.make(text, box_size=4, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


async def qr_images(texts: list[str]) -> list[str]:
    return await asyncio.to_thread(lambda: [qr_data_uri(text) for text in texts])
