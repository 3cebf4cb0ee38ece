"""``portal release prepare|distributor|publish|verify|sync|export-static``: freeze, name, publish and check releases.

The flow (README, "Releases"): ``prepare`` writes ``release.md`` and ``release.entries.json`` beside
it from the approvals no published release holds; the operator deploys the claim contract with the
root and records its address with ``distributor`` (refused once anyone has signed: the signatures
must cover it); the root's signers sign with ``portal policy sign|add-signature``; ``publish`` posts
the three files; anyone runs ``verify`` from the root they hold. Exit codes: 0 ok, 1 refused or
nothing to release, 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from pathlib import Path

import msgspec

from policy.errors import PolicyError
from policy.release import entries_path
from policy.release_remote import verify_releases
from policy.release_writing import set_distributor
from policy.remote import FetchError
from policy.signatures import load_signatures, sig_path
from portal.cli.allowlist import snapshot_paths
from portal.cli.db import database_url
from portal.cli.output import fail, print_json, say
from portal.cli.passphrase import CliError
from portal.cli.policy import TOKEN_ENV, _post
from portal.domain import claim_sync, destinations, release_reads, releases
from portal.domain.claim_reader import Web3ClaimReader
from portal.domain.context import UseCaseContext
from portal.domain.eligibility import SnapshotSet
from portal.domain.solana_claims import SolanaClaimReader
from portal.errors import NothingToReleaseError, PortalError
from portal.settings import Settings, from_env
from portal.store.database import Database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("release", help="signed releases: the claim trees holders claim from")
    commands = parser.add_subparsers(dest="release_command", required=True, metavar="SUBCOMMAND")
    prepare = commands.add_parser("prepare", help="freeze the approvals no release holds into the next release")
    prepare.add_argument("--destination-chain", choices=("evm", "solana"), required=True)
    prepare.add_argument("--tree", choices=("uniswap", "oz", "distributor"),
                         help="claim tree (default: uniswap for evm, distributor for solana)")
    prepare.add_argument("--claim-deadline", help="ISO datetime with a timezone, e.g. 2027-04-01T00:00:00Z")
    prepare.add_argument("--out", type=Path, required=True, help="the document (entries are written beside it)")
    prepare.add_argument("--snapshot", action="append", default=[], metavar="PATH",
                         help="snapshot artifact (repeatable; default $PORTAL_SNAPSHOTS)")
    prepare.set_defaults(func=run_prepare)
    name = commands.add_parser("distributor", help="write the claim contract's address into DOC (before signing)")
    name.add_argument("doc", type=Path)
    name.add_argument("address")
    name.add_argument("--program", help="Solana: the distributor program the distributor account lives under")
    name.set_defaults(func=run_distributor)
    publish = commands.add_parser("publish", help="POST DOC, its entries and its signatures to a portal")
    publish.add_argument("doc", type=Path)
    publish.add_argument("--url", required=True)
    publish.add_argument("--token", help=f"publisher token (default ${TOKEN_ENV})")
    publish.set_defaults(func=run_publish)
    verify = commands.add_parser("verify", help="verify every release a portal serves")
    verify.add_argument("--url", required=True, help="the portal's base URL")
    verify.add_argument("--root-sha256", required=True, help="the sha256 of the trust root you hold")
    verify.set_defaults(func=run_verify)
    static = commands.add_parser("export-static", help="every published release as files for a CDN")
    static.add_argument("--out", type=Path, required=True, help="a directory (made if missing)")
    static.set_defaults(func=run_export_static)
    sync = commands.add_parser("sync", help="one pass of claim status from the chains (PORTAL_EVM_RPC_URL, "
                                            "PORTAL_SOLANA_RPC_URL)")
    sync.set_defaults(func=run_sync)


def _deadline(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"--claim-deadline: {text!r} is not an ISO datetime") from None
    if moment.tzinfo is None:
        raise CliError("--claim-deadline: give a timezone (e.g. 2027-04-01T00:00:00Z)")
    return moment


async def _prepare(url: str, paths: list[str], targets: destinations.Destinations, args: argparse.Namespace,
                   deadline: dt.datetime | None, evm_chain_id: int) -> releases.Frozen:
    snapshots = SnapshotSet.open(paths, targets)
    db = await Database.open(url, size=1)
    try:
        async with db.transaction() as conn:
            return await releases.prepare(conn, releases.Target(snapshots, evm_chain_id), args.destination_chain,
                                          tree=args.tree,
                                          claim_deadline=deadline, now=dt.datetime.now(dt.UTC))
    finally:
        await db.close()
        snapshots.close()


def _guarded(func):
    """Expected failures as one line on stderr and an exit code."""
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except CliError as exc:
            return fail(str(exc), exc.exit_code)
        except PolicyError as exc:
            return fail(f"{exc.code}: {exc}", 2 if exc.code == "invalid_document" else 1)
        except FetchError as exc:
            return fail(str(exc), 2)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            return fail(str(exc), 2)
    run.__doc__ = func.__doc__
    return run


@_guarded
def run_prepare(args: argparse.Namespace) -> int:
    settings = from_env()
    deadline = _deadline(args.claim_deadline)
    entries_out = args.out.with_name(entries_path(args.out.name))
    for path in (args.out, entries_out):
        if path.exists():
            raise CliError(f"{path} exists; refusing to overwrite a release")
    paths = snapshot_paths(args.snapshot, settings)
    if not paths:
        raise CliError("no snapshot artifacts found: pass --snapshot PATH or set PORTAL_SNAPSHOTS", 2)
    targets = destinations.load(settings.destinations_file)
    with database_url(settings.data_dir, settings.database_url) as url:
        try:
            frozen = asyncio.run(_prepare(url, paths, targets, args, deadline, settings.evm_chain_id))
        except NothingToReleaseError as exc:
            return fail(exc.detail, 1)
        except PortalError as exc:
            return fail(exc.detail, 2)
    for left_out in frozen.excluded:
        held = "held back" if left_out.code == "proof_on_other_chain" else "left out"
        say(f"{held} {left_out.snapshot_address} -> {left_out.destination}: {left_out.reason}")
    prepared = frozen.prepared
    args.out.write_text(prepared.text, encoding="utf-8", newline="")
    entries_out.write_bytes(prepared.entries_bytes)
    print_json({"path": str(args.out), "number": frozen.number, "destination_chain": frozen.destination_chain,
                "tree": frozen.tree, "merkle_root": prepared.merkle_root, "entries": len(prepared.entries),
                "total": str(prepared.total), "entries_sha256": prepared.entries_sha256,
                **({"chain_id": frozen.chain_id} if frozen.chain_id is not None else {}),
                "held_back": [{"snapshot_address": e.snapshot_address, "destination": e.destination,
                               "proof_chain_id": e.proof_chain_id, "reason": e.reason} for e in frozen.held_back]})
    return 0


@_guarded
def run_distributor(args: argparse.Namespace) -> int:
    signatures = load_signatures(sig_path(args.doc))
    if signatures:
        raise CliError(f"refused: {sig_path(args.doc)} already holds {len(signatures)} signature(s), which cover "
                       "the document without this address; prepare a new release instead", 1)
    args.doc.write_bytes(set_distributor(args.doc.read_bytes(), args.address, args.program))
    print_json({"path": str(args.doc), "distributor": args.address, "program": args.program})
    return 0


@_guarded
def run_publish(args: argparse.Namespace) -> int:
    entries = args.doc.with_name(entries_path(args.doc.name))
    body = {"document": args.doc.read_bytes().decode("utf-8"), "entries": entries.read_bytes().decode("utf-8"),
            "signatures": msgspec.to_builtins(load_signatures(sig_path(args.doc)))}
    return _post(args.url, "/v1/releases", body, args.token)


@_guarded
def run_verify(args: argparse.Namespace) -> int:
    result = verify_releases(args.url, trusted_sha256=args.root_sha256, now=dt.datetime.now(dt.UTC))
    print_json(result)
    return 0


async def _sync(url: str, settings: Settings) -> dict[str, claim_sync.SyncReport]:
    db = await Database.open(url, size=1)
    reports = {}
    try:
        ctx = UseCaseContext(db, SnapshotSet.open([], {}), settings)
        if settings.evm_rpc_url:
            reader = Web3ClaimReader.from_url(settings.evm_rpc_url, timeout_seconds=settings.rpc_timeout_seconds)
            reports["evm"] = await claim_sync.sync_evm(ctx, reader)
        if settings.solana_rpc_url:
            solana = SolanaClaimReader(settings.solana_rpc_url, timeout_seconds=settings.rpc_timeout_seconds)
            try:
                reports["solana"] = await claim_sync.sync_solana(ctx, solana)
            finally:
                solana.close()
        return reports
    finally:
        await db.close()


@_guarded
def run_sync(args: argparse.Namespace) -> int:
    settings = from_env()
    if not settings.evm_rpc_url and not settings.solana_rpc_url:
        raise CliError("set PORTAL_EVM_RPC_URL and/or PORTAL_SOLANA_RPC_URL: claim status is read from the chain", 2)
    with database_url(settings.data_dir, settings.database_url) as url:
        reports = asyncio.run(_sync(url, settings))
    print_json(reports)
    return 1 if any(report.stale for report in reports.values()) else 0


async def _static(url: str) -> dict[str, bytes]:
    db = await Database.open(url, size=1)
    try:
        async with db.transaction() as conn:
            return await release_reads.static_files(conn)
    finally:
        await db.close()


@_guarded
def run_export_static(args: argparse.Namespace) -> int:
    """The files a CDN serves at the server's paths: ``releases/<chain>/<n>.md|.md.sig.json|.entries.json``,
    ``v1/releases.json`` and ``v1/releases/<chain>/<n>.json`` (with ``.<format>.json`` beside it)."""
    settings = from_env()
    with database_url(settings.data_dir, settings.database_url) as url:
        files = asyncio.run(_static(url))
    for relative, body in files.items():
        path = args.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    print_json({"out": str(args.out), "files": len(files), "bytes": sum(len(body) for body in files.values())})
    return 0
