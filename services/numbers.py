"""Numbers as Vietnamese officers type them, and numbers written back the same way.

In Vietnamese the dot groups thousands and the comma starts the decimals: "1.500" is one
thousand five hundred, "1,5" is one and a half. An officer used to English, or a phone keyboard
that offers only one of the two, can easily type the other, and the two readings differ by a
factor of a thousand. So anything ambiguous is refused with a hint rather than guessed: a wrong
figure that looks plausible is worse than one more question.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Final

from babel.numbers import format_decimal

from services.errors import DomainError

# Fits a 32-bit INTEGER column with room to spare, and is far above any figure one unit reports
# in a month; anything larger is a slip of the finger (or a pasted phone number).
COUNT_MAX: Final = 999_999_999
# Longer input is not a figure; refusing early also keeps int() away from its digit limit.
_INPUT_MAX: Final = 40
# Shown back to the user inside an error: enough to recognise, never a wall of pasted text.
_ECHO_MAX: Final = 20

_INTEGER_PART: Final = r"(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+|[0-9]+)"
_COUNT: Final = re.compile(_INTEGER_PART)
_DECIMAL: Final = re.compile(rf"(?P<whole>{_INTEGER_PART})(?:,(?P<fraction>[0-9]+))?")
# Digits and dots (and at most a decimal comma at the end) in a shape _INTEGER_PART rejects.
_MISGROUPED: Final = re.compile(r"[0-9]+(?:\.[0-9]+)+(?:,[0-9]+)?")
# One dot that cannot be a thousands separator: "12.5", "0.75", "1234.5".
_DOT_DECIMAL: Final = re.compile(r"[0-9]+\.[0-9]+")
_MINUS_SIGNS: Final = ("-", "\u2212", "\u2013")  # hyphen, minus sign, en dash (phone keyboards)

_YES: Final = frozenset({"co", "c", "yes", "y", "roi", "x", "1", "dung"})
_NO: Final = frozenset({"khong", "k", "ko", "no", "n", "chua", "0", "sai"})


class NumberInputError(DomainError):
    """Base of every refusal of a typed number, for handlers that treat them alike."""

    message = "Please type a number."


class NotANumber(NumberInputError):
    message = 'Please type a number, for example 1500 or 1.500 ("{text}" is not one).'


class BadGrouping(NotANumber):
    message = (
        '"{text}" is not a valid number: the dot separates thousands, so every group after '
        "a dot needs exactly three digits (1.500, 1.500.000)."
    )


class NotWhole(NumberInputError):
    message = (
        "This figure is a count, a whole number, and in Vietnamese the comma starts the "
        'decimals, so "{text}" is not one. For one thousand five hundred type 1500 or 1.500.'
    )


class Negative(NumberInputError):
    message = '"{text}" is negative: this figure cannot be below zero.'


class TooLarge(NumberInputError):
    message = '"{text}" is too large for a monthly figure. Please check it.'


class DotDecimal(NumberInputError):
    message = (
        '"{text}" is ambiguous: in Vietnamese the dot separates thousands. '
        "Write decimals with a comma: {suggestion}"
    )


class NotYesNo(DomainError):
    message = 'Please answer yes or no ("{text}" is neither).'


def _echo(text: str) -> str:
    shown = text.strip()
    return shown if len(shown) <= _ECHO_MAX else shown[: _ECHO_MAX - 1] + "…"


def _clean(text: str) -> str:
    # NFKC turns non-breaking, narrow and thin spaces into plain ones and full-width digits into
    # ASCII digits; runs of spaces then collapse so "1  500" reads like "1 500".
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _split_sign(cleaned: str) -> tuple[bool, str]:
    if cleaned.startswith(_MINUS_SIGNS):
        return True, cleaned[1:].lstrip()
    return False, cleaned


def parse_count(text: str) -> int:
    """A whole number ≥ 0 as typed: "1500", "1.500", "1 500", "1.500.000".

    Raises NotWhole for a decimal comma (including "1,000": in Vietnamese that is one, not a
    thousand, and guessing either way risks a figure off by a factor of a thousand), Negative,
    BadGrouping for dots that cannot group thousands ("1.50"), TooLarge, NotANumber otherwise.
    """
    shown = _echo(text)
    cleaned = _clean(text)
    if not cleaned or len(cleaned) > _INPUT_MAX:
        raise NotANumber(text=shown)
    negative, body = _split_sign(cleaned)
    if _COUNT.fullmatch(body):
        value = int(body.replace(".", "").replace(" ", ""))
    elif _DECIMAL.fullmatch(body) or (_MISGROUPED.fullmatch(body) and "," in body):
        raise NotWhole(text=shown)
    elif _MISGROUPED.fullmatch(body):
        raise BadGrouping(text=shown)
    else:
        raise NotANumber(text=shown)
    if negative and value:
        raise Negative(text=shown)
    if value > COUNT_MAX:
        raise TooLarge(text=shown)
    return value


def parse_decimal(text: str) -> Decimal:
    """A number ≥ 0 with an optional decimal comma and "%": "12,5", "1.200,5", "12,5 %".

    "12.5" is refused (DotDecimal, with "12,5" as the hint): in Vietnamese the dot groups
    thousands, so it is either a typo or an English habit, and we cannot tell which.
    """
    shown = _echo(text)
    cleaned = _clean(text)
    if cleaned.endswith("%"):
        cleaned = cleaned[:-1].rstrip()
    if not cleaned or len(cleaned) > _INPUT_MAX:
        raise NotANumber(text=shown)
    negative, body = _split_sign(cleaned)
    match = _DECIMAL.fullmatch(body)
    if match is None:
        if _DOT_DECIMAL.fullmatch(body):
            raise DotDecimal(text=shown, suggestion=body.replace(".", ","))
        if _MISGROUPED.fullmatch(body):
            raise BadGrouping(text=shown)
        raise NotANumber(text=shown)
    whole = match["whole"].replace(".", "").replace(" ", "")
    value = Decimal(f"{whole}.{match['fraction']}" if match["fraction"] else whole)
    if negative and value:
        raise Negative(text=shown)
    return value


def _fold(text: str) -> str:
    """Lower case without tone marks: "Không" → "khong", "ĐÚNG" → "dung"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("đ", "d").rstrip(".!")


def parse_yes_no(text: str) -> bool:
    """có / không as typed on any keyboard: with or without tone marks, in any case."""
    folded = _fold(text)
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise NotYesNo(text=_echo(text))


# "Is that right?" answered in words: ĐÚNG as the prompt asks, and what people type instead.
_CONFIRM: Final = frozenset({"dung", "dung roi", "dung vay", "ok", "oke", "okay", "yes"})


def is_confirmation(text: str) -> bool:
    """ "ĐÚNG", "đúng rồi", "dung", "OK" → True (never a number: a number is a new answer)."""
    return " ".join(_fold(text).split()) in _CONFIRM


def format_number(value: Decimal | int, language: str) -> str:
    """1500 → "1.500" (vi) / "1,500" (en); Decimal("12.5") → "12,5" / "12.5".

    Every decimal the user gave is kept (no rounding to three places): a figure read back must
    be the figure that was typed.
    """
    locale = "en" if language == "en" else "vi"
    if isinstance(value, Decimal):
        value = value.normalize() if value != value.to_integral_value() else int(value)
    return format_decimal(value, locale=locale, decimal_quantization=False)
