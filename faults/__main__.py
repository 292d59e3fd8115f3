"""`python -m faults [NAME ...|all] [--quick]`: run fault scripts one after another.

Each script is a module here with ``main(argv) -> int``; its exit code is non-zero when it found
something lost, duplicated or unhandled. ``--quick`` is the reduced size CI runs.
"""

from __future__ import annotations

import importlib
import sys

SCRIPTS = ["fuzz", "bot_api_storm", "db_outage", "sigkill"]


def main(argv: list[str]) -> int:
    # Script names first; everything else (--quick, --backend sqlite, ...) goes to each script.
    names = [a for a in argv if a in SCRIPTS or a == "all"] or ["all"]
    flags = [a for a in argv if a not in names]
    if "-h" in flags or "--help" in flags:
        print(__doc__)
        print("scripts:", ", ".join(SCRIPTS))
        return 0
    chosen = SCRIPTS if names == ["all"] else names
    unknown = [n for n in chosen if n not in SCRIPTS]
    if unknown:
        print(f"unknown fault script(s): {', '.join(unknown)}; known: {', '.join(SCRIPTS)}")
        return 2
    failed = []
    for name in chosen:
        print(f"=== faults/{name}.py {' '.join(flags)}", flush=True)
        module = importlib.import_module(f"faults.{name}")
        if module.main(flags) != 0:
            failed.append(name)
    print("=== faults:", "FAILED " + ", ".join(failed) if failed else "all passed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
