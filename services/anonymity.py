"""The cryptography that keeps workers anonymous (see docs/anonymity.md, the contract).

Every key comes from the environment, never from the database, so a stolen database (or backup)
reveals no text, no receipt and no chat:

- concern and reply texts: AES-256-GCM under ``CONCERN_TEXT_KEY``; each ciphertext names its key
  by a one-byte id, so after a rotation the keys in ``CONCERN_TEXT_KEYS_OLD`` still decrypt
  until ``reencrypt_text`` has moved every row to the new key;
- receipts: a slow keyed hash (scrypt with ``RECEIPT_PEPPER`` as the salt) — deterministic, so a
  typed receipt can be looked up, and useless to brute-force without the pepper;
- rate-limit subjects: HMAC of the channel account under a key derived from ``APP_SECRET`` and
  the date; the daily key exists only in memory, so yesterday's subjects cannot be recomputed
  from anything stored;
- chat ids of workers who want replies pushed: sealed to ``CONCERN_PUSH_PUBLIC_KEY`` with HPKE
  (RFC 9180: X25519, HKDF-SHA256, AES-256-GCM); only ``CONCERN_PUSH_PRIVATE_KEY`` opens them.

Ciphertexts are bound to the row they belong to (``context``): a text or a seal copied onto
another case does not decrypt there. Texts are also bound to what their row belongs to
(``owner``: a case's enterprise, a reply's case), so moving a row does not move a readable text.

``python -m services.anonymity`` prints a fresh set of keys as .env lines.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import secrets
import sys
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Final, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from pydantic import SecretStr

KEY_BYTES: Final = 32
_NONCE_BYTES: Final = 12
_SEAL_FORMAT: Final = 1
_SEAL_SUITE: Final = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
# Chat ids are padded before sealing so the seal's length does not tell a user from a group.
_CHAT_ID_PAD: Final = 64

# scrypt cost: N = 2**14, r = 8, p = 1 → 16 MiB of memory and about 40 ms per hash on a laptop
# core. Slow enough that a stolen pepper still leaves 10**12 receipts × 40 ms to try, fast enough
# for a lookup. Changing any of these changes every hash: old receipts would stop matching.
RECEIPT_SCRYPT_N: Final = 2**14
RECEIPT_SCRYPT_R: Final = 8
RECEIPT_SCRYPT_P: Final = 1
# At most this many receipt hashes run at once; more checks wait their turn. Each hash takes a
# core and 16 MiB for ~40 ms: a crowd of checks (or one person with many accounts) must not take
# every core or the memory from everyone else, and never the event loop (docs/architecture.md).
RECEIPT_HASH_WORKERS: Final = 2

RECEIPT_DIGITS: Final = 12
MAX_RECEIPT_INPUT: Final = 40  # anything longer is a message, not a mistyped receipt
CASE_PREFIX: Final = "TT-"  # tâm tư
# No 0/O, 1/I/L: a case code is read aloud and copied from a phone screen.
CASE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CASE_LENGTH: Final = 6


class KeyFormatError(ValueError):
    """A key from the environment is missing or malformed; ``str()`` says how to make one."""


class UndecryptableText(Exception):
    """No configured key opens this ciphertext: the key was removed too early, or the row was
    altered. Not a DomainError: it is an operator's problem, never the worker's."""


# --- keys -----------------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode_32(text: str, what: str) -> bytes:
    cleaned = text.strip()
    try:
        raw = base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise KeyFormatError(
            f"{what} phải là 32 byte ngẫu nhiên dạng base64 (must be 32 random bytes, urlsafe "
            "base64; python -m services.anonymity prints new keys)"
        )
    return raw


def generate_text_key() -> str:
    return _b64(secrets.token_bytes(KEY_BYTES))


def generate_pepper() -> str:
    return secrets.token_urlsafe(48)


def generate_push_key_pair() -> tuple[str, str]:
    """A fresh X25519 pair as (public, private), both urlsafe base64 of the raw 32 bytes."""
    private = X25519PrivateKey.generate()
    return _b64(private.public_key().public_bytes_raw()), _b64(private.private_bytes_raw())


def decode_text_key(text: str) -> bytes:
    return _decode_32(text, "khóa")


def decode_old_text_keys(text: str) -> tuple[bytes, ...]:
    """``CONCERN_TEXT_KEYS_OLD``: comma-separated keys, possibly empty."""
    return tuple(decode_text_key(part) for part in text.split(",") if part.strip())


def decode_push_public_key(text: str) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(_decode_32(text, "khóa công khai"))


def decode_push_private_key(text: str) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(_decode_32(text, "khóa bí mật"))


def key_id(key: bytes) -> int:
    """The byte that names a text key inside a ciphertext. Derived from the key itself, so an
    operator never numbers keys; two keys may share an id (1 in 256), and decryption then
    simply tries both."""
    return hmac.new(key, b"concern-text-key-id", hashlib.sha256).digest()[0]


class KeySettings(Protocol):
    """What ``ConcernKeys.from_settings`` reads (infra.settings.Settings has these fields)."""

    @property
    def app_secret(self) -> SecretStr | None: ...
    @property
    def concern_text_key(self) -> SecretStr | None: ...
    @property
    def concern_text_keys_old(self) -> SecretStr | None: ...
    @property
    def receipt_pepper(self) -> SecretStr | None: ...
    @property
    def concern_push_public_key(self) -> str | None: ...
    @property
    def concern_push_private_key(self) -> SecretStr | None: ...


@dataclass(frozen=True)
class ConcernKeys:
    """Every key the concern service uses, decoded once at start. ``repr`` shows none of them."""

    text_key: bytes = field(repr=False)
    old_text_keys: tuple[bytes, ...] = field(repr=False)
    receipt_pepper: bytes = field(repr=False)
    rate_secret: bytes = field(repr=False)  # APP_SECRET; subjects use their own label
    push_public: X25519PublicKey = field(repr=False)
    push_private: X25519PrivateKey | None = field(repr=False)

    @classmethod
    def from_strings(
        cls,
        *,
        text_key: str,
        old_text_keys: str = "",
        receipt_pepper: str,
        rate_secret: str,
        push_public_key: str,
        push_private_key: str | None,
    ) -> ConcernKeys:
        if len(receipt_pepper) < 32 or len(rate_secret) < 32:
            raise KeyFormatError("cần ít nhất 32 ký tự (at least 32 characters)")
        public = decode_push_public_key(push_public_key)
        private = None if push_private_key is None else decode_push_private_key(push_private_key)
        if private is not None and private.public_key() != public:
            raise KeyFormatError(
                "khóa bí mật không khớp khóa công khai (the push private key does not belong to "
                "the public key)"
            )
        return cls(
            text_key=decode_text_key(text_key),
            old_text_keys=decode_old_text_keys(old_text_keys),
            receipt_pepper=receipt_pepper.encode(),
            rate_secret=rate_secret.encode(),
            push_public=public,
            push_private=private,
        )

    @classmethod
    def from_settings(cls, settings: KeySettings) -> ConcernKeys:
        def need(value: SecretStr | None, name: str) -> str:
            if value is None:
                raise KeyFormatError(f"missing {name}")
            return value.get_secret_value()

        if settings.concern_push_public_key is None:
            raise KeyFormatError("missing CONCERN_PUSH_PUBLIC_KEY")
        old = settings.concern_text_keys_old
        private = settings.concern_push_private_key
        return cls.from_strings(
            text_key=need(settings.concern_text_key, "CONCERN_TEXT_KEY"),
            old_text_keys="" if old is None else old.get_secret_value(),
            receipt_pepper=need(settings.receipt_pepper, "RECEIPT_PEPPER"),
            rate_secret=need(settings.app_secret, "APP_SECRET"),
            push_public_key=settings.concern_push_public_key,
            push_private_key=None if private is None else private.get_secret_value(),
        )

    def subject(self, channel: str, external_id: str, day: date) -> str:
        """This channel account's rate-limit subject for ``day`` (see ``concern_subject``)."""
        return concern_subject(self.rate_secret, channel, external_id, day)


