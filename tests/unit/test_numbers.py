"""Numbers typed the Vietnamese way: dot for thousands, comma for decimals, nothing guessed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from infra.i18n import tr
from services.errors import DomainError
from services.numbers import (
    COUNT_MAX,
    BadGrouping,
    DotDecimal,
    Negative,
    NotANumber,
    NotWhole,
    NotYesNo,
    NumberInputError,
    TooLarge,
    format_number,
    parse_count,
    parse_decimal,
    parse_yes_no,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("  42 ", 42),
        ("1500", 1500),
        ("1.500", 1500),
        ("1 500", 1500),
        ("1\u00a0500", 1500),  # non-breaking space
        ("1\u202f500", 1500),  # narrow non-breaking space (what some keyboards insert)
        ("1\u2009500", 1500),  # thin space
        ("1.500.000", 1_500_000),
        ("1 500 000", 1_500_000),
        ("12.345", 12345),
        ("007", 7),
        ("１５００", 1500),  # full-width digits
        ("\t80\n", 80),
        ("-0", 0),
        ("999.999.999", COUNT_MAX),
    ],
)
def test_counts_as_officers_type_them(text: str, expected: int) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("1,5", NotWhole),
        ("1,0", NotWhole),
        ("1,000", NotWhole),  # "one" in Vietnamese, "a thousand" in English: never guess
        ("1.500,5", NotWhole),
        ("-3", Negative),
        ("\u22123", Negative),  # the Unicode minus sign
        ("- 3", Negative),
        ("1.50", BadGrouping),
        ("1.5", BadGrouping),
        ("12.5", BadGrouping),
        ("1.5000", BadGrouping),
        ("1500.000", BadGrouping),
        ("1.500.00", BadGrouping),
        ("abc", NotANumber),
        ("", NotANumber),
        ("   ", NotANumber),
        ("12a", NotANumber),
        ("1/2", NotANumber),
        ("+5", NotANumber),
        ("5%", NotANumber),
        ("1.500 000", NotANumber),  # two different separators
        ("1 50", NotANumber),
        ("1e3", NotANumber),
        ("٣", NotANumber),  # an Arabic-Indic digit is no Vietnamese figure
        ("9" * 60, NotANumber),
        ("1.000.000.000", TooLarge),
        ("1000000000", TooLarge),
    ],
)
def test_bad_counts_are_refused_with_the_reason(text: str, error: type[DomainError]) -> None:
    with pytest.raises(error) as caught:
        parse_count(text)
    assert type(caught.value) is error
    assert isinstance(caught.value, NumberInputError)


def test_the_refusal_quotes_what_was_typed_and_explains() -> None:
    with pytest.raises(NotWhole) as caught:
        parse_count(" 1,5 ")
    assert caught.value.params == {"text": "1,5"}
    vietnamese = tr("vi", caught.value.message, **caught.value.params)
    assert "1,5" in vietnamese
    assert "số nguyên" in vietnamese


def test_a_pasted_wall_of_text_is_not_echoed_back() -> None:
    with pytest.raises(NotANumber) as caught:
        parse_count("x" * 500)
    assert len(caught.value.params["text"]) <= 20


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,5", Decimal("12.5")),
        ("12", Decimal("12")),
        ("0,75", Decimal("0.75")),
        ("1.200,5", Decimal("1200.5")),
        ("1 200,5", Decimal("1200.5")),
        ("12,5%", Decimal("12.5")),
        ("12,5 %", Decimal("12.5")),
        ("100%", Decimal("100")),
        (" 85 ", Decimal("85")),
        ("1.500", Decimal("1500")),
        ("0", Decimal("0")),
    ],
)
def test_decimals_with_a_comma(text: str, expected: Decimal) -> None:
    assert parse_decimal(text) == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("12.5", DotDecimal),
        ("0.75", DotDecimal),
        ("1234.5", DotDecimal),
        ("-2", Negative),
        ("-12,5%", Negative),
        ("1.2.3", BadGrouping),
        ("1.20,5", BadGrouping),
        ("abc", NotANumber),
        ("", NotANumber),
        ("%", NotANumber),
        ("12,", NotANumber),
        (",5", NotANumber),
        ("12,5,1", NotANumber),
        ("12%%", NotANumber),
    ],
)
def test_bad_decimals(text: str, error: type[DomainError]) -> None:
    with pytest.raises(error) as caught:
        parse_decimal(text)
    assert type(caught.value) is error


def test_a_dot_decimal_gets_the_comma_spelling_as_a_hint() -> None:
    with pytest.raises(DotDecimal) as caught:
        parse_decimal("12.5 %")
    assert caught.value.params["suggestion"] == "12,5"
    assert "12,5" in tr("vi", caught.value.message, **caught.value.params)


@pytest.mark.parametrize(
    "text",
    [
        "có",
        "Có",
        "CÓ",
        "co",
        "c",
        "C",
        "yes",
        "Yes",
        "y",
        "rồi",
        "roi",
        "x",
        "X",
        "1",
        "đúng",
        "Đúng",
        "dung",
        " có. ",
    ],
)
def test_yes(text: str) -> None:
    assert parse_yes_no(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "không",
        "Không",
        "KHÔNG",
        "khong",
        "k",
        "K",
        "ko",
        "no",
        "No",
        "n",
        "chưa",
        "chua",
        "0",
        "sai",
        "Sai!",
    ],
)
def test_no(text: str) -> None:
    assert parse_yes_no(text) is False


@pytest.mark.parametrize("text", ["", "có lẽ", "maybe", "2", "yess", "khôngg", "ok"])
def test_neither_yes_nor_no(text: str) -> None:
    with pytest.raises(NotYesNo):
        parse_yes_no(text)


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (1500, "vi", "1.500"),
        (1500, "en", "1,500"),
        (1_500_000, "vi", "1.500.000"),
        (0, "vi", "0"),
        (Decimal("12.5"), "vi", "12,5"),
        (Decimal("12.5"), "en", "12.5"),
        (Decimal("12.50"), "vi", "12,5"),
        (Decimal("1200.5"), "vi", "1.200,5"),
        (Decimal("33.3333"), "vi", "33,3333"),  # never rounded away
        (Decimal("1500.0000"), "vi", "1.500"),  # as read back from a Numeric(18, 4) column
        (Decimal("1E+3"), "vi", "1.000"),
        (1500, "fr", "1.500"),  # unknown language: Vietnamese
    ],
)
def test_format_number(value: Decimal | int, language: str, expected: str) -> None:
    assert format_number(value, language) == expected


@pytest.mark.parametrize("text", ["1.500", "1.500.000", "42", "0"])
def test_a_formatted_count_reads_back(text: str) -> None:
    assert format_number(parse_count(text), "vi") == text
