"""The README's first command works: ``portal serve --demo`` on an empty data directory starts the
embedded PostgreSQL, builds the demo snapshots, publishes the demo policy, answers, and stops cleanly."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback test server
        return response.status, response.read()

def wait_until_ready(base: str, process: subprocess.Popen, timeout: float = 90) -> None:
    """Poll ``/ready`` until it answers 200; fail if ``portal serve`` exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, "portal serve --demo exited early"
        try:
            if get(base + "/ready")[0] == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "portal serve --demo did not become ready"
        time.sleep(0.3)



def assert_amounts_in_tokens(base: str) -> None:
    """The demo's snapshots declare their decimals and the demo its destinations, as a real deployment does:
    amounts read in tokens, not in 22-digit base units."""
    for address, decimals in (("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 18),
                              ("H6KNCLUTE61FMhuhnf591JUK9qgMsomHqEzwdNsQS3x2", 9)):
        answer = json.loads(get(f"{base}/v1/eligibility/{address}")[1])
        assert answer["decimals"] == decimals and int(answer["amount"]) == 1000 * 10**decimals
        assert {(c["destination_chain"], c["decimals"], c["amount"]) for c in answer["claim_amounts"]} == {
            ("evm", 18, str(1000 * 10**18)), ("solana", 9, str(1000 * 10**9))}
        page = get(f"{base}/eligibility?address={address}")[1].decode()
        assert "<strong>1,000 tokens</strong>" in page and f"({decimals} decimals)" in page


def test_serve_demo_from_nothing(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PORTAL_PUBLIC_URL", "PORTAL_SNAPSHOTS",
                                                            "PORTAL_DESTINATIONS_FILE", "PORTAL_TOKEN_DECIMALS")}
    env["PORTAL_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen([sys.executable, "-m", "portal", "serve", "--demo", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process)
        status, body = get(base + "/v1/eligibility/0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        assert status == 200 and json.loads(body)["eligible"] is True
        status, body = get(base + "/v1/policies/official")
        assert status == 200 and "DEMO" in json.loads(body)["title"]
        assert json.loads(body)["document"].count(f"http://127.0.0.1:{port}") >= 1  # links follow --port
        assert f'contacts = ["http://127.0.0.1:{port}/cases/new"]' in json.loads(body)["document"]
        assert get(base + "/cases/new")[0] == 200  # the demo policy's contact leads somewhere
        assert_amounts_in_tokens(base)
    finally:
        process.terminate()
        _, stderr_bytes = process.communicate(timeout=30)
    stderr = stderr_bytes.decode()
    assert "DEMO" in stderr and "PUBLIC TEST KEYS" in stderr
    assert not (tmp_path / "data" / "pg" / "postmaster.pid").exists(), "embedded PostgreSQL left running"
