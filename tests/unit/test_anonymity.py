"""The cryptography of anonymous concerns: texts, rotation, receipts, seals, daily subjects,
and the keys' settings."""

from __future__ import annotations

import re
import secrets
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from infra.settings import SettingsError, load_settings
from services import anonymity
from services.anonymity import ConcernKeys, KeyFormatError, UndecryptableText
from services.registration import attempt_subject

DAY = date(2026, 11, 20)
OWNER = "enterprise:7"  # what the row a text belongs to belongs to


def make_keys(text_key: str | None = None, old: str = "", pepper: str = "p" * 40) -> ConcernKeys:
    public, private = anonymity.generate_push_key_pair()
    return ConcernKeys.from_strings(
        text_key=text_key or anonymity.generate_text_key(),
        old_text_keys=old,
        receipt_pepper=pepper,
        rate_secret="r" * 40,
        push_public_key=public,
        push_private_key=private,
    )


@pytest.fixture
def keys() -> ConcernKeys:
    return make_keys()


# --- texts ----------------------------------------------------------------------------------


def test_text_round_trip_hides_the_text(keys: ConcernKeys) -> None:
    text = "Tiền tăng ca tháng 10 chưa được trả đủ."
    blob = anonymity.encrypt_text(keys, text, "concern:abc", owner=OWNER)
    assert text.encode() not in blob and "tăng ca".encode() not in blob
    assert anonymity.decrypt_text(keys, blob, "concern:abc", owner=OWNER) == text
    # A fresh nonce every time: the same text never gives the same ciphertext.
    assert anonymity.encrypt_text(keys, text, "concern:abc", owner=OWNER) != blob


def test_a_text_opens_only_for_its_own_row(keys: ConcernKeys) -> None:
    blob = anonymity.encrypt_text(keys, "nội dung", "concern:abc", owner=OWNER)
    with pytest.raises(UndecryptableText):
        anonymity.decrypt_text(keys, blob, "concern:other", owner=OWNER)


def test_old_key_still_decrypts_and_reencrypt_moves_to_the_new_key() -> None:
    first = anonymity.generate_text_key()
    before = make_keys(first)
    blob = anonymity.encrypt_text(before, "lương thấp", "reply:1", owner=OWNER)
    assert blob[1] == anonymity.key_id(anonymity.decode_text_key(first))

    second = anonymity.generate_text_key()
    rotated = make_keys(second, old=first)
    assert anonymity.decrypt_text(rotated, blob, "reply:1", owner=OWNER) == "lương thấp"
    # New texts go under the new key only.
    fresh = anonymity.encrypt_text(rotated, "mới", "reply:2", owner=OWNER)
    assert fresh[1] == anonymity.key_id(rotated.text_key)
    with pytest.raises(UndecryptableText):
        anonymity.decrypt_text(before, fresh, "reply:2", owner=OWNER)

    moved = anonymity.reencrypt_text(rotated, blob, "reply:1", owner=OWNER)
    assert moved is not None and moved[1] == anonymity.key_id(rotated.text_key)
    # Already current: nothing to do.
    assert anonymity.reencrypt_text(rotated, moved, "reply:1", owner=OWNER) is None
    only_new = make_keys(second)
    assert anonymity.decrypt_text(only_new, moved, "reply:1", owner=OWNER) == "lương thấp"
    with pytest.raises(UndecryptableText):  # the old key is gone: unreadable
        anonymity.decrypt_text(only_new, blob, "reply:1", owner=OWNER)


def test_colliding_key_ids_still_decrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two keys may share the id byte (1 in 256); decryption then tries both.
    monkeypatch.setattr(anonymity, "key_id", lambda key: 7)
    first = anonymity.generate_text_key()
    blob = anonymity.encrypt_text(make_keys(first), "trùng mã khóa", "concern:x", owner=OWNER)
    rotated = make_keys(anonymity.generate_text_key(), old=first)
    assert anonymity.decrypt_text(rotated, blob, "concern:x", owner=OWNER) == "trùng mã khóa"
    moved = anonymity.reencrypt_text(rotated, blob, "concern:x", owner=OWNER)
    assert (
        moved is not None
        and anonymity.reencrypt_text(rotated, moved, "concern:x", owner=OWNER) is None
    )


