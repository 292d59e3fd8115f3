from __future__ import annotations

import pytest

from services.invites import ALPHABET, display_code, generate_code, hash_code, normalize_code


def test_generated_codes_use_the_unambiguous_alphabet() -> None:
    codes = {generate_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("O0I1") & set(ALPHABET)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ABCD-EFGH", "ABCDEFGH"),
        (" abcd efgh ", "ABCDEFGH"),
        ("abcd_efgh", "ABCDEFGH"),
        ("ABCD-EFG", None),
        ("ABCD-EFGH-J", None),
        ("ABCD-EF0H", None),
        ("xin chào", None),
    ],
)
def test_normalize_code(typed: str, expected: str | None) -> None:
    assert normalize_code(typed) == expected


def test_display_code_groups_by_four() -> None:
    assert display_code("ABCDEFGH") == "ABCD-EFGH"


def test_hash_is_keyed() -> None:
    assert hash_code(b"k1", "ABCDEFGH") != hash_code(b"k2", "ABCDEFGH")
    assert hash_code(b"k1", "ABCDEFGH") == hash_code(b"k1", "ABCDEFGH")
    assert "ABCDEFGH" not in hash_code(b"k1", "ABCDEFGH")
