"""Snapshots rebuilt from the chain by anyone: ERC-20 Transfer logs to a block, SPL token accounts at a slot.

``from_evm`` and ``from_solana`` read the node, leave out the exclude list's addresses, write the
holder CSV and the artifact, and record in the artifact's header the ``source`` a rebuild needs
(chain, method, token or mint, block or slot, the exclude list's sha256, tool version). ``compare``
puts a rebuilt artifact beside the published one. Nothing here imports ``portal``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec

from snapshot.addresses import parse_address
from snapshot.artifact import Manifest, Snapshot
from snapshot.errors import ChainError, InvalidAddressError
from snapshot.from_chain.evm import DEFAULT_CHUNK_BLOCKS, EvmScan, StageProgress, read_evm
from snapshot.from_chain.output import ExcludeList, address_text, tool_version, write_snapshot
from snapshot.from_chain.rpc import JsonRpcClient, RpcError
from snapshot.from_chain.solana import SolanaScan, read_solana

__all__ = [
    "DEFAULT_CHUNK_BLOCKS",
    "EVM_METHOD",
    "SOLANA_METHOD",
    "ChainError",
    "Comparison",
    "ExcludeList",
    "FromChain",
    "JsonRpcClient",
    "RpcError",
    "StageProgress",
    "compare",
    "from_evm",
    "from_solana",
]
EVM_METHOD = "erc20-transfer-logs"
SOLANA_METHOD = "spl-token-accounts"


class FromChain(msgspec.Struct):
    """What a from-chain build wrote and what the operator should read: the manifest, the holder CSV's
    path, and the reader's report (excluded holders; for Solana off-curve owners, frozen, delegated)."""

    manifest: Manifest
    holders_csv: str
    report: dict


def _excluded(balances: dict[bytes, int], exclude: ExcludeList) -> tuple[dict[bytes, int], list[str]]:
    left_out = sorted(key for key in balances if key in exclude.keys)
    return ({key: amount for key, amount in balances.items() if key not in exclude.keys},
            [address_text(exclude.chain, key) for key in left_out])


def _utc(seconds: object) -> str | None:
    if not isinstance(seconds, int) or seconds < 0:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")


def block_time(client: JsonRpcClient, chain: str, block: int) -> str | None:
    """When ``block`` (EVM) or ``slot`` (Solana) was made, ISO 8601 UTC, or None when the node does not say
    (a pruned node, a test front without the method): the holder page then says the time is unknown."""
    try:
        if chain == "evm":
            found = client.call("eth_getBlockByNumber", [hex(block), False])
            return _utc(int(found["timestamp"], 16)) if isinstance(found, dict) and found.get("timestamp") else None
        return _utc(client.call("getBlockTime", [block]))
    except (ChainError, ValueError, TypeError):
        return None


def from_evm(client: JsonRpcClient, *, token: str, block: int, out_dir: Path, csv_path: Path,
             from_block: int = 0, exclude: ExcludeList | None = None, name: str | None = None,
             expected_chain_id: int | None = None, chunk_blocks: int = DEFAULT_CHUNK_BLOCKS,
             progress: StageProgress | None = None) -> FromChain:
    try:
        address = parse_address(token)
    except InvalidAddressError as exc:
        raise ChainError(f"token: {exc}") from None
    if address.chain != "evm":
        raise ChainError(f"token: {token} is not an EVM address")
    exclude = exclude or ExcludeList.none("evm")
    scan: EvmScan = read_evm(client, address.raw, block, from_block=from_block, expected_chain_id=expected_chain_id,
                             chunk_blocks=chunk_blocks, progress=progress)
    balances, excluded = _excluded(scan.balances, exclude)
    source = {"chain": "evm", "method": EVM_METHOD, "chain_id": scan.chain_id, "token": address.text,
              "block": block, "block_time": block_time(client, "evm", block), "from_block": from_block,
              "exclude_sha256": exclude.sha256, "exclude_entries": exclude.recorded(), "excluded": len(excluded),
              "balance_check": scan.balance_check, "tool": tool_version()}
    manifest = write_snapshot(balances, chain="evm", csv_path=csv_path, out_dir=out_dir,
                              name=name or f"erc20-{address.text}-{block}", block=block, source=source)
    return FromChain(manifest, str(csv_path), {"excluded": excluded, "logs": scan.logs, "log_calls": scan.log_calls,
                                               "halvings": scan.halvings, "rpc_calls": client.calls})