# --- texts ----------------------------------------------------------------------------------

# Format 2 (current): the associated data names the row *and* what the row belongs to.
# Format 1 (written before issue 13's binding): the row only. Still read, never written;
# ``reencrypt_text`` (``rotate_text_keys``) rewrites such texts in format 2.
_TEXT_FORMAT: Final = 2
_UNBOUND_FORMAT: Final = 1


def _header(form: int, key: bytes) -> bytes:
    return bytes((form, key_id(key)))


def _associated(header: bytes, context: str, owner: str) -> bytes:
    """What a ciphertext is bound to. The header is part of it, so changing the format byte
    (to pass a bound text off as an unbound one) breaks the tag."""
    if header[0] == _UNBOUND_FORMAT:
        return header + context.encode()
    row, belongs = context.encode(), owner.encode()
    # Length-prefixed: no choice of row and owner can spell another pair.
    return header + len(row).to_bytes(2, "big") + row + belongs


def encrypt_text(keys: ConcernKeys, text: str, context: str, *, owner: str) -> bytes:
    """Encrypt under the current key: format byte, key id byte, nonce, ciphertext and tag.

    ``context`` names the row (``"concern:<id>"``, ``"reply:<id>"``) and ``owner`` what the row
    belongs to (``"enterprise:<id>"`` for a case, ``"concern:<id>"`` for a reply). Both are
    authenticated, neither is stored: the text opens only in its own row, and only while that
    row still belongs where it did — a case moved to another enterprise, or a reply moved onto
    another case, no longer decrypts.
    """
    header = _header(_TEXT_FORMAT, keys.text_key)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(keys.text_key).encrypt(
        nonce, text.encode("utf-8"), _associated(header, context, owner)
    )
    return header + nonce + sealed


