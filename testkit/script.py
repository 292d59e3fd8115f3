"""What every benchmark and fault script shares: its command line, its header line, its backends
loop and its figures.

**The one line at the top of every benchmark.** ``python benchmarks/x.py`` puts the script's own
folder (benchmarks/), not the repository root, first on ``sys.path``, so neither the application
nor this kit could be imported (an installed project holds the application packages, never
testkit/). Every script in benchmarks/ therefore starts, before any project import, with::

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit/script.py says why

It cannot be a function here: this module is not importable until that line has run. The fault
scripts need no such line: ``python -m faults NAME`` runs from the root, which is on the path.

* ``script_parser``: the parser every script starts from — its description from the script's
  docstring, ``--backend sqlite|postgresql|both``, and ``--quick`` and ``--profile FILE`` with the
  script's own help (what "quick" means differs per script); the script adds its own options.
* ``each_backend`` (testkit/db.py) and ``fresh_database`` are the backends loop and its scratch
  database; ``run_backends`` is that loop for scripts that judge each backend PASS or FAIL.
* ``versions``: "Python …, python-telegram-bot …, SQLAlchemy …, N CPUs" for a header line.
* ``percentile``: the nearest-rank percentile the benchmarks print, in milliseconds.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy
import telegram

from testkit.db import BACKENDS, each_backend

ROOT = Path(__file__).resolve().parents[1]


def add_backend_option(parser: argparse.ArgumentParser, default: str = "both") -> None:
    """``--backend sqlite|postgresql|both``, as every script takes it."""
    parser.add_argument(
        "--backend", choices=[*BACKENDS, "both"], default=default, help=f"default {default}"
    )


def script_parser(
    doc: str | None,
    *,
    prog: str | None = None,
    backend: str | None = "both",
    quick: str | None = None,
    profile: str | None = None,
) -> argparse.ArgumentParser:
    """A script's parser: description = the first paragraph of ``doc``; ``--backend`` (default
    ``backend``; None: no such option); ``--quick`` and ``--profile FILE`` when given their help."""
    parser = argparse.ArgumentParser(prog=prog, description=(doc or "").split("\n\n")[0])
    if backend is not None:
        add_backend_option(parser, backend)
    if quick is not None:
        parser.add_argument("--quick", action="store_true", help=quick)
    if profile is not None:
        parser.add_argument("--profile", metavar="FILE", help=profile)
    return parser


def run_backends(choice: str, run_one: Callable[[str], list[str]]) -> int:
    """``run_one(backend)`` (which reports and returns what went wrong) on each database chosen;
    PostgreSQL SKIPPED, visibly, when it does not answer. Exit status 1 on any failure, or when
    nothing ran."""
    broken: list[str] = []
    ran = 0
    for backend in each_backend(choice):
        print(f"\n--- {backend} ---", flush=True)
        started = time.monotonic()
        why = run_one(backend)
        print(
            f"  verdict        {'PASS' if not why else 'FAIL: ' + '; '.join(why)} "
            f"({time.monotonic() - started:.0f} s with seeding)",
            flush=True,
        )
        broken.extend(f"{backend}: {w}" for w in why)
        ran += 1
    if not ran:
        return 1
    return 1 if broken else 0


def versions(*, ptb: bool = True, cpus: bool = True) -> str:
    """What a figure depends on, for a script's header line."""
    parts = [f"Python {platform.python_version()}"]
    if ptb:
        parts.append(f"python-telegram-bot {telegram.__version__}")
    parts.append(f"SQLAlchemy {sqlalchemy.__version__}")
    if cpus:
        parts.append(f"{os.cpu_count()} CPUs")
    return ", ".join(parts)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values`` in seconds, in milliseconds."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1] * 1000
