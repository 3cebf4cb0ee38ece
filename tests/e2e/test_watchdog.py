"""The embedded PostgreSQL's watchdog cannot die (issue 19, item 2).

In the hostile run a connection flood used up the serving process's files; the watchdog thread
(``Supervisor``) died of OSError EMFILE and a later postmaster kill was never recovered. Here the
test process runs the watchdog itself, runs out of files on purpose, kills the postmaster while
no file can be opened, and frees the files again: the database must come back.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from portal.store.embedded import ERRORS_LOGGED_PER_INTERVAL, embedded_postgres, postmaster_pid

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def no_files_left() -> Iterator[int]:
    """Open files until EMFILE (under a soft limit lowered for the purpose); yield how many; free them."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    held: list[int] = []
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, len(os.listdir("/proc/self/fd")) + 64), hard))
    try:
        while True:
            try:
                held.append(os.open(os.devnull, os.O_RDONLY))
            except OSError as exc:
                assert exc.errno == errno.EMFILE
                break
        yield len(held)
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def wait_for(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(AssertionError, OSError):  # postmaster.pid read while being written
            if condition():  # type: ignore[operator]
                return True
        time.sleep(0.05)
    return False


def test_watchdog_outlives_emfile_and_restarts_the_killed_postmaster(tmp_path: Path) -> None:
    lines: list[str] = []
    with embedded_postgres(tmp_path, supervise=lines.append) as url:
        pgdata = tmp_path / "pg"
        watchdog = next(thread for thread in threading.enumerate() if thread.name == "pg-supervisor")
        pid = postmaster_pid(pgdata)
        assert pid is not None
        with no_files_left() as opened:
            assert opened > 0
            time.sleep(1.0)                       # the watchdog's looks fail with EMFILE meanwhile
            os.kill(pid, signal.SIGKILL)
            time.sleep(2.0)                       # ... and the restart cannot happen yet
            assert watchdog.is_alive()
        assert watchdog.is_alive(), "the watchdog died of the EMFILE episode"
        errors = [line for line in lines if "watchdog:" in line]
        assert errors and any("Too many open files" in line for line in errors), lines
        # ~12 failed looks in 3 s, logged at a bounded rate
        assert len([line for line in errors if "still watching" in line]) <= ERRORS_LOGGED_PER_INTERVAL, errors
        assert wait_for(lambda: any("embedded PostgreSQL restarted (pid" in line for line in lines), 30), lines
        assert postmaster_pid(pgdata) not in (None, pid)
        assert wait_for(lambda: answers(url), 10), lines


def answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)
    except psycopg.OperationalError:
        return False