def _open_with(key: bytes, blob: bytes, context: str, owner: str) -> str | None:
    header, nonce, sealed = blob[:2], blob[2 : 2 + _NONCE_BYTES], blob[2 + _NONCE_BYTES :]
    try:
        plain = AESGCM(key).decrypt(nonce, sealed, _associated(header, context, owner))
    except InvalidTag:
        return None
    return plain.decode("utf-8")


def _candidates(keys: ConcernKeys, blob: bytes) -> list[bytes]:
    if len(blob) < 2 + _NONCE_BYTES + 16 or blob[0] not in (_TEXT_FORMAT, _UNBOUND_FORMAT):
        return []
    return [k for k in (keys.text_key, *keys.old_text_keys) if key_id(k) == blob[1]]


def decrypt_text(keys: ConcernKeys, blob: bytes, context: str, *, owner: str) -> str:
    """The text, or UndecryptableText when no configured key opens it for this row and owner.

    A format-1 text (from before the binding) is checked against its row only.
    """
    for key in _candidates(keys, blob):
        text = _open_with(key, blob, context, owner)
        if text is not None:
            return text
    raise UndecryptableText(
        "no configured key opens this text for its row (CONCERN_TEXT_KEY / "
        "CONCERN_TEXT_KEYS_OLD; or the row was moved or altered)"
    )


def is_current(keys: ConcernKeys, blob: bytes) -> bool:
    """Written in the current format under the current key id (not proof that it opens)."""
    return len(blob) > 1 and blob[0] == _TEXT_FORMAT and blob[1] == key_id(keys.text_key)


def reencrypt_text(keys: ConcernKeys, blob: bytes, context: str, *, owner: str) -> bytes | None:
    """The same text under the current key and format, or None when it is so already.

    UndecryptableText when no configured key opens it for this row and owner.
    """
    if is_current(keys, blob) and _open_with(keys.text_key, blob, context, owner) is not None:
        return None
    return encrypt_text(keys, decrypt_text(keys, blob, context, owner=owner), context, owner=owner)


# --- receipts and case codes ----------------------------------------------------------------


def new_receipt() -> str:
    """12 random digits. Shown once to the worker; only its hash is stored."""
    return f"{secrets.randbelow(10**RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def display_receipt(receipt: str) -> str:
    """ "123456789012" → "1234 5678 9012"."""
    return " ".join(receipt[i : i + 4] for i in range(0, len(receipt), 4))


def normalize_receipt(text: str) -> str | None:
    """What the worker typed → 12 digits, or None when it cannot be a receipt.

    Spaces, dashes, dots and underscores are ignored; full-width digits count as digits.
    """
    if len(text) > MAX_RECEIPT_INPUT:
        return None
    folded = unicodedata.normalize("NFKC", text)
    cleaned = "".join(ch for ch in folded if not ch.isspace() and ch not in "-._")
    if len(cleaned) != RECEIPT_DIGITS or not all("0" <= ch <= "9" for ch in cleaned):
        return None
    return cleaned


def receipt_hash(keys: ConcernKeys, receipt: str) -> str:
    """scrypt(receipt, salt=pepper): deterministic, so it can be looked up; hex, 64 characters.

    Blocking for ~40 ms: async code calls ``hash_receipt`` instead.
    """
    return hashlib.scrypt(
        receipt.encode("ascii"),
        salt=keys.receipt_pepper,
        n=RECEIPT_SCRYPT_N,
        r=RECEIPT_SCRYPT_R,
        p=RECEIPT_SCRYPT_P,
        dklen=32,
    ).hex()


# Its own pool rather than asyncio's default executor: the pool's size is the concurrency cap
# (a queue, not a refusal), and hashes neither wait behind nor crowd out other blocking work.
# Threads are enough: hashlib.scrypt releases the GIL while it computes. A pool is not bound to
# an event loop, so one per process serves every loop (the tests start many).
_HASH_POOL: Final = ThreadPoolExecutor(
    max_workers=RECEIPT_HASH_WORKERS, thread_name_prefix="receipt-hash"
)


