"""``portal allowlist export --snapshot-id ID [--format json|csv] [--out FILE]``.

The same document as ``GET /v1/allowlist`` (OpenZeppelin StandardMerkleTree root and proofs of the
approved requests). The snapshot artifacts come from ``$PORTAL_SNAPSHOTS`` or ``--snapshot``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import msgspec

from portal.cli.db import database_url
from portal.domain import allowlist
from portal.domain.eligibility import SnapshotSet
from portal.errors import PortalError
from portal.settings import from_env
from portal.store.database import Database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("allowlist", help="the manual allowlist")
    commands = parser.add_subparsers(dest="allowlist_command", required=True, metavar="SUBCOMMAND")
    export = commands.add_parser("export", help="approved entries with their Merkle root and proofs")
    export.add_argument("--snapshot-id", required=True)
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("--destination-chain", choices=("evm", "solana"),
                        help="requests whose destination is on this chain (default: first of "
                             "$PORTAL_DESTINATION_CHAINS)")
    export.add_argument("--out", type=Path, help="write here instead of stdout")
    export.add_argument("--snapshot", action="append", default=[], metavar="PATH",
                        help="snapshot artifact (repeatable; default $PORTAL_SNAPSHOTS)")
    export.set_defaults(func=run_export)


async def _export(url: str, paths: list[str], snapshot_id: str, destination_chain: str) -> allowlist.Allowlist:
    snapshots = SnapshotSet.open(paths)
    db = await Database.open(url, size=1)
    try:
        async with db.transaction() as conn:
            return await allowlist.export(conn, snapshots, snapshot_id, destination_chain=destination_chain)
    finally:
        await db.close()
        snapshots.close()


def run_export(args: argparse.Namespace) -> int:
    settings = from_env()
    paths = args.snapshot or list(settings.snapshots)
    with database_url(settings.data_dir, settings.database_url) as url:
        try:
            result = asyncio.run(_export(url, paths, args.snapshot_id,
                                         args.destination_chain or settings.destination_chains[0]))
        except PortalError as exc:
            print(f"portal: {exc.detail}", file=sys.stderr)
            return 1
    text = allowlist.to_csv(result) if args.format == "csv" else msgspec.json.encode(result).decode() + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"portal: wrote {len(result.entries)} entries, root {result.merkle_root} to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
