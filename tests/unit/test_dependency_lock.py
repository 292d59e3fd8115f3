"""The lock files hold every dependency, with hashes, at the versions pyproject.toml pins.

``run.py`` and CI install from requirements-dev.lock, the Dockerfile from requirements.lock
(docs/dependencies.md). A pin changed in pyproject.toml without re-running pip-compile, or a lock
edited by hand without hashes, fails here rather than on a fresh machine next year.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


def locked(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text()
    entries = {canonicalize_name(m[1]): m[2] for m in ENTRY.finditer(text)}
    assert entries, f"{name} lists no package"
    return entries


def pinned(group: str | None) -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] if group is None else project["optional-dependencies"][group]
    pins: dict[str, str] = {}
    for line in lines:
        requirement = Requirement(line)
        (specifier,) = requirement.specifier  # exactly one: "==" (see the test below)
        assert specifier.operator == "==", f"{line}: pin it exactly"
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


@pytest.mark.parametrize(
    ("lock", "groups"),
    [("requirements.lock", [None]), ("requirements-dev.lock", [None, "dev"])],
)
def test_every_direct_pin_is_locked_at_its_version(lock: str, groups: list[str | None]) -> None:
    entries = locked(lock)
    for group in groups:
        for name, version in pinned(group).items():
            assert entries.get(name) == version, f"{lock}: {name} should be {version}"


def test_every_locked_package_carries_a_hash() -> None:
    for lock in ("requirements.lock", "requirements-dev.lock"):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text())
        for block in blocks:
            if ENTRY.match(block):
                assert "--hash=sha256:" in block, f"{lock}: {block.splitlines()[0]} has no hash"


def test_the_runtime_lock_agrees_with_the_development_lock() -> None:
    development = locked("requirements-dev.lock")
    for name, version in locked("requirements.lock").items():
        assert development.get(name) == version, f"{name}: the two locks differ"


def test_this_environment_was_installed_from_the_lock() -> None:
    # run.py installs requirements-dev.lock; an environment that drifted from it tests other code.
    drifted = {}
    for name, version in locked("requirements-dev.lock").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            drifted[name] = "missing"
            continue
        if installed != version:
            drifted[name] = installed
    assert not drifted, f"installed ≠ locked: {drifted}"