async def hash_receipt(keys: ConcernKeys, receipt: str) -> str:
    """``receipt_hash`` off the event loop, at most RECEIPT_HASH_WORKERS at a time."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_HASH_POOL, receipt_hash, keys, receipt)


def same_secret(left: str | bytes, right: str | bytes) -> bool:
    """Constant-time equality for anything secret (hashes, receipts)."""
    a = left.encode() if isinstance(left, str) else left
    b = right.encode() if isinstance(right, str) else right
    return hmac.compare_digest(a, b)


def new_case_code() -> str:
    """Public, short, random: "TT-7K3M9Q". Random, not a sequence: it must not tell the order
    in which cases arrived."""
    return CASE_PREFIX + "".join(secrets.choice(CASE_ALPHABET) for _ in range(CASE_LENGTH))


def normalize_case_code(text: str) -> str | None:
    cleaned = "".join(ch for ch in text.upper() if ch not in " -_.\u00a0")
    body = cleaned.removeprefix(CASE_PREFIX.rstrip("-"))
    if len(body) != CASE_LENGTH or any(ch not in CASE_ALPHABET for ch in body):
        return None
    return CASE_PREFIX + body


def new_id() -> str:
    """A random primary key (32 hex characters): unlike a sequence it does not leak order."""
    return secrets.token_hex(16)


# --- rate-limit subjects --------------------------------------------------------------------


def daily_subject(secret: bytes, purpose: str, channel: str, external_id: str, day: date) -> str:
    """HMAC(HMAC(secret, purpose + ":" + day), channel + ":" + id), hex.

    The daily key is derived in memory and never stored; the same account gets an unrelated
    subject the next day, and different purposes get unrelated subjects the same day.
    """
    day_key = hmac.new(secret, f"{purpose}:{day.isoformat()}".encode(), hashlib.sha256).digest()
    return hmac.new(day_key, f"{channel}:{external_id}".encode(), hashlib.sha256).hexdigest()


def concern_subject(secret: bytes, channel: str, external_id: str, day: date) -> str:
    return daily_subject(secret, "concerns", channel, external_id, day)


# --- sealed chat ids ------------------------------------------------------------------------


def _seal_info(context: str) -> bytes:
    return b"grassroots-bot concern push v1:" + context.encode()


def seal_chat_id(keys: ConcernKeys, chat_id: str, context: str) -> bytes:
    """Public-key encrypt a chat id for one case (``context`` = ``"concern:<id>"``)."""
    raw = chat_id.encode("utf-8")
    if not raw or len(raw) > _CHAT_ID_PAD or b"\0" in raw:
        raise ValueError("a chat id is 1-64 bytes without NUL")
    padded = raw.ljust(_CHAT_ID_PAD, b"\0")
    return bytes((_SEAL_FORMAT,)) + _SEAL_SUITE.encrypt(
        padded, keys.push_public, info=_seal_info(context)
    )


def open_chat_id(keys: ConcernKeys, sealed: bytes, context: str) -> str:
    if keys.push_private is None:
        raise KeyFormatError("CONCERN_PUSH_PRIVATE_KEY is not configured on this instance")
    if not sealed or sealed[0] != _SEAL_FORMAT:
        raise UndecryptableText("not a sealed chat id")
    try:
        padded = _SEAL_SUITE.decrypt(sealed[1:], keys.push_private, info=_seal_info(context))
    except (InvalidTag, ValueError) as exc:
        raise UndecryptableText("the push private key does not open this seal") from exc
    return padded.rstrip(b"\0").decode("utf-8")


# --- new keys for an operator ---------------------------------------------------------------


def new_key_lines(names: Iterable[str] | None = None) -> list[str]:
    """.env lines with fresh values for ``names`` (upper-case setting names; default: all)."""
    public, private = generate_push_key_pair()
    fresh = {
        "CONCERN_TEXT_KEY": generate_text_key(),
        "RECEIPT_PEPPER": generate_pepper(),
        "CONCERN_PUSH_PUBLIC_KEY": public,
        "CONCERN_PUSH_PRIVATE_KEY": private,
    }
    wanted = list(fresh) if names is None else [n.upper() for n in names]
    return [f"{name}={fresh[name]}" for name in wanted]


if __name__ == "__main__":  # pragma: no cover - an operator's tool, documented in docs/anonymity.md
    print("\n".join(new_key_lines(sys.argv[1:] or None)))
