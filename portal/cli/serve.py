"""``portal serve``: database up, schema migrated, snapshots ready, then the ASGI server.

The parent process owns the embedded PostgreSQL (when no ``DATABASE_URL``) and stops it on exit;
workers only receive the URL and the snapshot paths through their environment. With one uvicorn
worker (the default) the parent also owns the listening socket and restarts the worker when it
dies (``worker_supervisor``); with more, uvicorn's or granian's own supervisor does.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import sys
import tempfile
from pathlib import Path

import msgspec

from portal.cli.db import database_url
from portal.cli.output import say
from portal.cli.uvicorn_bounded import uvicorn_options
from portal.domain import audit as audit_domain
from portal.settings import ENV, Settings, from_env
from portal.store.database import app_role_problem, app_role_url
from portal.store.migrations import migrate

SERVERS = ("granian", "uvicorn")

# Files one worker keeps for itself (database pool, snapshot artifacts, logs) below its open-file
# limit; the rest it may spend on client connections.
RESERVED_FILES = 256

LIMITS_HELP = """\
connection limits (environment; see README "Operations"):
  PORTAL_HEADER_READ_TIMEOUT_SECONDS (10)  a request head (line + headers) must arrive whole within
        this, from connecting or from the previous response; else the connection is closed
  PORTAL_KEEP_ALIVE_TIMEOUT_SECONDS (5)    an idle kept-alive connection is closed after this
  PORTAL_LISTEN_BACKLOG (2048)             TCP connections the kernel queues before refusing
  PORTAL_MAX_HEADER_BYTES (32768)          a larger request head is answered 431 and closed
  PORTAL_BODY_READ_TIMEOUT_SECONDS (10)    a request body must be whole within this of its head
  PORTAL_WORKER_STANDBY (true)             one worker: keep a warm spare, a crashed one answers again in ~0.06 s
  The open-file soft limit is raised to the hard limit at start (every connection is a file).
  uvicorn (default) enforces all of them; granian bounds slow and large heads but keeps silent
  connections open until its per-worker connection cap (open-file limit - 256) and has no body
  deadline, so put a proxy in front of it."""



def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the HTTP service", epilog=LIMITS_HELP,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", action="store_true", help="serve the shipped demo snapshots (test keys!)")
    parser.add_argument("--snapshot", action="append", default=[], metavar="PATH",
                        help="snapshot artifact to serve (repeatable; default $PORTAL_SNAPSHOTS)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--server", choices=SERVERS, default="uvicorn",
                        help="ASGI server (default %(default)s: it bounds silent connections; granian answers "
                             "eligibility faster but keeps silent connections open; see benchmarks/)")
    parser.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    settings = from_env()
    before, after = raise_open_file_limit()
    say(f"open-file limit {after}" + (f" (raised from {before})" if after != before else ""))
    stop_on_sigterm()
    if args.workers < 1:
        say("--workers must be at least 1")
        return 2
    snapshot_paths = [str(Path(path).resolve()) for path in args.snapshot or settings.snapshots]
    for path in snapshot_paths:
        if not Path(path).is_file():
            say(f"snapshot {path}: no such file")
            return 2
    if not os.environ.get(ENV["public_url"]):
        # Messages and policy links name the address the service is really reachable at.
        settings = msgspec.structs.replace(settings, public_url=f"http://{args.host}:{args.port}")
        os.environ[ENV["public_url"]] = settings.public_url
    from portal.demo.guard import DemoRefusedError, check_data_dir

    try:  # the demo and real data stay apart: its own database and root, never a real data dir
        settings = check_data_dir(settings, demo=args.demo)
    except DemoRefusedError as exc:
        say(str(exc))
        return 2
    with database_url(settings.data_dir, settings.database_url, supervise=log) as url:
        migrate(url)
        app_url = settings.app_database_url or app_role_url(url)
        problem = app_role_problem(app_url)
        if problem and problem.startswith("cannot connect"):
            say(f"{problem}; set {ENV['app_database_url']} (see README, Operations)")
            return 2
        if problem:
            say(f"WARNING: {problem}")
        if args.demo:
            from portal.demo.demo_policy import start_demo

            snapshot_paths += start_demo(url, settings)
        if not snapshot_paths:
            say("no snapshot to serve: pass --snapshot PATH, set PORTAL_SNAPSHOTS, or use --demo")
            return 2
        if settings.database_url is None:
            # Workers see the embedded server's URL as DATABASE_URL; the audit files stay the data dir's.
            os.environ.setdefault(ENV["audit_checkpoint_file"], settings.audit_checkpoint_path or "")
        os.environ.setdefault(ENV["audit_key_file"], settings.audit_key_path)
        audit_domain.key_for(settings)  # generated once here (and said so), not raced by the workers
        # Workers get the app role's URL only; the owner's stays in this process (migrations, demo).
        os.environ[ENV["database_url"]] = app_url
        os.environ[ENV["app_database_url"]] = app_url
        os.environ[ENV["snapshots"]] = ",".join(snapshot_paths)
        if args.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portal-metrics-")
        base = f"http://{args.host}:{args.port}"
        print_banner(base, demo=args.demo)
        return run_server(args, settings, after)


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def raise_open_file_limit() -> tuple[int, int]:
    """Lift RLIMIT_NOFILE's soft limit to the hard one; ``(before, after)``.

    Every connection is a file: at a stock soft limit of 1024, about a thousand silent clients made
    the worker stop accepting (issue 10). Workers inherit the raised limit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return soft, soft
    return soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the embedded PostgreSQL is stopped on the way out.

    uvicorn re-raises the signal it caught once it has shut down; with the default disposition the
    process would die there, before ``portal serve`` stops its database.
    """
    def exit_cleanly(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, exit_cleanly)


def print_banner(base: str, *, demo: bool) -> None:
    lines = [f"migration-portal listening on {base}  (OpenAPI: {base}/schema)"]
    if demo:
        lines += [
            "DEMO MODE: the snapshots list PUBLIC TEST KEYS (Hardhat mnemonic); never send real funds to them.",
            "Try:",
            f"  curl -s {base}/v1/snapshots",
            f"  curl -s {base}/v1/eligibility/0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            f"  curl -s {base}/v1/eligibility/H6KNCLUTE61FMhuhnf591JUK9qgMsomHqEzwdNsQS3x2",
            f"  curl -s {base}/ready",
            f"  open {base}/policy/official   (signed demo policy)",
            f"  curl -s '{base}/v1/links/check?url=http://127.0.0.1.evil.io/'",
        ]
    print("\n".join(lines), file=sys.stderr, flush=True)


def run_server(args: argparse.Namespace, settings: Settings, open_files: int) -> int:
    """Serve until stopped; a non-zero exit code when the server could not start."""
    if args.server == "granian":
        from granian import Granian
        from granian.constants import Interfaces
        from granian.http import HTTP1Settings

        # granian stops accepting once a worker holds ``backpressure`` connections, and its
        # header-read timeout only starts with the first byte: silent connections stay until then.
        # ``max_buffer_size`` bounds a request head (hyper answers 431 beyond it; 8 KiB at least);
        # granian has no body-read deadline. Its main process respawns a dead worker
        # (``respawn_failed_workers``), but exits when one dies again within 5.5 s of its respawn.
        Granian("portal.asgi:app_from_env", address=args.host, port=args.port, workers=args.workers,
                interface=Interfaces.ASGI, factory=True, log_access=False, backlog=settings.listen_backlog,
                backpressure=max(64, open_files - RESERVED_FILES), respawn_failed_workers=True,
                http1_settings=HTTP1Settings(header_read_timeout=int(settings.header_read_timeout_seconds * 1000),
                                             keep_alive=True, max_buffer_size=settings.max_header_bytes)).serve()
        return 0
    # The event loop, as measured at 64 busy connections (benchmarks/http_pages.py): one worker on
    # uvloop serves ~10% more requests but starves some connections (p99 ~270 ms, stdlib ~21 ms);
    # several workers on the stdlib loop share the listening socket badly (a bare app: 1.4k req/s
    # against 9k on uvloop), and on uvloop their p99 is ~20 ms. So: stdlib for one, uvloop for more.
    if args.workers == 1:
        # One worker runs as a child of this process, restarted when it dies (issue 19); this
        # process keeps the listening socket, the embedded PostgreSQL and its watchdog.
        from portal.cli.worker_supervisor import WorkerSupervisor

        return WorkerSupervisor(args.host, args.port, settings.listen_backlog, standby=settings.worker_standby,
                                log=log).run()
    import uvicorn

    # uvicorn's own supervisor (>= 0.30; 0.55 installed) restarts a dead worker, but exits when one
    # fails before it started serving, and keeps no restart count.
    uvicorn.run(host=args.host, port=args.port, workers=args.workers, **uvicorn_options(settings, workers=args.workers))
    return 0
