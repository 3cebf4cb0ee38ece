"""Start and stop a real ``portal serve`` process on a free loopback port, for benchmarks."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def portal_server(data_dir: Path, snapshots: list[Path], *, server: str = "granian", workers: int = 1,
                  env: dict[str, str] | None = None, ready_timeout: float = 60.0) -> Iterator[str]:
    """Yield the base URL of a running server; it is stopped (with its embedded DB) afterwards."""
    port = free_port()
    child_env = {**os.environ, "PORTAL_DATA_DIR": str(data_dir), "PORTAL_LOG_LEVEL": "WARNING", **(env or {})}
    child_env.pop("DATABASE_URL", None) if "DATABASE_URL" not in (env or {}) else None
    args = [sys.executable, "-m", "portal", "serve", "--port", str(port), "--server", server,
            "--workers", str(workers)]
    for path in snapshots:
        args += ["--snapshot", str(path)]
    process = subprocess.Popen(args, env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(base + "/ready", timeout=1) as response:  # noqa: S310 (loopback)
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become ready")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
