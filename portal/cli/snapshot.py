"""``portal snapshot build|inspect|proof|verify|from-chain``: the snapshot library from the shell.

stdout is one JSON object; problems go to stderr (``line N: reason`` for a bad holder list).
Exit codes: 0 ok, 1 refused list or corrupt artifact, 2 bad usage (e.g. a malformed address).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import msgspec

import snapshot
from portal.cli import snapshot_chain


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("snapshot", help="build and inspect snapshot artifacts")
    commands = parser.add_subparsers(dest="snapshot_command", required=True, metavar="SUBCOMMAND")
    build = commands.add_parser("build", help="holder list (CSV address,amount or JSON lines) -> artifact")
    build.add_argument("input", type=Path)
    build.add_argument("--out", type=Path, required=True, help="directory for <sha256>.snap")
    build.add_argument("--name")
    build.add_argument("--block", type=_block_number, help="block (EVM) or slot (Solana) of the snapshot")
    build.set_defaults(func=run_build)
    inspect = commands.add_parser("inspect", help="print the artifact's manifest")
    inspect.add_argument("artifact", type=Path)
    inspect.set_defaults(func=run_inspect)
    proof = commands.add_parser("proof", help="eligibility and Merkle proof of one address")
    proof.add_argument("artifact", type=Path)
    proof.add_argument("address")
    proof.set_defaults(func=run_proof)
    verify = commands.add_parser("verify", help="re-hash the whole artifact; exit 1 on any corruption")
    verify.add_argument("artifact", type=Path)
    snapshot_chain.add_rebuild_options(verify)
    verify.set_defaults(func=run_verify)
    snapshot_chain.register_from_chain(commands)


def _block_number(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return int(text)


def _print(value: object) -> None:
    sys.stdout.write(msgspec.json.encode(value).decode() + "\n")


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rbuilding snapshot: {100 * done // total:3d}%")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run_build(args: argparse.Namespace) -> int:
    if not args.input.is_file():
        print(f"portal: {args.input}: no such file", file=sys.stderr)
        return 2
    try:
        manifest = snapshot.build_artifact(args.input, args.out, name=args.name, block=args.block,
                                           progress=_progress if sys.stderr.isatty() else None)
    except snapshot.HolderListError as exc:
        for line, reason in exc.problems:
            print(f"line {line}: {reason}", file=sys.stderr)
        if exc.total_problems > len(exc.problems):
            print(f"... and {exc.total_problems - len(exc.problems)} more", file=sys.stderr)
        print(f"portal: refused {args.input}: {exc.total_problems} bad row(s); no artifact written",
              file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"portal: cannot write the artifact: {exc}", file=sys.stderr)
        return 1
    _print(manifest)
    return 0


def _open(path: Path) -> snapshot.Snapshot | None:
    try:
        return snapshot.Snapshot.open(path)
    except snapshot.ArtifactError as exc:
        print(f"portal: {exc}", file=sys.stderr)
        return None


def run_inspect(args: argparse.Namespace) -> int:
    opened = _open(args.artifact)
    if opened is None:
        return 1
    with opened:
        _print(opened.manifest)
    return 0


def run_proof(args: argparse.Namespace) -> int:
    try:
        address = snapshot.parse_address(args.address)
    except snapshot.InvalidAddressError as exc:
        print(f"portal: address: {exc} [{exc.code}]", file=sys.stderr)
        return 2
    opened = _open(args.artifact)
    if opened is None:
        return 1
    with opened:
        manifest = opened.manifest
        entry = opened.lookup(address)
    if entry is None:
        _print({"address": address.text, "eligible": False, "snapshot_id": manifest.id, "amount": None,
                "leaf_index": None, "proof": [], "merkle_root": manifest.merkle_root})
    else:
        _print({"address": entry.address, "eligible": True, "snapshot_id": manifest.id, "amount": str(entry.amount),
                "leaf_index": entry.leaf_index, "proof": entry.proof, "merkle_root": manifest.merkle_root})
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
            print(f"portal: {exc}", file=sys.stderr)
            return 1
        _print({"ok": True, "entries": opened.manifest.entries, "merkle_root": opened.manifest.merkle_root,
                "sha256": opened.manifest.sha256})
    return 0
