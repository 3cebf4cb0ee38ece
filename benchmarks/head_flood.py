"""Issue 19 item 3: heads without bodies, and heads too large, against a real ``portal serve``.

A flood of ``--connections`` connections that each send a complete request head announcing a
body (``Content-Length: 1000``) and then nothing, reopened as soon as the server closes them, while
``/health`` and eligibility are probed on fresh connections; then one 1 MiB header. Before the
body deadline ~20,000 such connections took every file of the worker (``/health`` 0 of 4); now
each is closed ``PORTAL_BODY_READ_TIMEOUT_SECONDS`` after its head, and a head over
``PORTAL_MAX_HEADER_BYTES`` is answered 431 after at most that many bytes. Prints the probes'
success and p99, how many connections the server closed, the answer to the big header, and the
server's log size (its flood logging is rate-limited).

    python benchmarks/head_flood.py [--connections 3000] [--seconds 15] [--body-timeout 2]

Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _flood import probe_during, raise_nofile
from _server import portal_process
from _stats import percentile_ms

ELIGIBLE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # first Hardhat account, in the demo snapshot
BODILESS_HEAD = (b"POST /v1/challenges HTTP/1.1\r\nHost: portal\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n")


@dataclass
class BodilessStats:
    open: int = 0
    closed_by_server: int = 0
    answered_408: int = 0
    answered_other: int = 0
    reset: int = 0
    connect_errors: int = 0


class BodilessFlood:
    """Keep ``connections`` connections that sent a head and owe its body; reopen what the server closes."""

    def __init__(self, host: str, port: int, connections: int, parallelism: int = 200) -> None:
        self.host, self.port, self.connections = host, port, connections
        self.stats = BodilessStats()
        self._gate = asyncio.Semaphore(parallelism)
        self._tasks: list[asyncio.Task] = []
        self._writers: set[asyncio.StreamWriter] = set()

    async def _one(self) -> None:
        while True:
            async with self._gate:
                try:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 10)
                except (OSError, TimeoutError):
                    self.stats.connect_errors += 1
                    await asyncio.sleep(0.5)
                    continue
            self._writers.add(writer)
            self.stats.open += 1
            try:
                writer.write(BODILESS_HEAD)
                answer = await reader.read(64)          # returns when the server gives up on the body
                if answer.startswith(b"HTTP/1.1 408"):
                    self.stats.answered_408 += 1
                elif answer:
                    self.stats.answered_other += 1
            except OSError:
                self.stats.reset += 1
            finally:
                self.stats.open -= 1
                self.stats.closed_by_server += 1
                self._writers.discard(writer)
                with contextlib.suppress(Exception):
                    writer.close()

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._one()) for _ in range(self.connections)]

    async def wait_open(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stats.open >= self.connections:
                return True
            await asyncio.sleep(0.05)
        return False

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.wait(self._tasks, timeout=10)
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.close()


def big_header(port: int, size: int = 1 << 20) -> bytes:
    """Send a ``size``-byte header (on a thread, while reading); the first bytes of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        head = b"GET /health HTTP/1.1\r\nHost: portal\r\nX-Big: " + b"a" * size + b"\r\n\r\n"

        def send() -> None:
            with contextlib.suppress(OSError):
                sock.sendall(head)

        sender = threading.Thread(target=send)
        sender.start()
        answer = b""
        try:
            while chunk := sock.recv(4096):   # the answer, until the server closes
                answer += chunk
        except OSError as exc:
            answer = answer or type(exc).__name__.encode()
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)   # unblocks the sender if the server has not closed
        sender.join()
        return answer


async def flood_and_probe(port: int, connections: int, seconds: float) -> tuple[dict, BodilessStats, bool]:
    flood = BodilessFlood("127.0.0.1", port, connections)
    flood.start()
    try:
        all_open = await flood.wait_open(30)
        results = await probe_during("127.0.0.1", port, ["/health", f"/v1/eligibility/{ELIGIBLE}"],
                                     seconds=seconds, interval=0.05)
    finally:
        await flood.stop()
    return results, flood.stats, all_open


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--body-timeout", type=float, default=2.0)
    args = parser.parse_args()
    raise_nofile()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from portal.demo import build_demo_snapshots

    with tempfile.TemporaryDirectory(prefix="portal-head-flood-") as tmp:
        snapshots = build_demo_snapshots(Path(tmp) / "snapshots")
        data = Path(tmp) / "data"
        # no rate limit: with it, the route answers 429 before it reads a body and the flood tests nothing
        env = {"PORTAL_BODY_READ_TIMEOUT_SECONDS": str(args.body_timeout), "PORTAL_RATE_LIMIT_PER_MINUTE": "0"}
        with portal_process(data, snapshots, env=env, ready_timeout=120) as (base, _):
            port = int(base.rsplit(":", 1)[1])
            log_before = (data / "serve.log").stat().st_size
            results, stats, all_open = asyncio.run(flood_and_probe(port, args.connections, args.seconds))
            answer = big_header(port)
            log_growth = (data / "serve.log").stat().st_size - log_before
    print(f"{args.connections} bodiless heads (all open at once: {all_open}), body deadline {args.body_timeout:g} s: "
          f"{stats.closed_by_server} closed by the server ({stats.answered_408} with 408, "
          f"{stats.answered_other} with another answer, {stats.reset} reset)")
    for path, result in results.items():
        print(f"  {path}: {result.ok}/{result.total} answered 200, p50 {percentile_ms(result.latencies, 0.5):.0f} ms, "
              f"p99 {percentile_ms(result.latencies, 0.99):.0f} ms")
    status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    print(f"1 MiB header: {status_line}")
    print(f"server log grew {log_growth} bytes")


if __name__ == "__main__":
    main()
