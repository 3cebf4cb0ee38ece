"""``portal audit verify|checkpoint|public-key``: the keyed audit chain and its signed checkpoints.

``verify`` recomputes every event's HMAC from seq 1 and holds the chain to the checkpoints of each
``--checkpoints`` source (a mirrored file, or the URL of a ``/v1/audit/checkpoints`` feed; default the
configured checkpoint file). Exit 0 with ``{"ok": true, "events": N, "checkpoint": {seq, at}}``; exit 1
with ``first_bad_seq`` and ``reason`` when an event was edited, removed, inserted or cut from the end
(the trigger refuses that, but a superuser can bypass the trigger: the keyed chain and the checkpoints
are what catch it), when no checkpoint anchors the chain (``--allow-unanchored``: a fresh database),
or when events past the newest checkpoint are older than the checkpointer's bound plus ``--grace``
(the checkpointer stopped, or the tail was cut and no checkpoint followed); exit 2 with one line
when the database is unreachable or not migrated.
``checkpoint`` signs the current head now (after checking the events since the last checkpoint);
``public-key`` prints the ed25519 key mirrors pin.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path

from portal.cli.db import database_url
from portal.cli.output import print_json, say
from portal.domain import audit, audit_checkpoints
from portal.domain.audit_verify import verify_url
from portal.domain.context import utc_now
from portal.errors import AuditChainBrokenError, PortalError
from portal.settings import Settings, from_env
from portal.store.database import Database

# Events past the newest checkpoint may be this much older than the checkpointer's bound before
# verify fails: room for a slow disk, a restart, a clock step. An operator's mirror lagging by
# minutes passes a larger --grace.
DEFAULT_GRACE_SECONDS = 30.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="the keyed, checkpointed audit log")
    commands = parser.add_subparsers(dest="audit_command", required=True, metavar="SUBCOMMAND")
    verify = commands.add_parser("verify", help="recompute the chain, hold it to the checkpoints; exit 1 naming "
                                                "the first bad seq")
    verify.add_argument("--checkpoints", action="append", default=[], metavar="FILE_OR_URL",
                        help="checkpoint file or /v1/audit/checkpoints URL (repeatable; default "
                             "$PORTAL_AUDIT_CHECKPOINT_FILE)")
    verify.add_argument("--public-key", help="pin the checkpoint signer (hex ed25519; default the audit key's)")
    verify.add_argument("--allow-unanchored", action="store_true",
                        help="a fresh database: no checkpoint yet is not a failure")
    verify.add_argument("--grace", type=float, default=DEFAULT_GRACE_SECONDS, metavar="SECONDS",
                        help="events not covered by a checkpoint fail once older than the checkpointer's bound "
                             f"({audit_checkpoints.CHECKPOINT_BOUND_SECONDS:g} s) plus this (default %(default)g)")
    verify.set_defaults(func=run_verify)
    checkpoint = commands.add_parser("checkpoint", help="sign the current head and append it to the checkpoint file")
    checkpoint.set_defaults(func=run_checkpoint)
    public_key = commands.add_parser("public-key", help="print the checkpoint signer's public key (hex ed25519)")
    public_key.set_defaults(func=run_public_key)


def _sources(args: argparse.Namespace, settings: Settings) -> list[str]:
    given = list(getattr(args, "checkpoints", None) or [])
    default = settings.audit_checkpoint_path
    return given or ([default] if default and Path(default).is_file() else [])


def run_verify(args: argparse.Namespace) -> int:
    settings = from_env()
    sources = _sources(args, settings)
    allow_unanchored = bool(getattr(args, "allow_unanchored", False))
    grace = float(getattr(args, "grace", DEFAULT_GRACE_SECONDS))
    stale_before = utc_now() - dt.timedelta(seconds=audit_checkpoints.CHECKPOINT_BOUND_SECONDS + grace)
    try:
        with database_url(settings.data_dir, settings.database_url) as url:
            result = verify_url(url, settings, sources, getattr(args, "public_key", None),
                                require_anchor=not allow_unanchored,
                                stale_before=stale_before)
    except AuditChainBrokenError as exc:  # a checkpoint source that is not a list of checkpoints
        say(exc.detail)
        return 1
    except PortalError as exc:
        say(exc.detail)
        return 2
    print_json(result)
    if not sources:
        say("warning: no checkpoints to hold the chain to, so a cut tail cannot be seen "
            "(set PORTAL_AUDIT_CHECKPOINT_FILE or pass --checkpoints)")
    if not result["ok"]:
        where = f" at seq {result['first_bad_seq']}" if result.get("first_bad_seq") is not None else ""
        say(f"audit chain broken{where}: {result['reason']}")
        return 1
    return 0


async def _checkpoint(url: str, settings: Settings, path: str) -> audit_checkpoints.Checkpoint | None:
    db = await Database.open(url, size=1)
    try:
        return await audit_checkpoints.make_checkpoint(db, audit.key_for(settings), path, now=utc_now())
    finally:
        await db.close()


def run_checkpoint(args: argparse.Namespace) -> int:
    settings = from_env()
    path = settings.audit_checkpoint_path
    if path is None:
        say("no checkpoint file: set PORTAL_AUDIT_CHECKPOINT_FILE")
        return 2
    try:
        with database_url(settings.data_dir, settings.database_url) as url:
            made = asyncio.run(_checkpoint(url, settings, path))
    except AuditChainBrokenError as exc:
        say(exc.detail)
        return 1
    except PortalError as exc:
        say(exc.detail)
        return 2
    print_json({"checkpoint": made, "file": path})
    return 0


def run_public_key(args: argparse.Namespace) -> int:
    sys.stdout.write(audit.key_for(from_env()).public_key + "\n")
    return 0
