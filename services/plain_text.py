"""Text people can see: what is left of a string once the characters that hide or disguise
text are gone.

Direction overrides (U+202E turns "gpj.exe" into "exe.jpg"), zero-width characters, control
characters and invisible fillers let a name or a message look like something else, or like
nothing. Concern texts are cleaned of them (services/concerns/texts.py); names from the
organisation file and from Telegram or Zalo profiles are cleaned the same way before anyone
reads them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# Invisible letters that are not format characters (Hangul fillers, the combining grapheme
# joiner, the Braille blank): used to hide text or fake an empty message.
INVISIBLE: Final = frozenset("\u034f\u115f\u1160\u3164\uffa0\u2800")
_SPACES: Final = re.compile(r"\s+")


def visible(ch: str) -> bool:
    """Line breaks and tabs stay; Cf (zero-width space/joiners, word joiner, BOM, soft hyphen,
    every bidi embedding, override and isolate) and Cc (control characters) go."""
    if ch in "\n\t":
        return True
    return unicodedata.category(ch) not in ("Cf", "Cc") and ch not in INVISIBLE


def clean_name(text: str) -> str:
    """A name on one line: NFC, nothing invisible, runs of white space as one space."""
    text = "".join(ch for ch in unicodedata.normalize("NFC", text) if visible(ch))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
