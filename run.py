#!/usr/bin/env python3
"""The newcomer's entry point: needs nothing but Python 3.11+.

    python3 run.py            run the bot (console chat without BOT_TOKEN, Telegram with it)
    python3 run.py test       run the whole test suite on SQLite, then on PostgreSQL if reachable
    python3 run.py admin ...  the admin CLI (python3 run.py admin --help)
    python3 run.py faults [NAME|all] [--quick]
                              fault scripts: SIGKILL, database outage, Bot API storms, fuzzing

On first use it creates .venv/ and installs into it exactly the versions and hashes locked in
requirements-dev.lock (every transitive dependency, so a fresh machine next year runs the code
today's tests ran), then the project itself; it reinstalls when pyproject.toml or the lock
changes. Everything after the sub-command is passed through.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / ".installed-from"
# Made by pip-compile from pyproject.toml (the command is at its top; docs/dependencies.md).
LOCK = "requirements-dev.lock"
DEFAULT_TEST_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def ensure_environment() -> None:
    """Create the virtual environment and install the project when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036  (this file runs before any install)
        sys.exit(f"Cần Python 3.11 trở lên (đang chạy {sys.version.split()[0]}).")
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + (ROOT / LOCK).read_bytes()
    ).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        print("• Tạo môi trường ảo .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("• Cài đặt các thư viện (lần đầu mất khoảng một phút) …", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    # Hash-checked: a package whose bytes differ from the locked ones is refused.
    subprocess.run([*pip, "--require-hashes", "-r", str(ROOT / LOCK)], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(wanted)


def postgres_reachable(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("+asyncpg", ""))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return True
    except OSError:
        return False


def run_tests(extra: list[str]) -> int:
    """SQLite first (all tests), then the database-bound tests again on PostgreSQL."""
    pytest = [str(PYTHON), "-m", "pytest", *extra]
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    print("=== Bộ kiểm thử trên SQLite / test suite on SQLite ===", flush=True)
    code = subprocess.run(pytest, cwd=ROOT, env=env).returncode
    pg_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)
    if postgres_reachable(pg_url):
        print(
            f"=== Bộ kiểm thử trên PostgreSQL / test suite on PostgreSQL ({pg_url}) ===", flush=True
        )
        pg_targets = [a for a in extra if not a.startswith("-")] or [
            "tests/integration",
            "tests/e2e",
        ]
        flags = [a for a in extra if a.startswith("-")]
        pg = subprocess.run(
            [str(PYTHON), "-m", "pytest", *flags, *pg_targets],
            cwd=ROOT,
            env={**env, "TEST_DATABASE_URL": pg_url},
        )
        code = code or pg.returncode
    else:
        print(
            f"=== PostgreSQL KHÔNG kết nối được tại {pg_url}: BỎ QUA phần PostgreSQL "
            "/ PostgreSQL not reachable: PostgreSQL part SKIPPED ===",
            flush=True,
        )
    return code


def main() -> int:
    args = sys.argv[1:]
    command = args[0] if args else "bot"
    ensure_environment()
    if command == "test":
        return run_tests(args[1:])
    if command == "admin":
        return subprocess.run([str(PYTHON), "-m", "bot.admin", *args[1:]], cwd=ROOT).returncode
    if command == "bot":
        return subprocess.run([str(PYTHON), "-m", "bot", *args[1:]], cwd=ROOT).returncode
    if command == "bench":
        return subprocess.run([str(PYTHON), *args[1:]], cwd=ROOT).returncode
    if command == "faults":
        return subprocess.run([str(PYTHON), "-m", "faults", *args[1:]], cwd=ROOT).returncode
    print(__doc__)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
