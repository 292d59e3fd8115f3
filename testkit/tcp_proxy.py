"""A loopback TCP proxy that can be cut: the database "goes away" without touching the server.

    proxy = TcpProxy("127.0.0.1", 5432)
    port = await proxy.start()            # point DATABASE_URL at 127.0.0.1:<port>
    await proxy.cut("refuse")             # every open connection is reset; new ones are refused
    await proxy.cut("blackhole")          # ... or accepted and then never answered (they hang)
    await proxy.restore()

``refuse`` is a stopped server or a closed port: clients fail at once. ``blackhole`` is a network
that drops packets: the TCP handshake completes (the kernel does it) but nothing ever comes back,
so a client without a connect timeout waits for minutes — the case that shows whether the bot
fails fast. Open connections are reset in both modes: the server side of them is gone.
Loopback only, on purpose: it listens on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

MODES = ("refuse", "blackhole")


@dataclass
class ProxyStats:
    accepted: int = 0  # connections forwarded to the server
    blackholed: int = 0  # connections accepted during a blackhole cut and never answered
    reset: int = 0  # open connections cut


@dataclass(eq=False)  # hashed by identity: kept in a set
class _Pair:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def abort(self) -> None:
        for writer in (self.client, self.server):
            if writer is not None:
                writer.transport.abort()
        for task in self.tasks:
            task.cancel()


class TcpProxy:
    def __init__(
        self, target_host: str, target_port: int, *, listen_host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.target = (target_host, target_port)
        self.listen_host = listen_host
        self.port = port
        self.mode: str | None = None  # None: forwarding; else the cut's mode
        self.stats = ProxyStats()
        self._server: asyncio.Server | None = None
        self._open: set[_Pair] = set()
        self._held: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        """Listen (a free port the first time, the same port after a refusing cut)."""
        self._server = await asyncio.start_server(
            self._accept, self.listen_host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    @property
    def url_host_port(self) -> str:
        return f"{self.listen_host}:{self.port}"

    async def cut(self, mode: str = "refuse") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode = mode
        if mode == "refuse" and self._server is not None:
            # Closing the listening socket: the kernel answers new connections with RST.
            self._server.close()
            self._server = None
        for pair in list(self._open):
            pair.abort()
            self.stats.reset += 1
        self._open.clear()

    async def restore(self) -> None:
        was = self.mode
        self.mode = None
        # Connections accepted into the black hole stay dead (their handshake with the server
        # never happened); clients that still wait on them see a reset now.
        for writer in list(self._held):
            writer.transport.abort()
        self._held.clear()
        if was == "refuse" or self._server is None:
            await self.start()

    async def close(self) -> None:
        self.mode = "closed"
        if self._server is not None:
            self._server.close()
            self._server = None
        for pair in list(self._open):
            pair.abort()
        self._open.clear()
        for writer in list(self._held):
            writer.transport.abort()
        self._held.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode is not None:
            # A black hole: swallow whatever the client sends, answer nothing.
            self.stats.blackholed += 1
            self._held.add(writer)
            try:
                while await reader.read(65536):
                    pass
            except (ConnectionError, OSError):
                pass
            finally:
                self._held.discard(writer)
                writer.transport.abort()
            return
        pair = _Pair(writer)
        self._open.add(pair)
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self._open.discard(pair)
            writer.transport.abort()
            return
        if pair not in self._open:  # cut while connecting
            server_writer.transport.abort()
            writer.transport.abort()
            return
        self.stats.accepted += 1
        pair.server = server_writer
        pair.tasks = [
            asyncio.create_task(self._pump(reader, server_writer, pair)),
            asyncio.create_task(self._pump(server_reader, writer, pair)),
        ]
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*pair.tasks, return_exceptions=True)
        self._open.discard(pair)

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, pair: _Pair
    ) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            # One side closed: close both, as a real connection's end would.
            pair.abort()
