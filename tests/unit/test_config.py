"""Settings: one clear line naming the bad setting; console mode generates missing secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.settings import SettingsError, load_settings
from testkit.env import concern_key_env

GOOD_SECRET = "Zq8#mK2$vN5pL9wR3tY7uE1iO4aS6dF0gH"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "BOT_TOKEN",
        "DATABASE_URL",
        "APP_SECRET",
        "TIMEZONE",
        "DEFAULT_LANGUAGE",
        "TELEGRAM_API_BASE_URL",
        "LOG_LEVEL",
        "INVITE_VALID_DAYS",
        "CONCERN_TEXT_KEY",
        "CONCERN_TEXT_KEYS_OLD",
        "RECEIPT_PEPPER",
        "CONCERN_PUSH_PUBLIC_KEY",
        "CONCERN_PUSH_PRIVATE_KEY",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "HTTP_PORT",
        "LOG_FORMAT",
        "ZALO_BOT_TOKEN",
        "ZALO_WEBHOOK_URL",
        "ZALO_WEBHOOK_SECRET",
        "PUBLIC_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_sqlite_vietnamese_and_hanoi_time(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(f"APP_SECRET={GOOD_SECRET}\n")
    settings = load_settings(env_file=env)
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.default_language == "vi"
    assert settings.zone.key == "Asia/Ho_Chi_Minh"
    assert settings.bot_token is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/db"),
        ("TIMEZONE", "Asia/Hanoi_City"),
        ("DEFAULT_LANGUAGE", "fr"),
        ("INVITE_VALID_DAYS", "zero"),
        ("APP_SECRET", "short"),
        ("WEBHOOK_URL", "http://bot.example.vn/telegram"),
        ("WEBHOOK_SECRET", "có dấu"),
        ("HTTP_PORT", "70000"),
        ("LOG_FORMAT", "xml"),
        ("ZALO_WEBHOOK_SECRET", "short"),
        ("ZALO_WEBHOOK_URL", "http://bot.example.vn/zalo"),
    ],
)
def test_malformed_setting_is_named_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=tmp_path / ".env")
    message = str(error.value)
    assert name in message and "\n" not in message
    assert message.startswith("Cấu hình không hợp lệ")


def test_telegram_mode_without_secret_stops_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    env = tmp_path / ".env"
    with pytest.raises(SettingsError, match="APP_SECRET"):
        load_settings(env_file=env)
    assert not env.exists()  # nothing generated behind the operator's back


def test_console_mode_generates_missing_secret_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = tmp_path / ".env"
    first = load_settings(env_file=env)
    assert "APP_SECRET" in capsys.readouterr().err
    assert first.app_secret is not None and len(first.app_secret.get_secret_value()) >= 32
    second = load_settings(env_file=env)
    assert second.app_secret == first.app_secret
    assert env.read_text().count("APP_SECRET=") == 1


def test_secrets_never_show_in_repr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:very-secret-token")
    monkeypatch.setenv("APP_SECRET", GOOD_SECRET)
    keys = concern_key_env()
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(env_file=tmp_path / ".env")
    shown = repr(settings)
    assert "very-secret-token" not in shown and GOOD_SECRET not in shown
    assert keys["CONCERN_TEXT_KEY"] not in shown and keys["RECEIPT_PEPPER"] not in shown
    assert keys["CONCERN_PUSH_PRIVATE_KEY"] not in shown


@pytest.mark.parametrize(
    "missing",
    ["CONCERN_TEXT_KEY", "RECEIPT_PEPPER", "CONCERN_PUSH_PUBLIC_KEY", "CONCERN_PUSH_PRIVATE_KEY"],
)
def test_telegram_mode_refuses_to_start_without_each_concern_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("APP_SECRET", GOOD_SECRET)
    for name, value in concern_key_env().items():
        if name != missing:
            monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=missing):
        load_settings(env_file=tmp_path / ".env")


def test_console_mode_generates_working_concern_keys(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    settings = load_settings(env_file=env)
    from services.anonymity import (
        ConcernKeys,
        decrypt_text,
        encrypt_text,
        open_chat_id,
        seal_chat_id,
    )

    keys = ConcernKeys.from_settings(settings)
    blob = encrypt_text(keys, "tâm tư", "c1", owner="e1")
    assert decrypt_text(keys, blob, "c1", owner="e1") == "tâm tư"
    assert open_chat_id(keys, seal_chat_id(keys, "12345", "c1"), "c1") == "12345"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_plain_database_urls_get_the_async_driver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    monkeypatch.setenv("APP_SECRET", GOOD_SECRET)
    assert load_settings(env_file=tmp_path / ".env").database_url == expected


def test_api_base_url_accepts_root_or_bot_suffix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_SECRET", GOOD_SECRET)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot/")
    assert (
        load_settings(env_file=tmp_path / ".env").telegram_api_base_url == "http://127.0.0.1:8081"
    )


def test_webhook_listens_on_its_url_path_with_a_derived_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_SECRET", GOOD_SECRET)
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.vn/hooks/tg")
    settings = load_settings(env_file=tmp_path / ".env")
    assert settings.webhook_path == "/hooks/tg"
    derived = settings.webhook_secret_token()
    assert len(derived) == 64 and derived.isalnum() and GOOD_SECRET not in derived
    monkeypatch.setenv("APP_SECRET", GOOD_SECRET[::-1])
    assert load_settings(env_file=tmp_path / ".env").webhook_secret_token() != derived
    chosen = "chosen_secret-1-Zq8mK2vN5pL9wR3t"
    monkeypatch.setenv("WEBHOOK_SECRET", chosen)
    assert load_settings(env_file=tmp_path / ".env").webhook_secret_token() == chosen
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.vn")
    assert load_settings(env_file=tmp_path / ".env").webhook_path == "/telegram"


def test_the_channels_are_those_with_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in concern_key_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("APP_SECRET", GOOD_SECRET)
    assert load_settings(env_file=tmp_path / ".env").channels == []  # the console
    monkeypatch.setenv("ZALO_BOT_TOKEN", "12345689:abc")
    monkeypatch.setenv("BOT_TOKEN", "")  # docker compose's "${BOT_TOKEN:-}": not used
    settings = load_settings(env_file=tmp_path / ".env")
    assert settings.channels == ["zalo"]
    assert settings.files_base_url is None  # no public address: Zalo gets no pictures
    monkeypatch.setenv("BOT_TOKEN", "1:tg")
    monkeypatch.setenv("ZALO_WEBHOOK_URL", "https://bot.example.vn/hooks/zalo")
    settings = load_settings(env_file=tmp_path / ".env")
    assert settings.channels == ["telegram", "zalo"]
    assert settings.zalo_webhook_path == "/hooks/zalo"
    assert settings.files_base_url == "https://bot.example.vn"
    zalo_secret = settings.zalo_webhook_secret_token()
    assert 8 <= len(zalo_secret) <= 256 and zalo_secret != settings.webhook_secret_token()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APP_SECRET", "a" * 48),
        ("APP_SECRET", "password" * 6),
        ("RECEIPT_PEPPER", "0123456789" * 4),
        ("WEBHOOK_SECRET", "abcabcabcabcabcabcabc"),
    ],
)
def test_an_obviously_weak_secret_is_refused_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    env = tmp_path / ".env"
    env.write_text(f"APP_SECRET={GOOD_SECRET}\n")
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=env)
    message = str(error.value)
    assert name in message and "dễ đoán" in message and "\n" not in message
    assert value not in message


def test_generated_keys_are_written_readable_by_the_owner_only(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("LOG_LEVEL=INFO\n")
    env.chmod(0o644)  # as an editor with the default umask leaves it
    load_settings(env_file=env)
    assert env.stat().st_mode & 0o777 == 0o600
    assert "APP_SECRET=" in env.read_text() and env.read_text().startswith("LOG_LEVEL=INFO")
    fresh = tmp_path / "fresh.env"
    load_settings(env_file=fresh)
    assert fresh.stat().st_mode & 0o777 == 0o600
