from __future__ import annotations

from infra.message_split import split_text


def test_short_text_is_one_part() -> None:
    assert split_text("xin chào") == ["xin chào"]


def test_long_text_splits_at_paragraphs_then_lines_and_keeps_everything() -> None:
    paragraphs = [f"đoạn {n} " * 60 for n in range(12)]
    text = "\n\n".join(paragraphs)
    parts = split_text(text, limit=1000)
    assert all(len(p) <= 1000 for p in parts) and len(parts) > 1
    assert "".join(parts).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


def test_a_word_longer_than_the_limit_is_cut() -> None:
    parts = split_text("a" * 2500, limit=1000)
    assert [len(p) for p in parts] == [1000, 1000, 500]
