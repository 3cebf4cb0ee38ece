"""Embedded PostgreSQL through ``pgserver`` for machines where no ``DATABASE_URL`` is given.

``pgserver`` ships the server binaries in its wheel, so ``portal serve --demo`` needs nothing
installed. Several processes may share one data directory: pgserver reference-counts its users and
the server stops when the last one (with ``cleanup_mode="stop"``) lets go.

``portal serve`` also supervises it (issue 10): a killed postmaster would otherwise stay down for
good. ``Supervisor`` looks every ``SUPERVISE_INTERVAL_SECONDS``; when the postmaster is gone it
says so, starts it again on the same data directory and socket (crash recovery replays the WAL, so
nothing committed is lost), and says that too.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

SUPERVISE_INTERVAL_SECONDS = 0.25
ERRORS_LOGGED_PER_INTERVAL = 3
ERROR_LOG_INTERVAL_SECONDS = 10.0


def _pgserver() -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); it is harmless here.
        warnings.simplefilter("ignore")
        import pgserver

    return pgserver


def postmaster_pid(pgdata: Path) -> int | None:
    """The pid of the live postmaster of ``pgdata``, or None when there is none (a zombie is none)."""
    import psutil
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or info.process is None:
        return None
    try:
        if not info.process.is_running() or info.process.status() == psutil.STATUS_ZOMBIE:
            return None
    except psutil.Error:
        return None
    return info.pid


def _unreaped(pgdata: Path) -> bool:
    """The pid in ``postmaster.pid`` still exists although no live postmaster does (a zombie)."""
    import psutil

    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return False
    return psutil.pid_exists(pid) and postmaster_pid(pgdata) is None


class Supervisor(threading.Thread):
    """Restart the embedded postmaster whenever it dies, until ``stop()``."""

    def __init__(self, server: Any, log: Callable[[str], None]) -> None:
        super().__init__(name="pg-supervisor", daemon=True)
        self.server, self.log = server, log
        self._stopping = threading.Event()
        self.restarts = 0
        self.errors = 0
        self._window_started, self._logged, self._suppressed = float("-inf"), 0, 0

    def run(self) -> None:
        """Watch until ``stop()``; nothing that goes wrong in one look ends the watching (issue 19).

        A flood of connections once used up the process's files: ``postmaster_pid`` raised OSError
        EMFILE, this thread died, and a later postmaster kill was never recovered. Now every
        failed look is logged (at most ``ERRORS_LOGGED_PER_INTERVAL`` per ``ERROR_LOG_INTERVAL_SECONDS``,
        then one count) and the next look comes as usual.
        """
        pgdata = Path(self.server.pgdata)
        pid: int | None = None
        while not self._stopping.wait(SUPERVISE_INTERVAL_SECONDS):
            try:
                pid = self._look(pgdata, pid)
            except Exception as exc:  # the watchdog must outlive any one failure
                self.errors += 1
                self._log_error(exc)

    def _look(self, pgdata: Path, pid: int | None) -> int | None:
        """One check: the postmaster's pid, restarting it first if it is gone."""
        current = postmaster_pid(pgdata)
        if current is not None:
            return current
        died_at = time.monotonic()
        self.log(f"portal: embedded PostgreSQL (pid {pid}) is not running; restarting it")
        current = self._restart(pgdata)
        if current is not None:
            self.restarts += 1
            self.log(f"portal: embedded PostgreSQL restarted (pid {current}) "
                     f"{time.monotonic() - died_at:.1f} s after it was found down")
        return current

    def _log_error(self, exc: BaseException) -> None:
        """Log a failed look or start at a bounded rate: a few per interval, then one count."""
        now = time.monotonic()
        if now - self._window_started >= ERROR_LOG_INTERVAL_SECONDS:
            if self._suppressed:
                self.log(f"portal: embedded PostgreSQL watchdog: {self._suppressed} more errors suppressed "
                         f"in the previous {ERROR_LOG_INTERVAL_SECONDS:g} s")
            self._window_started, self._logged, self._suppressed = now, 0, 0
        if self._logged < ERRORS_LOGGED_PER_INTERVAL:
            self._logged += 1
            self.log(f"portal: embedded PostgreSQL watchdog: {type(exc).__name__}: {exc}; still watching")
        else:
            self._suppressed += 1

    def _restart(self, pgdata: Path) -> int | None:
        while not self._stopping.is_set():
            if _unreaped(pgdata):
                # The dead postmaster is a zombie until init reaps it; PostgreSQL refuses to start
                # while the pid in postmaster.pid still answers, and pgserver takes it for running.
                self._stopping.wait(0.05)
                continue
            try:
                with self.server._lock:  # pgserver's own inter-process lock around (re)starts
                    self.server.ensure_postgres_running()
            except Exception as exc:  # EMFILE, a start that timed out: try again
                self.errors += 1
                self._log_error(exc)
            pid = postmaster_pid(pgdata)
            if pid is not None:
                return pid
            self._stopping.wait(0.5)
        return None

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=15)


@contextlib.contextmanager
def embedded_postgres(data_dir: str | os.PathLike[str], *,
                      supervise: Callable[[str], None] | None = None) -> Iterator[str]:
    """Run (or join) the server whose data lives in ``data_dir/pg``; yield its connection URL.

    With ``supervise`` (a logging function), a dead postmaster is restarted while the block runs.
    """
    pgserver = _pgserver()
    pgdata = Path(data_dir).resolve() / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    supervisor = Supervisor(server, supervise) if supervise else None
    if supervisor:
        supervisor.start()
    try:
        yield server.get_uri()
    finally:
        if supervisor:
            supervisor.stop()
        server.cleanup()
