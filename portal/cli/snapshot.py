"""``portal snapshot build|inspect|proof|verify|export|export-static|from-chain``: the snapshot library from the
shell.

stdout is one JSON object; problems go to stderr (``line N: reason`` for a bad holder list).
Exit codes: 0 ok, 1 refused list or corrupt artifact, 2 bad usage (e.g. a malformed address).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import snapshot
from portal.cli import snapshot_chain
from portal.cli.output import print_json, say
from portal.domain import destinations as destinations_domain
from portal.domain import static_export
from portal.domain.eligibility import SnapshotSet
from portal.errors import UnprocessableError
from portal.settings import from_env
from snapshot import distributor, exports
from snapshot.conversion import MAX_DECIMALS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("snapshot", help="build and inspect snapshot artifacts")
    commands = parser.add_subparsers(dest="snapshot_command", required=True, metavar="SUBCOMMAND")
    build = commands.add_parser("build", help="holder list (CSV address,amount or JSON lines) -> artifact")
    build.add_argument("input", type=Path)
    build.add_argument("--out", type=Path, required=True, help="directory for <sha256>.snap")
    build.add_argument("--name")
    build.add_argument("--block", type=_block_number, help="block (EVM) or slot (Solana) of the snapshot")
    build.add_argument("--tree", choices=("oz", "distributor"), default="oz",
                       help="oz: OpenZeppelin StandardMerkleTree (EVM claim contracts; default); distributor: "
                            "the Solana merkle-distributor's tree (Solana lists, u64 amounts)")
    build.add_argument("--decimals", type=_decimals, help="the snapshot token's decimals (needed to convert amounts)")
    build.set_defaults(func=run_build)
    inspect = commands.add_parser("inspect", help="print the artifact's manifest")
    inspect.add_argument("artifact", type=Path)
    inspect.set_defaults(func=run_inspect)
    proof = commands.add_parser("proof", help="eligibility and Merkle proof of one address")
    proof.add_argument("artifact", type=Path)
    proof.add_argument("address")
    _destinations_option(proof)
    proof.set_defaults(func=run_proof)
    verify = commands.add_parser("verify", help="re-hash the whole artifact; exit 1 on any corruption")
    verify.add_argument("artifact", type=Path)
    snapshot_chain.add_rebuild_options(verify)
    verify.set_defaults(func=run_verify)
    snapshot_chain.register_from_chain(commands)
    export = commands.add_parser("export", help="the artifact's tree in another tool's format")
    export.add_argument("artifact", type=Path)
    export.add_argument("--format", choices=("distributor-json",), required=True,
                        help="distributor-json: jup-ag/distributor's AirdropMerkleTree JSON")
    export.add_argument("--out", type=Path, required=True,
                        help="the JSON file; with --max-nodes-per-tree a folder of tree_<i>.json")
    export.add_argument("--max-nodes-per-tree", type=_positive, metavar="N",
                        help="split into trees of at most N entries in list order, version = shard index")
    export.add_argument("--destination-chain", choices=("solana",),
                        help="convert amounts to this destination's token first (decimals and ratio)")
    _destinations_option(export)
    export.set_defaults(func=run_export)
    static = commands.add_parser("export-static", help="every address's eligibility answer, for a CDN or KV store")
    static.add_argument("artifacts", type=Path, nargs="+", metavar="ARTIFACT",
                        help="artifacts in the order the API loads them")
    static.add_argument("--out", type=Path, required=True, help="folder (files) or file (kv)")
    static.add_argument("--format", choices=("files", "kv"), default="files",
                        help="files: <shard>/<address>.json + index.json; kv: JSON lines {key, value}")
    _destinations_option(static)
    static.set_defaults(func=run_export_static)


def _destinations_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--destinations", metavar="FILE",
                        help="destinations TOML (default $PORTAL_DESTINATIONS_FILE)")


def _destinations(args: argparse.Namespace) -> destinations_domain.Destinations:
    return destinations_domain.load(args.destinations or from_env().destinations_file)


def _decimals(text: str) -> int:
    value = _block_number(text)
    if value > MAX_DECIMALS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_DECIMALS}, got {value}")
    return value


def _positive(text: str) -> int:
    value = _block_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _block_number(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return int(text)


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rbuilding snapshot: {100 * done // total:3d}%")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run_build(args: argparse.Namespace) -> int:
    if not args.input.is_file():
        say(f"{args.input}: no such file")
        return 2
    try:
        manifest = snapshot.build_artifact(args.input, args.out, name=args.name, block=args.block,
                                           progress=_progress if sys.stderr.isatty() else None,
                                           tree=args.tree, decimals=args.decimals)
    except snapshot.HolderListError as exc:
        for line, reason in exc.problems:
            print(f"line {line}: {reason}", file=sys.stderr)
        if exc.total_problems > len(exc.problems):
            print(f"... and {exc.total_problems - len(exc.problems)} more", file=sys.stderr)
        say(f"refused {args.input}: {exc.total_problems} bad row(s); no artifact written")
        return 1
    except OSError as exc:
        say(f"cannot write the artifact: {exc}")
        return 1
    print_json(manifest)
    return 0


def _open(path: Path) -> snapshot.Snapshot | None:
    try:
        return snapshot.Snapshot.open(path)
    except snapshot.ArtifactError as exc:
        say(str(exc))
        return None


def run_inspect(args: argparse.Namespace) -> int:
    opened = _open(args.artifact)
    if opened is None:
        return 1
    with opened:
        print_json(opened.manifest)
    return 0


def run_proof(args: argparse.Namespace) -> int:
    """The eligibility answer of one address, as ``GET /v1/eligibility`` gives it for this artifact."""
    try:
        address = snapshot.parse_address(args.address)
    except snapshot.InvalidAddressError as exc:
        say(f"address: {exc} [{exc.code}]")
        return 2
    opened = _open(args.artifact)
    if opened is None:
        return 1
    snapshots = SnapshotSet([opened], _destinations(args))
    try:
        sys.stdout.write(snapshots.eligibility_json(address.text).decode() + "\n")
    finally:
        snapshots.close()
    return 0


def run_verify(args: argparse.Namespace) -> int:
    if args.rebuild:
        return snapshot_chain.run_rebuild(args)
    opened = _open(args.artifact)
    if opened is None:
        return 1
    with opened:
        try:
            opened.verify()
        except snapshot.ArtifactError as exc:
            say(str(exc))
            return 1
        print_json({"ok": True, "entries": opened.manifest.entries, "merkle_root": opened.manifest.merkle_root,
                   "sha256": opened.manifest.sha256})
    return 0


def run_export(args: argparse.Namespace) -> int:
    conversion = None
    opened = _open(args.artifact)
    if opened is None:
        return 1
    with opened:
        try:
            if args.destination_chain is not None:
                conversion = destinations_domain.conversion(_destinations(args), args.destination_chain,
                                                            opened.manifest.decimals)
                if conversion is None:
                    say(f"no {args.destination_chain} destination is configured (--destinations)")
                    return 2
            summary = exports.write_distributor_json(opened, args.out, max_nodes_per_tree=args.max_nodes_per_tree,
                                                     conversion=conversion)
        except (snapshot.SnapshotError, distributor.DistributorLimitError, UnprocessableError) as exc:
            say(f"{getattr(exc, 'detail', exc)}")
            return 1
    if summary.conversion is not None:
        say(f"converted {summary.conversion.total} -> {summary.conversion.converted} "
            f"(rounding dropped {summary.conversion.remainder_units} whole base units, exactly "
            f"{summary.conversion.remainder})")
    print_json(summary)
    return 0


def run_export_static(args: argparse.Namespace) -> int:
    destinations = _destinations(args)
    opened = []
    for path in args.artifacts:
        item = _open(path)
        if item is None:
            for other in opened:
                other.close()
            return 1
        opened.append(item)
    snapshots = SnapshotSet(opened, destinations)
    try:
        write = static_export.write_kv if args.format == "kv" else static_export.write_files
        summary = write(snapshots, args.out)
    finally:
        snapshots.close()
    say(f"wrote {summary.entries} answers, {summary.bytes} bytes, to {args.out}")
    print_json({"entries": summary.entries, "bytes": summary.bytes, "out": str(args.out), "format": args.format})
    return 0
