"""``portal serve``: database up, schema migrated, snapshots ready, then the ASGI server.

The parent process owns the embedded PostgreSQL (when no ``DATABASE_URL``) and stops it on exit;
workers only receive the URL and the snapshot paths through their environment.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import msgspec

from portal.cli.db import database_url
from portal.settings import ENV, from_env
from portal.store.migrations import migrate

SERVERS = ("granian", "uvicorn")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the HTTP service")
    parser.add_argument("--demo", action="store_true", help="serve the shipped demo snapshots (test keys!)")
    parser.add_argument("--snapshot", action="append", default=[], metavar="PATH",
                        help="snapshot artifact to serve (repeatable; default $PORTAL_SNAPSHOTS)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--server", choices=SERVERS, default="granian",
                        help="ASGI server (granian measured faster here; see benchmarks/http_eligibility.py)")
    parser.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    settings = from_env()
    if args.workers < 1:
        print("portal: --workers must be at least 1", file=sys.stderr)
        return 2
    snapshot_paths = [str(Path(path).resolve()) for path in args.snapshot or settings.snapshots]
    for path in snapshot_paths:
        if not Path(path).is_file():
            print(f"portal: snapshot {path}: no such file", file=sys.stderr)
            return 2
    if not os.environ.get(ENV["public_url"]):
        # Messages and policy links name the address the service is really reachable at.
        settings = msgspec.structs.replace(settings, public_url=f"http://{args.host}:{args.port}")
        os.environ[ENV["public_url"]] = settings.public_url
    from portal.demo.guard import DemoRefusedError, check_data_dir

    try:  # the demo and real data stay apart: its own database and root, never a real data dir
        settings = check_data_dir(settings, demo=args.demo)
    except DemoRefusedError as exc:
        print(f"portal: {exc}", file=sys.stderr)
        return 2
    with database_url(settings.data_dir, settings.database_url) as url:
        migrate(url)
        if args.demo:
            from portal.demo.demo_policy import start_demo

            snapshot_paths += start_demo(url, settings)
        if not snapshot_paths:
            print("portal: no snapshot to serve: pass --snapshot PATH, set PORTAL_SNAPSHOTS, or use --demo",
                  file=sys.stderr)
            return 2
        os.environ[ENV["database_url"]] = url
        os.environ[ENV["snapshots"]] = ",".join(snapshot_paths)
        if args.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portal-metrics-")
        base = f"http://{args.host}:{args.port}"
        print_banner(base, demo=args.demo)
        run_server(args.server, args.host, args.port, args.workers)
    return 0


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


def run_server(server: str, host: str, port: int, workers: int) -> None:
    if server == "granian":
        from granian import Granian
        from granian.constants import Interfaces

        Granian("portal.asgi:app_from_env", address=host, port=port, workers=workers,
                interface=Interfaces.ASGI, factory=True, log_access=False).serve()
    else:
        import uvicorn

        uvicorn.run("portal.asgi:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", access_log=False)
