"""Every text a user can read has a Vietnamese translation with the same placeholders."""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from infra.i18n import load_catalog, tr
from services.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
# tr(lang, msgid), say(update, lang, msgid), N_(msgid)
KEYWORDS = {"tr": (2,), "say": (3,), "N_": None}


def used_messages() -> dict[str, str]:
    """msgid → where it is used, extracted from the code the way pybabel would."""
    found: dict[str, str] = {}
    for package in ("bot", "infra", "web", "handlers", "services", "scheduler"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                found.setdefault(message, f"{package}/{filename}:{lineno}")
    # The web pages' templates: t(msgid, ...) (web/base.py), read by Jinja2's extractor.
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT / "web" / "templates",
        method_map=[("**.html", "jinja2.ext:babel_extract")],
        keywords={"t": None},
    ):
        if isinstance(message, str) and message:
            found.setdefault(message, f"web/templates/{filename}:{lineno}")
    for module in pkgutil.walk_packages([str(ROOT / "services")], prefix="services."):
        importlib.import_module(module.name)
    stack: list[type[DomainError]] = [DomainError]
    while stack:
        cls = stack.pop()
        found.setdefault(cls.message, f"{cls.__module__}.{cls.__name__}")
        stack.extend(cls.__subclasses__())
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_extractor_sees_the_code() -> None:
    messages = used_messages()
    # A few messages known to exist: if extraction broke, the test below would pass vacuously.
    assert "Cancelled." in messages
    assert "This invite code is wrong." in messages
    assert "Review, then send" in messages  # a template's text
    assert len(messages) > 40


def test_every_message_has_a_vietnamese_translation() -> None:
    catalog = load_catalog("vi")
    problems = []
    for msgid, where in sorted(used_messages().items()):
        entry = catalog.get(msgid)
        if entry is None or not entry.string:
            problems.append(f"missing: {msgid!r} ({where})")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif placeholders(str(entry.string)) != placeholders(msgid):
            problems.append(f"placeholders differ: {msgid!r}")
    assert not problems, "\n".join(problems)


def test_vietnamese_text_carries_diacritics() -> None:
    # A translation typed without tone marks reads as broken Vietnamese to every user.
    catalog = load_catalog("vi")
    bare = [
        m.id
        for m in catalog
        if m.id
        and m.string
        and len(str(m.string)) > 25
        and not re.search(
            r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]",
            str(m.string),
            re.IGNORECASE,
        )
    ]
    assert not bare, bare


@pytest.mark.parametrize("language,expected", [("vi", "Đã hủy."), ("en", "Cancelled.")])
def test_tr_picks_the_language(language: str, expected: str) -> None:
    assert tr(language, "Cancelled.") == expected


def test_unknown_language_falls_back_to_vietnamese() -> None:
    assert tr("fr", "Cancelled.") == "Đã hủy."


if __name__ == "__main__":  # print what still needs translating
    catalog = load_catalog("vi")
    for msgid, where in sorted(used_messages().items()):
        if catalog.get(msgid) is None:
            print(f"# {where}\nmsgid {msgid!r}\n")