def test_a_text_opens_only_while_its_row_belongs_where_it_did(keys: ConcernKeys) -> None:
    blob = anonymity.encrypt_text(keys, "nội dung", "concern:abc", owner="enterprise:7")
    with pytest.raises(UndecryptableText):  # the case handed to another enterprise
        anonymity.decrypt_text(keys, blob, "concern:abc", owner="enterprise:8")
    reply = anonymity.encrypt_text(keys, "trả lời", "reply:r1", owner="concern:abc")
    with pytest.raises(UndecryptableText):  # the answer put under another case
        anonymity.decrypt_text(keys, reply, "reply:r1", owner="concern:other")
    # Row and owner are length-prefixed: shifting characters between them is another binding.
    with pytest.raises(UndecryptableText):
        anonymity.decrypt_text(keys, reply, "reply:r", owner="1concern:abc")


def _unbound(key: bytes, text: str, row: str) -> bytes:
    """Format 1, as texts were written before the binding: associated data = header + row."""
    header = bytes((1, anonymity.key_id(key)))
    nonce = secrets.token_bytes(12)
    return header + nonce + AESGCM(key).encrypt(nonce, text.encode(), header + row.encode())


def test_texts_from_before_the_binding_still_open_and_reencrypt_binds_them(
    keys: ConcernKeys,
) -> None:
    old = _unbound(keys.text_key, "văn bản cũ", "concern:abc")
    assert anonymity.decrypt_text(keys, old, "concern:abc", owner=OWNER) == "văn bản cũ"
    with pytest.raises(UndecryptableText):  # still bound to its row
        anonymity.decrypt_text(keys, old, "concern:other", owner=OWNER)
    assert not anonymity.is_current(keys, old)
    bound = anonymity.reencrypt_text(keys, old, "concern:abc", owner=OWNER)
    assert bound is not None and bound[0] == 2 and anonymity.is_current(keys, bound)
    assert anonymity.decrypt_text(keys, bound, "concern:abc", owner=OWNER) == "văn bản cũ"
    with pytest.raises(UndecryptableText):
        anonymity.decrypt_text(keys, bound, "concern:abc", owner="enterprise:8")


def test_a_bound_text_cannot_pass_for_an_unbound_one(keys: ConcernKeys) -> None:
    # Flipping the format byte to 1 would drop the owner from the check: the tag covers it.
    blob = bytearray(anonymity.encrypt_text(keys, "nội dung", "concern:abc", owner=OWNER))
    assert blob[0] == 2
    blob[0] = 1
    for owner in (OWNER, "enterprise:8"):
        with pytest.raises(UndecryptableText):
            anonymity.decrypt_text(keys, bytes(blob), "concern:abc", owner=owner)


@pytest.mark.parametrize("position", [0, 1, 2, 13, 20, -1])
def test_tampered_ciphertext_is_refused(keys: ConcernKeys, position: int) -> None:
    blob = bytearray(anonymity.encrypt_text(keys, "an toàn lao động", "concern:abc", owner=OWNER))
    blob[position] ^= 0x01
    with pytest.raises(UndecryptableText):
        anonymity.decrypt_text(keys, bytes(blob), "concern:abc", owner=OWNER)


def test_truncated_ciphertext_is_refused(keys: ConcernKeys) -> None:
    blob = anonymity.encrypt_text(keys, "x", "concern:abc", owner=OWNER)
    for cut in (0, 1, 5, len(blob) - 1):
        with pytest.raises(UndecryptableText):
            anonymity.decrypt_text(keys, blob[:cut], "concern:abc", owner=OWNER)


# --- receipts and case codes ----------------------------------------------------------------


def test_receipts_are_12_random_digits_shown_in_groups_of_four() -> None:
    receipts = {anonymity.new_receipt() for _ in range(200)}
    assert len(receipts) == 200
    assert all(re.fullmatch(r"[0-9]{12}", r) for r in receipts)
    assert anonymity.display_receipt("123456789012") == "1234 5678 9012"


@pytest.mark.parametrize(
    "typed",
    [
        "123456789012",
        "1234 5678 9012",
        "1234-5678-9012",
        "1234.5678.9012",
        "  1234 5678\u00a09012 \n",
        "1234_5678_9012",
        "１２３４ ５６７８ ９０１２",  # full-width digits from a phone keyboard
    ],
)
def test_typed_receipts_are_normalised(typed: str) -> None:
    assert anonymity.normalize_receipt(typed) == "123456789012"


@pytest.mark.parametrize(
    "typed",
    ["", "1234 5678 901", "1234 5678 90123", "abcd efgh ijkl", "1234/5678/9012", "1" * 41, "١٢٣"],
)
def test_what_cannot_be_a_receipt_is_refused(typed: str) -> None:
    assert anonymity.normalize_receipt(typed) is None


