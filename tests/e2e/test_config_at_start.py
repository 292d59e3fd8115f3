"""A broken indicator file stops the bot at start with one line naming file, item and problem."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from grassroots_config import DEFAULT_CONFIG_DIR


def test_bad_indicator_yaml_stops_the_bot_with_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    good = (DEFAULT_CONFIG_DIR / "indicators.yaml").read_text(encoding="utf-8")
    (config / "indicators.yaml").write_text(
        good.replace("- code: union_members", "- code: workers", 1), encoding="utf-8"
    )
    (config / "reporting.yaml").write_text(
        (DEFAULT_CONFIG_DIR / "reporting.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL"}}
    env["CONFIG_DIR"] = str(config)
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if "indicators.yaml" in line]
    assert len(lines) == 1 and "workers" in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()  # stopped before touching any database
