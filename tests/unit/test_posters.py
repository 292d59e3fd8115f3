"""QR posters: A4 at 150 dpi, the enterprise's deep link, the small-enterprise warning."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from bot.posters import concern_link, render_poster, vietnamese_poster_text


def test_concern_link_is_the_enterprise_deep_link() -> None:
    assert concern_link("congdoan_bot", "DN-QC-01") == "https://t.me/congdoan_bot?start=c_DN-QC-01"


def test_small_enterprises_get_the_weaker_anonymity_warning() -> None:
    small = vietnamese_poster_text("Công ty A", "DN-1", "bot", small=True)
    large = vietnamese_poster_text("Công ty A", "DN-1", "bot", small=False)
    assert "ít người lao động" in small.anonymity and "ít người lao động" not in large.anonymity
    assert "Công đoàn không biết bạn là ai" in large.anonymity
    assert "DN-1" in large.fallback and "@bot" in large.fallback


def test_render_writes_an_a4_png_with_a_qr_code(tmp_path: Path) -> None:
    text = vietnamese_poster_text("Công ty TNHH Giày da Bắc Sơn", "DN-QC-01", "bot", small=True)
    path = render_poster(text, concern_link("bot", "DN-QC-01"), tmp_path / "p" / "poster.png")
    with Image.open(path) as image:
        assert image.size == (1240, 1754)
        assert round(image.info["dpi"][0]) == 150
        # The QR code sits in the middle third: there are both black and white modules there.
        middle = image.convert("L").crop((400, 400, 840, 840))
        extrema = middle.getextrema()
        assert extrema == (0, 255)
