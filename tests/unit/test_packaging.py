"""Every application package is in the wheel: pyproject.toml lists packages one by one (config/
is installed under another name), so a new sub-package missing from the list would work here,
from the source tree, and be absent from the Docker image."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPLICATION = ("bot", "infra", "web", "handlers", "services", "models", "scheduler")


def test_every_package_with_an_init_is_listed() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in APPLICATION
        for init in (ROOT / top).rglob("__init__.py")
        if "migrations" not in init.parts
    }
    assert "services" in found and "bot.channels" in found
    missing = sorted(found - listed)
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"
