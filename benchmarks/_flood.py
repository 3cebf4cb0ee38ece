"""Hostile connections for the connection benchmark and fault test: silent ones and slow-header ones.

An attacker who wants to starve a server keeps N connections open: when the server closes one (a
header-read or keep-alive timeout), it opens another. ``Flood`` does exactly that on loopback, and
counts what the server did, so a run shows both "the service kept answering" and "the server
bounded the connections" (closes seen). ``probe`` is the innocent client, on its own thread and its
own fresh connections, measuring what a newcomer gets while the flood is on.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import resource
import time
from dataclasses import dataclass, field


def raise_nofile() -> int:
    """Lift this process's open-file soft limit to the hard one (the client holds thousands too)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


@dataclass
class FloodStats:
    open_idle: int = 0
    open_slow: int = 0
    closed_idle: int = 0      # silent connections the server closed
    closed_slow: int = 0      # slow-header connections the server closed (or answered 408/400)
    connect_errors: int = 0


class Flood:
    """Keep ``idle`` silent and ``slow`` slow-header connections open to ``host:port`` until stopped."""

    def __init__(self, host: str, port: int, *, idle: int, slow: int, byte_interval: float = 1.0,
                 connect_parallelism: int = 200) -> None:
        self.host, self.port, self.idle, self.slow = host, port, idle, slow
        self.byte_interval = byte_interval
        self.stats = FloodStats()
        self._gate = asyncio.Semaphore(connect_parallelism)
        self._tasks: list[asyncio.Task] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._stopping = False

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while True:
            async with self._gate:
                try:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 10)
                    self._writers.add(writer)
                    return reader, writer
                except (OSError, TimeoutError):
                    self.stats.connect_errors += 1
            await asyncio.sleep(0.5)

    async def _silent(self) -> None:
        while not self._stopping:
            reader, writer = await self._connect()
            self.stats.open_idle += 1
            try:
                await reader.read(1)   # never sends a byte; returns when the server closes
            except OSError:
                pass
            finally:
                self.stats.open_idle -= 1
                self.stats.closed_idle += 1
                self._close(writer)

    async def _slowloris(self) -> None:
        trickle = b"X-Slow: " + b"a" * 4000
        while not self._stopping:
            reader, writer = await self._connect()
            self.stats.open_slow += 1
            try:
                writer.write(b"GET /health HTTP/1.1\r\nHost: portal\r\n")
                for byte in trickle:    # one header byte per interval; the head never ends
                    try:
                        await asyncio.wait_for(reader.read(1), self.byte_interval)
                        break           # b"" (closed) or a 408/400 answer: either way the server ended it
                    except TimeoutError:
                        writer.write(bytes([byte]))
                        await writer.drain()
            except OSError:
                pass
            finally:
                self.stats.open_slow -= 1
                self.stats.closed_slow += 1
                self._close(writer)

    def _close(self, writer: asyncio.StreamWriter) -> None:
        self._writers.discard(writer)
        with contextlib.suppress(Exception):
            writer.close()

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._silent()) for _ in range(self.idle)]
        self._tasks += [asyncio.create_task(self._slowloris()) for _ in range(self.slow)]

    async def wait_open(self, timeout: float) -> bool:
        """True once every connection is open at the same time (within ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stats.open_idle >= self.idle and self.stats.open_slow >= self.slow:
                return True
            await asyncio.sleep(0.1)
        return False

    async def stop(self) -> None:
        self._stopping = True   # a cancel that races a completing wait_for can be lost (Python 3.11)
        for task in self._tasks:
            task.cancel()
        await asyncio.wait(self._tasks, timeout=10)
        for writer in list(self._writers):
            self._close(writer)


@dataclass
class ProbeResult:
    ok: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.ok + self.failed


def probe_once(host: str, port: int, path: str, timeout: float) -> tuple[bool, float, str]:
    """One GET on a fresh connection, as a newcomer would; (200?, seconds, error)."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status == 200, time.perf_counter() - started, "" if response.status == 200 else str(
            response.status)
    except OSError as exc:
        return False, time.perf_counter() - started, type(exc).__name__
    finally:
        connection.close()


def probe(host: str, port: int, paths: list[str], *, seconds: float, interval: float = 0.1,
          timeout: float = 5.0) -> dict[str, ProbeResult]:
    """Probe each path in turn for ``seconds``; results per path."""
    results = {path: ProbeResult() for path in paths}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in paths:
            ok, took, error = probe_once(host, port, path, timeout)
            result = results[path]
            if ok:
                result.ok += 1
            else:
                result.failed += 1
                result.errors.append(error)
            result.latencies.append(took)
        time.sleep(interval)
    return results


async def probe_during(host: str, port: int, paths: list[str], *, seconds: float,
                       **kwargs: float) -> dict[str, ProbeResult]:
    """``probe`` on a thread of its own, so the flood's event loop keeps going meanwhile."""
    return await asyncio.to_thread(probe, host, port, paths, seconds=seconds, **kwargs)
