"""QR posters: A4 at 150 dpi, the enterprise's deep link, the small-enterprise warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bot.posters import concern_link, render_invite_card, render_poster, vietnamese_poster_text


def test_concern_link_is_the_enterprise_deep_link() -> None:
    assert concern_link("congdoan_bot", "DN-QC-01") == "https://t.me/congdoan_bot?start=c_DN-QC-01"


def test_small_enterprises_get_the_weaker_anonymity_warning() -> None:
    small = vietnamese_poster_text("Công ty A", "DN-1", "bot", small=True)
    large = vietnamese_poster_text("Công ty A", "DN-1", "bot", small=False)
    assert "ít người lao động" in small.anonymity and "ít người lao động" not in large.anonymity
    assert "Công đoàn không biết bạn là ai" in large.anonymity
    assert "DN-1" in large.fallback and "@bot" in large.fallback


def test_the_poster_names_the_workers_command() -> None:
    text = vietnamese_poster_text("Công ty A", "DN-1", "bot", small=False)
    assert "/tamtu" in text.fallback and "/start" not in text.fallback


def test_posters_and_invites_are_not_committed() -> None:
    ignored = (Path(__file__).resolve().parents[2] / ".gitignore").read_text().splitlines()
    assert "/posters/" in ignored and "/invites/" in ignored


def test_an_invite_card_has_the_qr_code_and_its_caption(tmp_path: Path) -> None:
    lines = ["Mã mời: ABCD-EFGH", "Cấp quyền: Cán bộ CĐCS A", "Hiệu lực đến: 04/12/2026"]
    path = render_invite_card("https://t.me/bot?start=ABCDEFGH", lines, tmp_path / "i.png")
    with Image.open(path) as image:
        assert image.info["Description"] == "\n".join(lines)
        assert image.height > image.width
        assert image.convert("L").crop((0, 0, image.width, image.width)).getextrema() == (0, 255)


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


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("DN-01", "DN-01.png"),
        ("../..", "poster.png"),
        ("/etc/x", "etc_x.png"),
        ("a/../b", "a____b.png"),
    ],
)
def test_a_poster_file_stays_in_its_folder_whatever_the_code(code: str, name: str) -> None:
    from bot.admin.concerns import _file_name

    assert _file_name(code) == name and "/" not in _file_name(code)
