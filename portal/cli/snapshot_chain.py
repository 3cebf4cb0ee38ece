"""``portal snapshot from-chain evm|solana`` and ``portal snapshot verify --rebuild``: snapshots anyone can redo.

stdout is one JSON object (the manifest, the holder CSV's path and the reader's report; or, for a
rebuild, the comparison); every RPC call is logged to stderr (``--log-level``), with a progress bar
when stderr is a terminal. Exit codes: 0 built / rebuilt identical, 1 the node or the data refused
(nothing written) or the rebuild differs, 2 bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import msgspec
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import snapshot
from portal.cli.output import print_json, say
from snapshot import from_chain
from snapshot.from_chain import ChainError, ExcludeList, JsonRpcClient

STAGES = {"logs": "Transfer logs (blocks)", "balances": "balanceOf checks", "accounts": "token account reads"}


def _non_negative(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return int(text)


def _rpc_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--rpc", required=required, metavar="URL", help="the node's JSON-RPC HTTP endpoint")
    parser.add_argument("--exclude", type=Path, metavar="FILE",
                        help="addresses to leave out (treasury, burn, exchanges), one per line, # comments")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per RPC call (default 30)")
    parser.add_argument("--retries", type=int, default=4, help="retries per call, with exponential backoff")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def register_from_chain(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("from-chain", help="build a snapshot from the chain (anyone can redo it)")
    chains = parser.add_subparsers(dest="from_chain", required=True, metavar="CHAIN")
    evm = chains.add_parser("evm", help="ERC-20 Transfer logs up to a block, cross-checked by balanceOf")
    evm.add_argument("--token", required=True, help="the ERC-20 contract address")
    evm.add_argument("--block", type=_non_negative, required=True, help="the snapshot block")
    evm.add_argument("--from-block", type=_non_negative, default=0, help="first block to read (token deployment)")
    evm.add_argument("--chain-id", type=int, help="refuse a node on another chain")
    evm.add_argument("--chunk-blocks", type=int, default=from_chain.DEFAULT_CHUNK_BLOCKS,
                     help="blocks per eth_getLogs call (halved when the node says too many results)")
    solana = chains.add_parser("solana", help="SPL Token / Token-2022 accounts of a mint at the node's slot")
    solana.add_argument("--mint", required=True)
    solana.add_argument("--genesis-hash", help="refuse a node of another cluster")
    for sub in (evm, solana):
        _rpc_options(sub, required=True)
        sub.add_argument("--out", type=Path, required=True, help="directory for <sha256>.snap")
        sub.add_argument("--holders", type=Path, help="where to write the holder CSV (default: in --out)")
        sub.add_argument("--name", help="snapshot name (default: token or mint and block or slot)")
        sub.set_defaults(func=run_from_chain)


def add_rebuild_options(verify: argparse.ArgumentParser) -> None:
    verify.add_argument("--rebuild", action="store_true",
                        help="rebuild from the chain as the manifest's source says, and compare")
    _rpc_options(verify, required=False)


@contextlib.contextmanager
def _reporting(level: str) -> Iterator[from_chain.StageProgress | None]:
    """RPC log lines to stderr for the length of one command, and a progress bar on a terminal."""
    tty = sys.stderr.isatty()
    console = Console(stderr=True) if tty else None
    handler: logging.Handler = RichHandler(console=console, show_path=False) if console else \
        logging.StreamHandler(sys.stderr)
    if not tty:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("snapshot")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(level)
    try:
        if console is None:
            yield None
            return
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=False) as bar:
            tasks: dict[str, int] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
                bar.update(tasks[stage], completed=done, total=total)

            yield progress
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def _client(args: argparse.Namespace) -> JsonRpcClient:
    return JsonRpcClient(args.rpc, timeout_seconds=args.timeout, retries=max(0, args.retries))


def _build(args: argparse.Namespace, chain: str, out: Path, holders: Path, progress: object,
           **given: object) -> from_chain.FromChain:
    exclude = ExcludeList.read(args.exclude, chain)  # type: ignore[arg-type]
    with _client(args) as client:
        if chain == "evm":
            return from_chain.from_evm(client, out_dir=out, csv_path=holders, exclude=exclude,
                                       progress=progress, **given)  # type: ignore[arg-type]
        return from_chain.from_solana(client, out_dir=out, csv_path=holders, exclude=exclude,
                                      progress=progress, **given)  # type: ignore[arg-type]


def run_from_chain(args: argparse.Namespace) -> int:
    if args.from_chain == "evm":
        given = {"token": args.token, "block": args.block, "from_block": args.from_block, "name": args.name,
                 "expected_chain_id": args.chain_id, "chunk_blocks": max(1, args.chunk_blocks)}
        default_csv = f"holders-evm-{args.block}.csv"
    else:
        given = {"mint": args.mint, "name": args.name, "expected_genesis_hash": args.genesis_hash}
        default_csv = "holders-solana.csv"
    holders = args.holders or args.out / default_csv
    try:
        with _reporting(args.log_level) as progress:
            built = _build(args, args.from_chain, args.out, holders, progress, **given)
    except (ChainError, snapshot.HolderListError) as exc:
        say(f"refused: {exc}; nothing written")
        return 1
    except OSError as exc:
        say(f"cannot write the snapshot: {exc}")
        return 1
    print_json(built)
    return 0


def run_rebuild(args: argparse.Namespace) -> int:
    """Rebuild the artifact from the source its header records, into a scratch directory, and compare."""
    if not args.rpc:
        say("--rebuild needs --rpc URL")
        return 2
    try:
        published = snapshot.Snapshot.open(args.artifact)
    except snapshot.ArtifactError as exc:
        say(str(exc))
        return 1
    with published:
        source = published.manifest.source
        if not source or source.get("method") not in (from_chain.EVM_METHOD, from_chain.SOLANA_METHOD):
            say("this artifact records no chain source (built from a CSV?): nothing to rebuild from")
            return 1
        if source.get("exclude_sha256"):
            if args.exclude is None:
                say(f"the snapshot was built with an exclude list (sha256 {source['exclude_sha256']}); "
                    "pass the same file with --exclude")
                return 2
            if hashlib.sha256(args.exclude.read_bytes()).hexdigest() != source["exclude_sha256"]:
                say(f"{args.exclude} is not the exclude list the snapshot was built with "
                    f"(sha256 {source['exclude_sha256']})")
                return 1
        if source["chain"] == "evm":
            given = {"token": source["token"], "block": source["block"], "from_block": source["from_block"],
                     "name": published.manifest.name, "expected_chain_id": source["chain_id"]}
        else:
            given = {"mint": source["mint"], "name": published.manifest.name,
                     "expected_genesis_hash": source["genesis_hash"]}
        with tempfile.TemporaryDirectory(prefix="portal-rebuild-") as scratch:
            try:
                with _reporting(args.log_level) as progress:
                    built = _build(args, source["chain"], Path(scratch), Path(scratch) / "holders.csv", progress,
                                   **given)
            except (ChainError, snapshot.HolderListError) as exc:
                say(f"rebuild refused: {exc}")
                return 1
            with snapshot.Snapshot.open(built.manifest.path) as rebuilt:
                comparison = from_chain.compare(published, rebuilt)
    result = msgspec.to_builtins(comparison)
    if comparison.slot_difference is not None:
        published_slot = published.manifest.block or 0
        result["note"] = (f"Solana RPC reads only the present state: the published snapshot is at slot "
                          f"{published_slot}, "
                          f"the rebuild at slot {published_slot + comparison.slot_difference} "
                          f"({comparison.slot_difference} slots later); holders who moved tokens since then differ")
    elif not comparison.identical_file and comparison.same:
        result["note"] = "same holders and root; the file differs only in its header (tool version or name)"
    print_json(result)
    return 0 if comparison.same else 1
