"""Blocking rendering — the digest's matplotlib chart and openpyxl workbook — off the event loop.

A chart takes about half a second of CPU; on the event loop that is half a second in which no
other user's update is handled (docs/architecture.md). Renders run in one worker thread of
their own:

- one, because matplotlib's settings (``rcParams``, which ``rc_context`` changes for the length
  of a render) are global to the process: two renders at once could each see the other's
  settings, or leave them changed. One at a time also bounds the memory digests take;
- of their own, so that renders neither wait behind nor crowd out other blocking work (the
  receipt hashes have their own pool, services/anonymity.py).

The thread holds the GIL only part of the time (Agg and zlib release it), and the interpreter
switches threads every few milliseconds, so the event loop keeps its turn while a render runs.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# Not bound to an event loop: one pool serves every loop of the process (the tests start many).
_POOL: Final = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-render")


async def off_the_loop(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``function(*args, **kwargs)`` in the render thread; the caller awaits its result."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, functools.partial(function, *args, **kwargs))
