"""A crash is not an outage: ``portal serve`` (uvicorn, one worker) restarts its worker when it dies.

Issue 19: a request that overflowed the stack killed the only uvicorn worker, and with
``uvicorn.run`` in the serving process itself every later request got "connection refused" until a
human came. Now the parent process (which also owns the embedded PostgreSQL and its watchdog)
binds the listening socket once and runs the worker as a child (``portal.cli.worker``) that
inherits it. When the worker dies the parent logs how (exit code or signal name) and starts the
next one on the same socket; connections that arrive meanwhile wait in the kernel's accept queue
instead of being refused. The restart count reaches the new worker, which exports it as
``portal_worker_restarts_total``.

Restart latency is mostly the new worker importing and building the app (~1.2 s of CPU here), so a
warm standby (``PORTAL_WORKER_STANDBY``, on by default) has done that already and only waits for
the go. Crashes in a row back off (0, 0.5, 1, 2 … 30 s) so a crash loop does not spin; a worker
that lived ``STABLE_SECONDS`` resets that. A first worker that could not start (the app cannot be
built, its lifespan failed: ``STARTUP_FAILURE``) stops ``portal serve`` with that exit code, as
uvicorn's own ``run`` does; later ones are retried, since the cause may pass.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from portal.cli.worker import STARTUP_FAILURE

STABLE_SECONDS = 5.0           # a worker that lived this long was not part of a crash loop (it served)
MAX_BACKOFF_SECONDS = 30.0
STANDBY_DELAY_SECONDS = 1.0    # the standby starts this long after a worker: not competing with its start
STOP_TIMEOUT_SECONDS = 20.0


def exit_cause(returncode: int) -> str:
    """``killed by signal SIGKILL`` / ``exited with code 3``: what ``Popen.returncode`` says, in words."""
    if returncode < 0:
        try:
            return f"killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


def backoff_seconds(crashes_in_a_row: int) -> float:
    """Delay before the next start: none for the first crash, then doubling from 0.5 s up to a cap."""
    if crashes_in_a_row <= 1:
        return 0.0
    return min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (crashes_in_a_row - 2))


def bind_listener(host: str, port: int, backlog: int) -> socket.socket:
    """The listening socket every worker generation inherits (as uvicorn's ``Config.bind_socket``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


@dataclass
class Generation:
    """One worker process and the write end of its go pipe (closed once it was told to go)."""

    process: subprocess.Popen
    go_fd: int | None

    def go(self, restarts: int) -> bool:
        """Tell the worker to serve; False if it is gone (a standby may have died waiting)."""
        fd, self.go_fd = self.go_fd, None
        if fd is None:
            return False
        try:
            os.write(fd, f"{restarts}\n".encode())
            return self.process.poll() is None
        except OSError:
            return False
        finally:
            os.close(fd)

    def stop(self) -> None:
        """Standbys read EOF and exit; a serving worker gets SIGTERM (uvicorn shuts down gracefully)."""
        if self.go_fd is not None:
            os.close(self.go_fd)
            self.go_fd = None
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.process.send_signal(signal.SIGTERM)


class WorkerSupervisor:
    """Run worker generations on one listening socket until ``portal serve`` is stopped."""

    def __init__(self, host: str, port: int, backlog: int, *, standby: bool,
                 log: Callable[[str], None]) -> None:
        self.host, self.port, self.backlog, self.standby, self.log = host, port, backlog, standby, log
        self.restarts = 0

    def run(self) -> int:
        """Serve until interrupted (SIGTERM/SIGINT unwind through here); a non-zero code if the first
        worker could not start."""
        listener = bind_listener(self.host, self.port, self.backlog)
        generations: list[Generation] = []
        try:
            return self._supervise(listener, generations)
        finally:
            for generation in generations:
                generation.stop()
            for generation in generations:
                self._reap(generation.process)
            listener.close()

    def _supervise(self, listener: socket.socket, generations: list[Generation]) -> int:
        active = self._spawn(listener, generations)
        active.go(0)
        self.log(f"portal: worker started (pid {active.process.pid})")
        standby: Generation | None = None
        crashes_in_a_row = 0
        while True:
            started = time.monotonic()
            if self.standby and standby is None:
                try:
                    active.process.wait(STANDBY_DELAY_SECONDS)
                except subprocess.TimeoutExpired:
                    standby = self._spawn(listener, generations)
            returncode = active.process.wait()
            lived = time.monotonic() - started
            generations.remove(active)
            if self.restarts == 0 and returncode == STARTUP_FAILURE:
                self.log(f"portal: worker (pid {active.process.pid}) {exit_cause(returncode)} at start; stopping")
                return returncode
            crashes_in_a_row = crashes_in_a_row + 1 if lived < STABLE_SECONDS else 1
            delay = backoff_seconds(crashes_in_a_row)
            self.restarts += 1
            self.log(f"portal: worker (pid {active.process.pid}) {exit_cause(returncode)} after {lived:.1f} s; "
                     f"restart {self.restarts}" + (f" in {delay:.1f} s (crash {crashes_in_a_row} in a row)"
                                                   if delay else ""))
            time.sleep(delay)
            active, standby = standby, None
            if active is None or not active.go(self.restarts):
                if active is not None:   # the standby died too: start a cold one
                    generations.remove(active)
                    self._reap(active.process)
                active = self._spawn(listener, generations)
                active.go(self.restarts)
            self.log(f"portal: worker restarted (pid {active.process.pid})")

    def _spawn(self, listener: socket.socket, generations: list[Generation]) -> Generation:
        read_fd, write_fd = os.pipe()
        try:
            process = subprocess.Popen(  # noqa: S603 (this interpreter, our module, fixed arguments)
                [sys.executable, "-m", "portal.cli.worker", "--listen-fd", str(listener.fileno()),
                 "--go-fd", str(read_fd), "--parent-pid", str(os.getpid())],
                pass_fds=(listener.fileno(), read_fd))
        except BaseException:
            os.close(write_fd)
            raise
        finally:
            os.close(read_fd)
        generation = Generation(process, write_fd)
        generations.append(generation)
        return generation

    @staticmethod
    def _reap(process: subprocess.Popen) -> None:
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
