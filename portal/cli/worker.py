"""One worker generation of ``portal serve`` (uvicorn, one worker), started by ``WorkerSupervisor``.

    python -m portal.cli.worker --listen-fd N --go-fd M --parent-pid P

It serves on the listening socket the parent bound (inherited as fd ``N``), so a restart never
gives up the port: connections that arrive while no worker runs wait in the kernel's queue.
Before it serves it imports and builds the app, then waits for the parent's go: one line on fd
``M`` carrying the number of restarts so far (exported as ``portal_worker_restarts_total``). That
lets the parent keep a warm standby whose import cost (~1.2 s here) is paid before it is needed.
It dies with the parent (``PR_SET_PDEATHSIG``): a killed ``portal serve`` leaves no orphan
holding the port.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import socket
import sys
import traceback

STARTUP_FAILURE = 3   # what uvicorn's own ``run`` exits with when the server never started
PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; exit now if it already has."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def wait_for_go(fd: int) -> int | None:
    """Block until the parent says go; the restart count it sends, or None when it went away."""
    with os.fdopen(fd, "rb") as pipe:
        line = pipe.readline()
    return int(line) if line.strip() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.cli.worker")
    parser.add_argument("--listen-fd", type=int, required=True)
    parser.add_argument("--go-fd", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    args = parser.parse_args(argv)
    die_with_parent(args.parent_pid)
    # A standby must not take the Ctrl-C meant for the active worker before it serves.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    import uvicorn

    from portal.cli.uvicorn_bounded import uvicorn_options
    from portal.http.metrics import record_worker_restarts
    from portal.settings import from_env

    config = uvicorn.Config(**uvicorn_options(from_env(), workers=1))
    try:
        config.load()   # import and build the app now: the go should find it ready
    except (Exception, SystemExit):   # uvicorn exits(1) on an import error; either way it cannot start
        traceback.print_exc()
        return STARTUP_FAILURE
    restarts = wait_for_go(args.go_fd)
    if restarts is None:
        return 0
    signal.signal(signal.SIGINT, signal.default_int_handler)
    record_worker_restarts(restarts)
    server = uvicorn.Server(config)
    server.run(sockets=[socket.socket(fileno=args.listen_fd)])
    return 0 if server.started else STARTUP_FAILURE


if __name__ == "__main__":
    sys.exit(main())
