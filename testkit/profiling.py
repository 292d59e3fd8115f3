"""A profiler for the benchmarks' --profile: pyinstrument when installed, else cProfile."""

from __future__ import annotations

import cProfile
import pstats
import sys
from pathlib import Path
from typing import Any


class Profiler:
    """``async_mode``: "enabled" counts awaited time (a digest's queries), "disabled" samples the
    thread only (many concurrent updates would otherwise blur into each other)."""

    def __init__(self, path: str, *, async_mode: str = "enabled") -> None:
        self.path = path
        try:
            from pyinstrument import Profiler as Pyinstrument
        except ImportError:
            self.pyinstrument: Any = None
            self.cprofile: cProfile.Profile | None = cProfile.Profile()
        else:
            self.pyinstrument = Pyinstrument(interval=0.0005, async_mode=async_mode)
            self.cprofile = None

    def enable(self) -> None:
        if self.pyinstrument is not None:
            self.pyinstrument.start()
        elif self.cprofile is not None:
            self.cprofile.enable()

    def disable(self) -> None:
        if self.pyinstrument is not None:
            self.pyinstrument.stop()
        elif self.cprofile is not None:
            self.cprofile.disable()

    def report(self, what: str) -> None:
        """Write the profile next to ``path`` and print it, headed "profile of <what>"."""
        if self.pyinstrument is not None:
            tree = self.pyinstrument.output_text(unicode=True, color=False)
            Path(self.path).write_text(tree, encoding="utf-8")
            Path(self.path + ".html").write_text(self.pyinstrument.output_html(), encoding="utf-8")
            print(f"\n=== profile of {what} (pyinstrument; {self.path}[.html]) ===")
            print(tree)
            return
        assert self.cprofile is not None
        self.cprofile.dump_stats(self.path)
        print(f"\n=== profile of {what} (cProfile; {self.path}) ===")
        pstats.Stats(self.cprofile, stream=sys.stdout).sort_stats("tottime").print_stats(30)