def test_receipt_hash_is_deterministic_and_keyed(keys: ConcernKeys) -> None:
    first = anonymity.receipt_hash(keys, "123456789012")
    assert first == anonymity.receipt_hash(keys, "123456789012")
    assert re.fullmatch(r"[0-9a-f]{64}", first) and "123456789012" not in first
    assert anonymity.receipt_hash(keys, "123456789013") != first
    other_pepper = make_keys(pepper="q" * 40)
    assert anonymity.receipt_hash(other_pepper, "123456789012") != first


async def test_hash_receipt_is_the_same_hash_computed_off_the_event_loop(keys: ConcernKeys) -> None:
    threads: list[str] = []
    real = anonymity.receipt_hash

    def spy(k: ConcernKeys, receipt: str) -> str:
        threads.append(threading.current_thread().name)
        return real(k, receipt)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(anonymity, "receipt_hash", spy)
        hashed = await anonymity.hash_receipt(keys, "123456789012")
    assert hashed == real(keys, "123456789012")
    assert threads and threads[0].startswith("receipt-hash")  # the capped pool, not the loop


def test_same_secret_compares_in_constant_time_and_correctly() -> None:
    assert anonymity.same_secret("abc", "abc") and anonymity.same_secret(b"abc", "abc")
    assert not anonymity.same_secret("abc", "abd") and not anonymity.same_secret("abc", "ab")


