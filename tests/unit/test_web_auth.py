"""Telegram Mini App data and CSRF tokens: what the server accepts, and everything it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from services.web_auth import (
    InitDataExpired,
    InitDataInvalid,
    check_init_data,
    csrf_ok,
    csrf_token,
)
from testkit.web import init_data, sign_init_data

TOKEN = "123456789:AAE-test-token-for-mini-app-signatures"
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_data_signed_with_the_bots_token_names_the_user() -> None:
    user = check_init_data(
        init_data(5550001, auth_date=NOW, bot_token=TOKEN), TOKEN, now=NOW, max_age=HOUR
    )
    assert user.user_id == "5550001" and user.auth_date == NOW


def test_the_key_is_derived_as_telegram_documents_it() -> None:
    # Telegram's recipe, spelt out independently of services/web_auth.py.
    import hashlib
    import hmac

    fields = {"auth_date": str(int(NOW.timestamp())), "user": json.dumps({"id": 42})}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    data = urlencode({**fields, "hash": digest})
    assert check_init_data(data, TOKEN, now=NOW, max_age=HOUR).user_id == "42"


def tampered(data: str, name: str, value: str) -> str:
    fields = dict(parse_qsl(data))
    fields[name] = value
    return urlencode(fields)


@pytest.mark.parametrize(
    "data",
    [
        init_data(5550001, auth_date=NOW, bot_token="999:another-bot"),  # forged
        tampered(init_data(5550001, auth_date=NOW, bot_token=TOKEN), "user", '{"id":5550002}'),
        tampered(init_data(5550001, auth_date=NOW, bot_token=TOKEN), "hash", "0" * 64),
        init_data(5550001, auth_date=NOW, bot_token=TOKEN).split("&hash=")[0],  # no hash
        init_data(5550001, auth_date=NOW, bot_token=TOKEN) + "&user=%7B%22id%22%3A1%7D",  # twice
        init_data(5550001, auth_date=NOW + timedelta(hours=1), bot_token=TOKEN),  # from the future
        sign_init_data({"auth_date": str(int(NOW.timestamp())), "user": '{"id":"x"}'}, TOKEN),
        sign_init_data({"auth_date": "yesterday", "user": '{"id":1}'}, TOKEN),
        sign_init_data({"auth_date": str(int(NOW.timestamp()))}, TOKEN),  # no user
        "",
        "x" * 5000,
    ],
    ids=[
        "forged",
        "user-changed",
        "hash-changed",
        "no-hash",
        "field-twice",
        "future",
        "id-not-a-number",
        "bad-date",
        "no-user",
        "empty",
        "too-long",
    ],
)
def test_anything_telegram_did_not_sign_as_it_stands_is_refused(data: str) -> None:
    with pytest.raises(InitDataInvalid):
        check_init_data(data, TOKEN, now=NOW, max_age=HOUR)


def test_data_older_than_the_maximum_age_is_refused() -> None:
    old = init_data(5550001, auth_date=NOW - timedelta(minutes=61), bot_token=TOKEN)
    with pytest.raises(InitDataExpired):
        check_init_data(old, TOKEN, now=NOW, max_age=HOUR)
    assert check_init_data(old, TOKEN, now=NOW, max_age=2 * HOUR).user_id == "5550001"


def test_csrf_tokens_belong_to_one_session_and_one_secret() -> None:
    secret = b"s" * 32
    token = csrf_token(secret, "session-a")
    assert csrf_ok(secret, "session-a", token)
    assert not csrf_ok(secret, "session-b", token)
    assert not csrf_ok(b"t" * 32, "session-a", token)
    assert not csrf_ok(secret, "session-a", None) and not csrf_ok(secret, "session-a", "")
