"""Settings from the environment and `.env` (pydantic-settings). Secrets are SecretStr."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sys
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services import anonymity

ENV_FILE = Path(".env")
# The bot's @username in console mode (no token): the console's stand-in Bot API answers getMe
# with it, and the admin CLI writes it into links and QR codes when BOT_USERNAME is not set.
CONSOLE_BOT_USERNAME = "demo_congdoan_bot"

# Secrets the bot cannot run without. In console mode missing ones are generated into .env.
REQUIRED_SECRETS = (
    "app_secret",
    "concern_text_key",
    "receipt_pepper",
    "concern_push_public_key",
    "concern_push_private_key",
)
# Generated together: the two halves of one X25519 pair (see _generate_missing).
PUSH_KEY_PAIR = ("concern_push_public_key", "concern_push_private_key")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    bot_username: str = Field(default="", description="for deep links t.me/<bot_username>")
    database_url: str = "sqlite+aiosqlite:///data/bot.db"
    telegram_api_base_url: str = "https://api.telegram.org"
    default_language: Literal["vi", "en"] = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Folder with indicators.yaml and reporting.yaml; empty: the defaults shipped in config/.
    config_dir: Path | None = None

    # Keyed hashes of invite codes and of attempt subjects. At least 32 characters.
    app_secret: SecretStr | None = None

    invite_valid_days: int = Field(default=14, ge=1, le=365)
    # Wrong invite or link codes allowed per day (Vietnam's date); then none until the next day.
    code_attempts_allowed: int = Field(default=5, ge=1)
    # A report conversation left alone this long ends; its draft stays in the database.
    report_timeout_minutes: float = Field(default=30, gt=0)
    # Reminders and the outbox sender run on the JobQueue (tests drive them by hand instead).
    scheduler_enabled: bool = True
    # "json": one JSON object per log line (for log collectors); never a worker's identity.
    log_format: Literal["plain", "json"] = "plain"

    # Production (bot/runtime.py). WEBHOOK_URL set: Telegram posts updates to that public https
    # URL (its path is where this process listens); unset: long polling. The HTTP server also
    # answers /healthz, /readyz and /metrics; in polling mode it runs only when HTTP_PORT is set.
    webhook_url: str | None = None
    # Telegram's X-Telegram-Bot-Api-Secret-Token; by default derived from APP_SECRET.
    webhook_secret: SecretStr | None = None
    http_host: str = "0.0.0.0"
    http_port: int | None = Field(default=None, ge=0, le=65535)
    # A standby instance asks for the active lock this often (PostgreSQL only).
    standby_retry_seconds: float = Field(default=5, gt=0)

    # Zalo's Bot Platform (docs/zalo.md). With ZALO_BOT_TOKEN the same process also serves Zalo;
    # ZALO_WEBHOOK_URL set: Zalo posts events there, else long polling.
    zalo_bot_token: SecretStr | None = None
    zalo_api_base_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_url: str | None = None
    # Zalo's X-Bot-Api-Secret-Token (8-256 characters); by default derived from APP_SECRET.
    zalo_webhook_secret: SecretStr | None = None
    # Public https root of this server: Zalo fetches the pictures the bot sends from
    # <PUBLIC_BASE_URL>/files/…, and Excel files are links there. Default: the webhook's origin.
    public_base_url: str | None = None
    shared_file_days: int = Field(default=7, ge=1, le=90)
    # A served channel with no inbound event for this long in working hours is reported to the
    # admins and on /metrics (a webhook that stopped receiving); 0 turns the watch off.
    inbound_silence_minutes: int = Field(default=240, ge=0)

    # Web pages (web/: the report form). They are served with the HTTP endpoints, at
    # PUBLIC_BASE_URL (default: the webhook's origin); the console serves them on 127.0.0.1 at
    # WEB_PORT (unset or 0: a free port). A one-time link from the chat (Zalo, the console) is
    # valid WEB_LINK_MINUTES and yields a session that ends after WEB_SESSION_MINUTES unused;
    # Telegram's Mini App data (initData) is accepted for WEB_INIT_DATA_MAX_AGE_MINUTES.
    web_port: int | None = Field(default=None, ge=0, le=65535)
    web_link_minutes: int = Field(default=30, ge=1, le=24 * 60)
    web_session_minutes: int = Field(default=60, ge=5, le=24 * 60)
    web_init_data_max_age_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # The office console (/office): its sessions, opened only by an office link, last longer
    # unused (a working day at a desk); the 12-hour limit of every session still holds.
    office_session_hours: int = Field(default=8, ge=1, le=12)
    # Indicator sets and targets edited in the console on another instance are noticed this
    # many seconds later at most (one cheap query per interval, at an update, a page or a job);
    # 0: checked at every one (tests).
    office_config_check_seconds: float = Field(default=30, ge=0, le=3600)

    # Anonymous concerns (docs/anonymity.md): keys live here, never in the database.
    # AES-256-GCM key of concern and reply texts: 32 random bytes, urlsafe base64.
    concern_text_key: SecretStr | None = None
    # Earlier text keys, comma-separated: still decrypt until `rotate_text_keys` has run.
    concern_text_keys_old: SecretStr | None = None
    # Salt of the slow keyed hash of receipts. At least 32 characters.
    receipt_pepper: SecretStr | None = None
    # X25519 pair sealing the chat ids of workers who want replies pushed (urlsafe base64).
    concern_push_public_key: str | None = None
    concern_push_private_key: SecretStr | None = None

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # People paste the URL their database tool shows; pick the async driver for them.
        for plain, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if value.startswith(plain):
                value = driver + value[len(plain) :]
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError(
                "phải bắt đầu bằng sqlite:// hoặc postgresql:// (must be SQLite or PostgreSQL)"
            )
        return value

    @field_validator("bot_token", "zalo_bot_token", "webhook_secret", "zalo_webhook_secret")
    @classmethod
    def _empty_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        # docker compose passes "${ZALO_BOT_TOKEN:-}" as an empty string: that means "not used".
        return None if value is not None and not value.get_secret_value() else value

    @field_validator("webhook_url", "zalo_webhook_url", "public_base_url")
    @classmethod
    def _https_or_loopback(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("phải là địa chỉ https:// (Telegram and Zalo only use https)")
        return value

    @field_validator("zalo_webhook_secret")
    @classmethod
    def _zalo_secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not 8 <= len(value.get_secret_value()) <= 256:
            raise ValueError("8 đến 256 ký tự (Zalo's secret_token length)")
        return value

    @field_validator("zalo_api_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def channels(self) -> list[str]:
        """The chat channels this process serves: those with a token (none: the console)."""
        return [
            name
            for name, token in (("telegram", self.bot_token), ("zalo", self.zalo_bot_token))
            if token is not None
        ]

    @property
    def zalo_webhook_path(self) -> str:
        return (urlsplit(self.zalo_webhook_url).path if self.zalo_webhook_url else "") or "/zalo"

    def zalo_webhook_secret_token(self) -> str:
        if self.zalo_webhook_secret is not None:
            return self.zalo_webhook_secret.get_secret_value()
        return hmac.new(self.secret, b"zalo-webhook", hashlib.sha256).hexdigest()

    @property
    def files_base_url(self) -> str | None:
        """Where /files/… is reachable from outside, or None (then Zalo gets no pictures)."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        for hook in (self.zalo_webhook_url, self.webhook_url):
            if hook:
                parts = urlsplit(hook)
                return f"{parts.scheme}://{parts.netloc}"
        return None

    @property
    def pages_base_url(self) -> str | None:
        """Where the web pages are reachable from outside (the same origin as /files), or
        None: then the chat offers no form (the console sets its own local address)."""
        return self.files_base_url

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_token_alphabet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError(
                "chỉ gồm A-Z, a-z, 0-9, _ và -, tối đa 256 ký tự (Telegram's secret_token alphabet)"
            )
        return value

    @property
    def webhook_path(self) -> str:
        return (urlsplit(self.webhook_url).path if self.webhook_url else "") or "/telegram"

    def webhook_secret_token(self) -> str:
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        return hmac.new(self.secret, b"telegram-webhook", hashlib.sha256).hexdigest()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"múi giờ không tồn tại: {value!r} (unknown time zone)") from exc
        return value

    @field_validator("app_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("cần ít nhất 32 ký tự (at least 32 characters)")
        return value

    @field_validator("receipt_pepper")
    @classmethod
    def _pepper_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("cần ít nhất 32 ký tự (at least 32 characters)")
        return value

    @field_validator("concern_text_key")
    @classmethod
    def _aes_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                anonymity.decode_text_key(value.get_secret_value())
            except anonymity.KeyFormatError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("concern_text_keys_old")
    @classmethod
    def _old_aes_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                anonymity.decode_old_text_keys(value.get_secret_value())
            except anonymity.KeyFormatError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("concern_push_public_key")
    @classmethod
    def _push_public(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                anonymity.decode_push_public_key(value)
            except anonymity.KeyFormatError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("concern_push_private_key")
    @classmethod
    def _push_private(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            return value
        try:
            private = anonymity.decode_push_private_key(value.get_secret_value())
        except anonymity.KeyFormatError as exc:
            raise ValueError(str(exc)) from None
        public = info.data.get("concern_push_public_key")
        if public is not None and private.public_key() != anonymity.decode_push_public_key(public):
            raise ValueError(
                "không khớp CONCERN_PUSH_PUBLIC_KEY (not the private half of "
                "CONCERN_PUSH_PUBLIC_KEY; generate the two together)"
            )
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _server_root(cls, value: str) -> str:
        value = value.rstrip("/")
        # Accept both the server root and PTB's ".../bot" form.
        return value[: -len("/bot")] if value.endswith("/bot") else value

    def secret_values(self) -> list[str]:
        """Every secret setting's value, for the log filter that hides them."""
        values = [
            getattr(self, name)
            for name in (
                "bot_token",
                "zalo_bot_token",
                "app_secret",
                "webhook_secret",
                "zalo_webhook_secret",
                "concern_text_key",
                "concern_text_keys_old",
                "receipt_pepper",
                "concern_push_private_key",
            )
        ]
        found = [v.get_secret_value() for v in values if v is not None]
        if self.app_secret is not None:
            found += [self.webhook_secret_token(), self.zalo_webhook_secret_token()]
        return [v for part in found for v in part.split(",") if v]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def secret(self) -> bytes:
        assert self.app_secret is not None, "checked at start-up"
        return self.app_secret.get_secret_value().encode()


class SettingsError(Exception):
    """A setting is missing or malformed: the message is the one line the operator sees."""


def describe_validation_error(error: ValidationError) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0]).upper() if first["loc"] else "?"
    return f"Cấu hình không hợp lệ: {name} — {first['msg']}"


def _generate_missing(missing: list[str]) -> dict[str, str]:
    """Valid fresh values: random text for secrets, 32 random bytes for the AES key, and a real
    X25519 pair for the push keys, generated together (one half alone cannot be made up)."""
    halves = [name for name in PUSH_KEY_PAIR if name in missing]
    if len(halves) == 1:
        present = next(name for name in PUSH_KEY_PAIR if name not in missing)
        raise SettingsError(
            f"Thiếu cấu hình bắt buộc: {halves[0].upper()} — {present.upper()} đã có; hãy đặt cả "
            "hai (python -m services.anonymity) (the push keys are a pair: set both)"
        )
    values: dict[str, str] = {}
    if halves:
        values["concern_push_public_key"], values["concern_push_private_key"] = (
            anonymity.generate_push_key_pair()
        )
    for name in missing:
        if name == "concern_text_key":
            values[name] = anonymity.generate_text_key()
        elif name not in values:
            values[name] = secrets.token_urlsafe(48)
    return values


# Secrets a person types in (the generated ones are random): "aaaa…" or "password1234…" passes a
# length check and is still guessed. 16 different characters at least; the webhook secrets are
# checked too, since anyone who knows them can post updates as Telegram or Zalo.
TYPED_SECRETS = ("app_secret", "receipt_pepper", "webhook_secret", "zalo_webhook_secret")
DISTINCT_CHARACTERS = 16


def _refuse_weak_secrets(settings: Settings) -> None:
    for name in TYPED_SECRETS:
        value = getattr(settings, name)
        if value is not None and len(set(value.get_secret_value())) < DISTINCT_CHARACTERS:
            raise SettingsError(
                f"Cấu hình không hợp lệ: {name.upper()} — quá dễ đoán, cần ít nhất "
                f"{DISTINCT_CHARACTERS} ký tự khác nhau (too weak: use a random value, e.g. "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )


def _write_private(env_file: Path, lines: list[str]) -> None:
    """Append to ``env_file``, created readable by its owner only (it holds the keys)."""
    descriptor = os.open(env_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file made with the default umask is tightened
    with os.fdopen(descriptor, "a", encoding="utf-8") as env:
        env.writelines(lines)


def load_settings(*, console: bool | None = None, env_file: Path = ENV_FILE) -> Settings:
    """Load and check settings. ``console`` None means: console mode iff there is no token.

    In console mode a missing secret is generated into ``env_file`` (with a notice on stderr) so
    that a newcomer's first run just works; with a token a missing secret stops the bot.
    """
    try:
        settings = Settings(_env_file=env_file)
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from exc
    if console is None:
        console = not settings.channels
    missing = [name for name in REQUIRED_SECRETS if getattr(settings, name) is None]
    if missing and not console:
        raise SettingsError(
            f"Thiếu cấu hình bắt buộc: {missing[0].upper()} — đặt trong biến môi trường hoặc .env "
            "(missing required setting)"
        )
    if missing:
        generated = _generate_missing(missing)
        _write_private(env_file, [f"{name.upper()}={generated[name]}\n" for name in missing])
        print(
            f"• Đã tạo khóa bí mật mới trong {env_file}: {', '.join(n.upper() for n in missing)} "
            "(giữ file này, đừng chia sẻ)",
            file=sys.stderr,
        )
        settings = Settings(_env_file=env_file)
    _refuse_weak_secrets(settings)
    return settings