def test_case_codes_are_short_random_and_unambiguous() -> None:
    codes = {anonymity.new_case_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(re.fullmatch(r"TT-[2-9A-HJKMNP-Z]{6}", code) for code in codes)
    assert not any(ch in code[3:] for code in codes for ch in "01OIL")
    assert anonymity.normalize_case_code("tt-7k3m9q") == "TT-7K3M9Q"
    assert anonymity.normalize_case_code("7K3M9Q") == "TT-7K3M9Q"
    assert anonymity.normalize_case_code("TT-7K3M0Q") is None


def test_ids_are_random_not_sequential() -> None:
    ids = [anonymity.new_id() for _ in range(100)]
    assert len(set(ids)) == 100 and ids != sorted(ids)
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


# --- daily subjects -------------------------------------------------------------------------


def test_daily_subject_changes_with_the_day_and_never_contains_the_id() -> None:
    secret = b"s" * 40
    today = anonymity.concern_subject(secret, "telegram", "987654321", DAY)
    assert today == anonymity.concern_subject(secret, "telegram", "987654321", DAY)
    assert re.fullmatch(r"[0-9a-f]{64}", today) and "987654321" not in today
    assert today != anonymity.concern_subject(secret, "telegram", "987654321", DAY + timedelta(1))
    assert today != anonymity.concern_subject(secret, "telegram", "987654322", DAY)
    assert today != anonymity.concern_subject(secret, "zalo", "987654321", DAY)
    assert today != anonymity.concern_subject(b"t" * 40, "telegram", "987654321", DAY)
    # Unrelated to the registration ledger's subject of the same person and day.
    assert today != anonymity.daily_subject(secret, "attempts", "telegram", "987654321", DAY)


def test_registration_subject_is_the_same_construction() -> None:
    # services.registration.attempt_subject can delegate to daily_subject("attempts", …).
    now = datetime(2026, 11, 20, 23, 59, tzinfo=UTC)
    assert attempt_subject(b"s" * 40, "telegram", "42", now.date()) == anonymity.daily_subject(
        b"s" * 40, "attempts", "telegram", "42", now.date()
    )


def test_keys_subject_uses_app_secret(keys: ConcernKeys) -> None:
    assert keys.subject("telegram", "1", DAY) == anonymity.concern_subject(
        b"r" * 40, "telegram", "1", DAY
    )


# --- sealed chat ids ------------------------------------------------------------------------


def test_sealed_chat_id_round_trip(keys: ConcernKeys) -> None:
    sealed = anonymity.seal_chat_id(keys, "987654321", "concern:abc")
    assert b"987654321" not in sealed
    assert anonymity.open_chat_id(keys, sealed, "concern:abc") == "987654321"
    assert anonymity.seal_chat_id(keys, "987654321", "concern:abc") != sealed  # ephemeral key
    # Padded: the seal's length does not reveal the kind of chat.
    assert len(anonymity.seal_chat_id(keys, "-1001234567890", "concern:abc")) == len(sealed)


def test_a_seal_opens_only_with_its_private_key_and_row(keys: ConcernKeys) -> None:
    sealed = anonymity.seal_chat_id(keys, "987654321", "concern:abc")
    with pytest.raises(UndecryptableText):
        anonymity.open_chat_id(keys, sealed, "concern:other")
    with pytest.raises(UndecryptableText):
        anonymity.open_chat_id(make_keys(), sealed, "concern:abc")
    public_only = ConcernKeys(
        text_key=keys.text_key,
        old_text_keys=(),
        receipt_pepper=keys.receipt_pepper,
        rate_secret=keys.rate_secret,
        push_public=keys.push_public,
        push_private=None,
    )
    with pytest.raises(KeyFormatError):
        anonymity.open_chat_id(public_only, sealed, "concern:abc")


# --- key formats ----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "short", "A" * 40, "!" * 44, "QUFB" * 12])
def test_malformed_text_keys_are_refused(bad: str) -> None:
    with pytest.raises(KeyFormatError):
        anonymity.decode_text_key(bad)


def test_old_keys_are_comma_separated() -> None:
    one, two = anonymity.generate_text_key(), anonymity.generate_text_key()
    assert len(anonymity.decode_old_text_keys(f"{one}, {two},")) == 2
    assert anonymity.decode_old_text_keys("") == ()


def test_a_push_private_key_must_match_its_public_key() -> None:
    public, _ = anonymity.generate_push_key_pair()
    _, private = anonymity.generate_push_key_pair()
    with pytest.raises(KeyFormatError):
        ConcernKeys.from_strings(
            text_key=anonymity.generate_text_key(),
            receipt_pepper="p" * 40,
            rate_secret="r" * 40,
            push_public_key=public,
            push_private_key=private,
        )


def test_keys_never_show_in_repr(keys: ConcernKeys) -> None:
    assert repr(keys) == "ConcernKeys()"


# --- settings -------------------------------------------------------------------------------

KEY_SETTINGS = (
    "BOT_TOKEN",
    "APP_SECRET",
    "CONCERN_TEXT_KEY",
    "CONCERN_TEXT_KEYS_OLD",
    "RECEIPT_PEPPER",
    "CONCERN_PUSH_PUBLIC_KEY",
    "CONCERN_PUSH_PRIVATE_KEY",
)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in KEY_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def full_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("APP_SECRET", "Zq8#mK2$vN5pL9wR3tY7uE1iO4aS6dF0gH")
    for line in anonymity.new_key_lines():
        name, value = line.split("=", 1)
        monkeypatch.setenv(name, value)


def test_console_mode_generates_valid_concern_keys_once(
    tmp_path: Path, clean_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = tmp_path / ".env"
    first = load_settings(env_file=env)
    told = capsys.readouterr().err
    assert "CONCERN_TEXT_KEY" in told and "CONCERN_PUSH_PRIVATE_KEY" in told
    keys = ConcernKeys.from_settings(first)  # every generated key is well-formed, the pair matches
    assert len(keys.text_key) == 32 and keys.push_private is not None
    second = load_settings(env_file=env)
    assert second.concern_text_key == first.concern_text_key
    assert env.read_text().count("CONCERN_PUSH_PUBLIC_KEY=") == 1
    assert env.read_text().startswith("APP_SECRET=")


def test_telegram_mode_refuses_to_start_without_concern_keys(
    tmp_path: Path, clean_environment: pytest.MonkeyPatch
) -> None:
    full_environment(clean_environment)
    load_settings(env_file=tmp_path / ".env")  # all present: starts
    for name in ("CONCERN_TEXT_KEY", "RECEIPT_PEPPER", "CONCERN_PUSH_PRIVATE_KEY"):
        with clean_environment.context() as patch:
            patch.delenv(name)
            with pytest.raises(SettingsError, match=name):
                load_settings(env_file=tmp_path / ".env")
    assert not (tmp_path / ".env").exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONCERN_TEXT_KEY", "not-a-key"),
        ("CONCERN_TEXT_KEYS_OLD", "also-not-a-key"),
        ("RECEIPT_PEPPER", "short"),
        ("CONCERN_PUSH_PUBLIC_KEY", "x"),
        ("CONCERN_PUSH_PRIVATE_KEY", anonymity.generate_push_key_pair()[1]),  # another pair's
    ],
)
def test_malformed_concern_key_is_named_in_one_line(
    tmp_path: Path, clean_environment: pytest.MonkeyPatch, name: str, value: str
) -> None:
    full_environment(clean_environment)
    clean_environment.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=tmp_path / ".env")
    message = str(error.value)
    assert message.startswith("Cấu hình không hợp lệ") and name in message
    assert "\n" not in message and value not in message


def test_console_mode_does_not_invent_half_a_key_pair(
    tmp_path: Path, clean_environment: pytest.MonkeyPatch
) -> None:
    public, _ = anonymity.generate_push_key_pair()
    clean_environment.setenv("CONCERN_PUSH_PUBLIC_KEY", public)
    with pytest.raises(SettingsError, match="CONCERN_PUSH_PRIVATE_KEY"):
        load_settings(env_file=tmp_path / ".env")
