"""The polls' cryptography, on top of services/anonymity.py (same keys, no new setting).

- **Poll key**: ``HMAC(APP_SECRET, "poll:<id>")``, in memory only. Everything a worker leaves in
  one poll is derived from it, so nothing of one poll can be recomputed from another's.
- **Ballot token**: ``HMAC(poll key, "token:" + channel + ":" + account)``. It lets the bot find
  the worker's own ballot (one answer per worker per poll, changeable until the close); without
  ``APP_SECRET`` it is a random-looking string, and tokens of one worker in two polls are
  unrelated.
- **Choice key**: ``HMAC(poll key, "choice:" + channel + ":" + account)``: the ballot's copy of
  the worker's choices (needed to undo them when the worker changes their answer) is
  AES-256-GCM under it, bound to the poll and the token. Neither the database nor the push
  private key opens it: only the account's own next answer (or someone holding both
  ``APP_SECRET`` and the account's id).
- **Reply addresses** (a subscription's, a ballot's): ``channel:chat`` and the enterprise sealed
  with HPKE to ``CONCERN_PUSH_PUBLIC_KEY`` (``services.anonymity.seal_chat_id``), bound to the
  row; only ``CONCERN_PUSH_PRIVATE_KEY``, outside the database, opens them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.anonymity import ConcernKeys, UndecryptableText, open_chat_id, seal_chat_id

_NONCE: Final = 12
# Choices are padded so the ciphertext's length does not tell how many questions or which
# options (a two-digit option is longer than a one-digit one).
_CHOICE_PAD: Final = 96


def _poll_key(keys: ConcernKeys, poll_id: int) -> bytes:
    return hmac.new(keys.rate_secret, f"poll:{poll_id}".encode(), hashlib.sha256).digest()


def ballot_token(keys: ConcernKeys, poll_id: int, channel: str, account: str) -> str:
    """The worker's ballot in this poll: a keyed hash of the account, 64 hex characters."""
    return hmac.new(
        _poll_key(keys, poll_id), f"token:{channel}:{account}".encode(), hashlib.sha256
    ).hexdigest()


def _choice_key(keys: ConcernKeys, poll_id: int, channel: str, account: str) -> bytes:
    return hmac.new(
        _poll_key(keys, poll_id), f"choice:{channel}:{account}".encode(), hashlib.sha256
    ).digest()


def _choice_ad(poll_id: int, token: str) -> bytes:
    return f"poll-ballot:{poll_id}:{token}".encode()


@dataclass(frozen=True)
class Choice:
    """What a ballot remembers: the enterprise and one option per question (None: unanswered)."""

    enterprise_id: int
    options: tuple[int | None, ...]


def encrypt_choice(
    keys: ConcernKeys, poll_id: int, channel: str, account: str, token: str, choice: Choice
) -> bytes:
    plain = json.dumps([choice.enterprise_id, list(choice.options)]).encode()
    if len(plain) > _CHOICE_PAD:
        raise ValueError("too many questions to seal")
    nonce = secrets.token_bytes(_NONCE)
    key = _choice_key(keys, poll_id, channel, account)
    return nonce + AESGCM(key).encrypt(
        nonce, plain.ljust(_CHOICE_PAD, b" "), _choice_ad(poll_id, token)
    )


def decrypt_choice(
    keys: ConcernKeys, poll_id: int, channel: str, account: str, token: str, blob: bytes
) -> Choice:
    key = _choice_key(keys, poll_id, channel, account)
    try:
        plain = AESGCM(key).decrypt(blob[:_NONCE], blob[_NONCE:], _choice_ad(poll_id, token))
    except InvalidTag as exc:
        raise UndecryptableText("this ballot does not open for this account") from exc
    enterprise_id, options = json.loads(plain)
    return Choice(int(enterprise_id), tuple(options))


@dataclass(frozen=True)
class Address:
    """Where a message goes (``"telegram:123"``) and for which enterprise."""

    target: str
    enterprise_id: int


def seal_address(keys: ConcernKeys, address: Address, context: str) -> bytes:
    return seal_chat_id(keys, f"{address.enterprise_id}|{address.target}", context)


def open_address(keys: ConcernKeys, sealed: bytes, context: str) -> Address:
    """UndecryptableText when the seal does not open (another key, another row)."""
    plain = open_chat_id(keys, sealed, context)
    enterprise, _, target = plain.partition("|")
    return Address(target, int(enterprise))


def subscription_context(subscription_id: str) -> str:
    return f"poll-subscription:{subscription_id}"


def ballot_context(poll_id: int, token: str) -> str:
    return f"poll-ballot:{poll_id}:{token}"