def from_solana(client: JsonRpcClient, *, mint: str, out_dir: Path, csv_path: Path,
                exclude: ExcludeList | None = None, name: str | None = None,
                expected_genesis_hash: str | None = None, progress: StageProgress | None = None) -> FromChain:
    exclude = exclude or ExcludeList.none("solana")
    scan: SolanaScan = read_solana(client, mint, expected_genesis_hash=expected_genesis_hash, progress=progress)
    balances: dict[bytes, int] = {}
    excluded: set[bytes] = set()
    for account, owner, amount in scan.accounts:
        if owner in exclude.keys or account in exclude.keys:
            excluded.add(owner if owner in exclude.keys else account)
            continue
        balances[owner] = balances.get(owner, 0) + amount
    source = {"chain": "solana", "method": SOLANA_METHOD, "genesis_hash": scan.genesis_hash, "mint": mint,
              "token_program": scan.token_program, "decimals": scan.decimals, "slot": scan.slot,
              "block_time": block_time(client, "solana", scan.slot), "min_context_slot": scan.min_context_slot,
              "slots": scan.slots, "exclude_sha256": exclude.sha256, "exclude_entries": exclude.recorded(),
              "excluded": len(excluded), "off_curve_owners": len(scan.off_curve_owners),
              "frozen_accounts": len(scan.frozen), "delegated_accounts": len(scan.delegated), "tool": tool_version()}
    manifest = write_snapshot(balances, chain="solana", csv_path=csv_path, out_dir=out_dir,
                              name=name or f"spl-{mint}-{scan.slot}", block=scan.slot, source=source,
                              decimals=scan.decimals)
    report = {"excluded": sorted(address_text("solana", key) for key in excluded),
              "off_curve_owners": scan.off_curve_owners, "frozen": msgspec.to_builtins(scan.frozen),
              "delegated": msgspec.to_builtins(scan.delegated), "rpc_calls": client.calls}
    return FromChain(manifest, str(csv_path), report)


class Comparison(msgspec.Struct):
    """A published artifact beside its rebuild: ``same`` when their holder lists (hence roots) are equal."""

    same: bool
    published_root: str
    rebuilt_root: str
    published_sha256: str
    rebuilt_sha256: str
    identical_file: bool
    entries: tuple[int, int]
    added: int
    removed: int
    changed: int
    examples: list[str]
    slot_difference: int | None = None


def _holders(artifact: Snapshot) -> dict[bytes, int]:
    return {artifact.key_at(number): artifact.value_at(number)[0] for number in range(artifact.manifest.entries)}


def compare(published: Snapshot, rebuilt: Snapshot) -> Comparison:
    old, new = _holders(published), _holders(rebuilt)
    chain = published.chain
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = sorted(key for key in set(old) & set(new) if old[key] != new[key])
    examples = ([f"{address_text(chain, key)}: {old[key]} -> {new[key]}" for key in changed[:5]]
                + [f"{address_text(chain, key)}: only in the rebuild ({new[key]})" for key in added[:3]]
                + [f"{address_text(chain, key)}: only in the published snapshot ({old[key]})" for key in removed[:3]])
    slot_difference = None
    if chain == "solana" and published.manifest.block is not None and rebuilt.manifest.block is not None:
        slot_difference = rebuilt.manifest.block - published.manifest.block
    return Comparison(same=published.manifest.merkle_root == rebuilt.manifest.merkle_root,
                      published_root=published.manifest.merkle_root, rebuilt_root=rebuilt.manifest.merkle_root,
                      published_sha256=published.manifest.sha256, rebuilt_sha256=rebuilt.manifest.sha256,
                      identical_file=published.manifest.sha256 == rebuilt.manifest.sha256,
                      entries=(published.manifest.entries, rebuilt.manifest.entries), added=len(added),
                      removed=len(removed), changed=len(changed), examples=examples, slot_difference=slot_difference)
