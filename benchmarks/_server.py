"""Start and stop a real ``portal serve`` process on a free loopback port, for benchmarks and fault tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def portal_server(data_dir: Path, snapshots: list[Path], *, server: str | None = None, workers: int = 1,
                  env: dict[str, str] | None = None, ready_timeout: float = 60.0) -> Iterator[str]:
    """Yield the base URL of a running server; it is stopped (with its embedded DB) afterwards."""
    with portal_process(data_dir, snapshots, server=server, workers=workers, env=env,
                        ready_timeout=ready_timeout) as (base, _):
        yield base


def wait_ready(base: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    """Poll ``/ready`` until it says 200; raise with the server's log when it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/ready", timeout=1) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server did not become ready: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)


@contextlib.contextmanager
def portal_process(data_dir: Path, snapshots: list[Path], *, server: str | None = None, workers: int = 1,
                   env: dict[str, str] | None = None, ready_timeout: float = 60.0,
                   extra_args: list[str] | None = None, port: int | None = None,
                   preexec_fn: Callable[[], None] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Like ``portal_server``, also yielding the process (for its RSS, its limits, a kill -9).

    The server's stderr goes to ``data_dir/serve.log`` (a pipe nobody reads would fill up and stall it).
    """
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    child_env = {**os.environ, "PORTAL_DATA_DIR": str(data_dir), "PORTAL_LOG_LEVEL": "WARNING", **(env or {})}
    if "DATABASE_URL" not in (env or {}):
        child_env.pop("DATABASE_URL", None)
    args = [sys.executable, "-m", "portal", "serve", "--port", str(port), "--workers", str(workers),
            *(["--server", server] if server else []), *(extra_args or [])]
    for path in snapshots:
        args += ["--snapshot", str(path)]
    log = data_dir / "serve.log"
    with log.open("ab") as log_file:
        process = subprocess.Popen(args, env=child_env, stdout=log_file, stderr=log_file,
                                   preexec_fn=preexec_fn)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process, log, ready_timeout)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
