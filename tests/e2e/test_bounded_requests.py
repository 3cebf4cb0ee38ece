"""Bounded request heads and bodies at the server (issue 19, item 3), against a real ``portal serve``.

A 50 MB header once got a 200 (memory 139 -> 406 MB); ~20,000 connections that sent a head and
never its body took every file. ``benchmarks/head_flood.py`` drives the same code at a larger scale.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from benchmarks._flood import probe_during, raise_nofile
from benchmarks._server import portal_process
from benchmarks.head_flood import BODILESS_HEAD, BodilessFlood, big_header

pytestmark = pytest.mark.slow
BODY_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int, Path]]:
    """(port, parent pid, log) of one server with a 1 s body deadline and no rate limit."""
    from portal.demo import build_demo_snapshots

    work = tmp_path_factory.mktemp("bounded")
    snapshots = build_demo_snapshots(work / "snapshots")
    env = {"PORTAL_BODY_READ_TIMEOUT_SECONDS": str(BODY_TIMEOUT), "PORTAL_RATE_LIMIT_PER_MINUTE": "0",
           "PORTAL_WORKER_STANDBY": "false"}
    with portal_process(work / "data", snapshots, env=env, ready_timeout=120) as (base, process):
        yield int(base.rsplit(":", 1)[1]), process.pid, work / "data" / "serve.log"


def worker_rss(parent: int) -> int:
    return sum(child.memory_info().rss for child in psutil.Process(parent).children()
               if "portal.cli.worker" in " ".join(child.cmdline()))


def health(port: int) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: portal\r\nConnection: close\r\n\r\n")
        return int(sock.recv(64).split(b" ", 2)[1])


def test_a_megabyte_header_answers_431_and_the_server_keeps_serving(server: tuple[int, int, Path]) -> None:
    port, parent, _ = server
    rss_before = worker_rss(parent)
    answer = big_header(port, 1 << 20)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"content-type: application/problem+json" in head and b"connection: close" in head
    problem = json.loads(body)
    assert problem["status"] == 431 and problem["code"] == "headers_too_large" and problem["field"] == "headers"
    assert health(port) == 200
    # the head was not buffered: the worker grew by far less than the megabyte sent
    assert worker_rss(parent) - rss_before < 1 << 20
    # a head just under the default limit (32 KiB) is still served
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: portal\r\nX-Big: " + b"a" * 30_000
                     + b"\r\nConnection: close\r\n\r\n")
        assert sock.recv(64).startswith(b"HTTP/1.1 200 ")


def test_a_head_whose_body_never_comes_is_closed_after_the_deadline(server: tuple[int, int, Path]) -> None:
    port, _, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(BODILESS_HEAD)
        started = time.monotonic()
        answer = sock.recv(4096)
        waited = time.monotonic() - started
        assert sock.recv(4096) == b""   # and closed
    assert BODY_TIMEOUT - 0.1 <= waited <= BODY_TIMEOUT + 2.0, waited
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer
    assert json.loads(body)["code"] == "body_timeout"
    # a body that does come in time is served as usual (here: an invalid challenge, 4xx, not 408)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        body = b'{"address": "0x1"}'
        sock.sendall(b"POST /v1/challenges HTTP/1.1\r\nHost: portal\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
        time.sleep(BODY_TIMEOUT / 2)
        sock.sendall(body)
        status = int(sock.recv(64).split(b" ", 2)[1])
    assert 400 <= status < 500 and status != 408, status


def test_many_bodiless_heads_leave_health_answering(server: tuple[int, int, Path]) -> None:
    port, _, log = server
    if raise_nofile() < 4096:
        pytest.skip("open-file hard limit too low for this test")
    log_before = log.stat().st_size

    async def attack() -> tuple[dict, BodilessFlood, bool]:
        flood = BodilessFlood("127.0.0.1", port, 1500)
        flood.start()
        try:
            all_open = await flood.wait_open(30)
            results = await probe_during("127.0.0.1", port, ["/health", "/v1/snapshots"], seconds=5, interval=0.05)
        finally:
            await flood.stop()
        return results, flood, all_open

    results, flood, all_open = asyncio.run(attack())
    assert all_open, flood.stats
    for path, result in results.items():
        assert result.total >= 5 and result.failed == 0, (path, result.errors)
    # each was closed after the deadline, with a 408, and reopened: more closes than connections
    assert flood.stats.answered_408 > 1500, flood.stats
    assert flood.stats.answered_other == 0 and flood.stats.reset == 0, flood.stats
    assert log.stat().st_size - log_before < 10_000   # no line per connection
