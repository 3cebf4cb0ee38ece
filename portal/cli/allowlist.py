"""``portal allowlist export --snapshot-id ID [--destination-chain evm|solana] [--format json|csv|distributor-json]``.

The same document as ``GET /v1/allowlist``: the approved requests to one destination chain as an
OpenZeppelin StandardMerkleTree (EVM) or the merkle-distributor's tree (Solana), amounts converted
as the destinations file says (the remainders go to stderr). The snapshot artifacts are found as
``portal serve`` finds them: ``--snapshot`` (repeatable), else ``$PORTAL_SNAPSHOTS``, else every
artifact in ``<PORTAL_DATA_DIR>/snapshots/`` (where ``serve --demo`` builds the demo ones), so the
README's ``--snapshot-id <id>`` works as shown.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import msgspec

from portal.cli.db import database_url
from portal.cli.output import say
from portal.domain import allowlist, destinations
from portal.domain.eligibility import SnapshotSet
from portal.errors import PortalError
from portal.settings import Settings, from_env
from portal.store.database import Database

SNAPSHOT_SUFFIX = ".snap"
Exported = allowlist.Allowlist | allowlist.DistributorAllowlist


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("allowlist", help="the manual allowlist")
    commands = parser.add_subparsers(dest="allowlist_command", required=True, metavar="SUBCOMMAND")
    export = commands.add_parser("export", help="approved entries with their Merkle root and proofs")
    export.add_argument("--snapshot-id", required=True)
    export.add_argument("--format", choices=("json", "csv", "distributor-json"), default="json",
                        help="distributor-json: jup-ag's AirdropMerkleTree file (Solana destinations only)")
    export.add_argument("--destinations", metavar="FILE",
                        help="destinations TOML: decimals and ratio per chain (default $PORTAL_DESTINATIONS_FILE)")
    export.add_argument("--destination-chain", choices=("evm", "solana"),
                        help="requests whose destination is on this chain (default: first of "
                             "$PORTAL_DESTINATION_CHAINS)")
    export.add_argument("--out", type=Path, help="write here instead of stdout")
    export.add_argument("--snapshot", action="append", default=[], metavar="PATH",
                        help="snapshot artifact (repeatable; default $PORTAL_SNAPSHOTS)")
    export.set_defaults(func=run_export)


async def _export(url: str, paths: list[str], snapshot_id: str, destination_chain: str,
                  targets: destinations.Destinations, evm_chain_id: int) -> Exported:
    snapshots = SnapshotSet.open(paths, targets)
    db = await Database.open(url, size=1)
    try:
        async with db.transaction() as conn:
            return await allowlist.export(conn, snapshots, snapshot_id, destination_chain=destination_chain,
                                          evm_chain_id=evm_chain_id)
    finally:
        await db.close()
        snapshots.close()


def snapshot_paths(given: list[str], settings: Settings) -> list[str]:
    """``--snapshot`` paths, else ``PORTAL_SNAPSHOTS``, else the artifacts under the data dir."""
    if given or settings.snapshots:
        return list(given or settings.snapshots)
    return [str(path) for path in sorted((Path(settings.data_dir) / "snapshots").glob(f"*{SNAPSHOT_SUFFIX}"))]


def run_export(args: argparse.Namespace) -> int:
    settings = from_env()
    paths = snapshot_paths(args.snapshot, settings)
    if not paths:
        say(f"no snapshot artifacts found: pass --snapshot PATH, set PORTAL_SNAPSHOTS, or build them "
            f"under {Path(settings.data_dir) / 'snapshots'}")
        return 2
    chain = args.destination_chain or settings.destination_chains[0]
    if args.format == "distributor-json" and chain != "solana":
        say("--format distributor-json is the Solana claim program's tree; add --destination-chain solana")
        return 2
    targets = destinations.load(getattr(args, "destinations", None) or settings.destinations_file)
    with database_url(settings.data_dir, settings.database_url) as url:
        try:
            result = asyncio.run(_export(url, paths, args.snapshot_id, chain, targets, settings.evm_chain_id))
            if args.format == "distributor-json":
                assert isinstance(result, allowlist.DistributorAllowlist)
                text = allowlist.to_distributor_json(result).decode()
            elif args.format == "csv":
                text = allowlist.to_csv(result)
            else:
                text = msgspec.json.encode(result).decode() + "\n"
        except PortalError as exc:
            say(f"{exc.detail} (looked in {', '.join(paths)})")
            return 1
    if result.conversion is not None:
        say(f"converted {result.conversion.total} -> {result.conversion.converted} (rounding dropped "
            f"{result.conversion.remainder_units} whole base units, exactly {result.conversion.remainder})")
    for left_out in result.excluded:  # approved before decisions checked releasability: say so, go on
        say(f"left out {left_out.snapshot_address} -> {left_out.destination}: {left_out.reason}")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        say(f"wrote {len(result.entries)} entries, root {result.merkle_root} to {args.out}")
    else:
        sys.stdout.write(text)
    return 0
