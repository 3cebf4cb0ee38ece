"""The allowlist: approved manual requests as an OpenZeppelin ``StandardMerkleTree`` a claim contract honours.

Each approved request of a snapshot becomes one value ``(snapshot address, destination, amount)``
ABI-encoded as ``["address", "address", "uint256"]``; a Solana snapshot address is ``bytes32``
(its public key), and so is a Solana destination. One allowlist holds the approved requests of one
destination chain (each request names its own; ``destination_chain`` of the export). The tree is
``snapshot.merkle.standard_tree`` (OpenZeppelin's layout), so the root and every proof equal what
``@openzeppelin/merkle-tree`` computes for the same values.

Invariants: entries are ordered by snapshot address (the export is deterministic for a given set of
approvals); an empty allowlist has ``merkle_root = None`` and no entries; the export reads one
consistent snapshot of the table (one transaction).
"""

from __future__ import annotations

import csv
import io

import msgspec

from portal.domain.eligibility import SnapshotSet
from portal.errors import NotFoundError, UnprocessableError
from portal.store import review as store
from portal.store.database import Connection
from snapshot.addresses import parse_address
from snapshot.errors import InvalidAddressError as BadAddressError
from snapshot.merkle import standard_tree

LEAF_TYPES = {"evm": "address", "solana": "bytes32"}
CSV_HEADER = ["snapshot_address", "destination", "amount", "proof"]


class AllowlistEntry(msgspec.Struct, frozen=True):
    snapshot_address: str
    destination: str
    amount: str
    proof: list[str]


class Allowlist(msgspec.Struct, frozen=True):
    snapshot_id: str
    destination_chain: str
    merkle_root: str | None
    leaf_encoding: list[str]
    entries: list[AllowlistEntry]


def _raw(text: str, chain: str, what: str) -> bytes:
    try:
        address = parse_address(text)
    except BadAddressError as exc:
        raise UnprocessableError(f"{what} {text} does not parse ({exc}); the allowlist cannot encode it") from None
    if address.chain != chain:
        raise UnprocessableError(f"{what} {text} is not a {chain} address; the allowlist cannot encode it")
    return address.raw


def encode_value(snapshot_raw: bytes, destination_raw: bytes, amount: int) -> bytes:
    """``abi.encode(address|bytes32, address|bytes32, uint256)``: three left-padded 32-byte words."""
    return snapshot_raw.rjust(32, b"\0") + destination_raw.rjust(32, b"\0") + amount.to_bytes(32)


def build(snapshot_id: str, snapshot_chain: str, destination_chain: str,
          approved: list[store.ApprovedEntry]) -> Allowlist:
    encoding = [LEAF_TYPES[snapshot_chain], LEAF_TYPES[destination_chain], "uint256"]
    if not approved:
        return Allowlist(snapshot_id, destination_chain, None, encoding, [])
    values = [encode_value(_raw(entry.snapshot_address, snapshot_chain, "snapshot address"),
                           _raw(entry.destination, destination_chain, "destination"), entry.amount)
              for entry in approved]
    tree = standard_tree(values)
    entries = [AllowlistEntry(entry.snapshot_address, entry.destination, str(entry.amount),
                              ["0x" + node.hex() for node in tree.proof(index)])
               for index, entry in enumerate(approved)]
    return Allowlist(snapshot_id, destination_chain, "0x" + tree.root.hex(), encoding, entries)


async def export(conn: Connection, snapshots: SnapshotSet, snapshot_id: str, *, destination_chain: str) -> Allowlist:
    manifest = next((m for m in snapshots.manifests if m.id == snapshot_id), None)
    if manifest is None:
        raise NotFoundError(f"no snapshot {snapshot_id!r} is loaded", field="snapshot_id")
    approved = [entry for entry in await store.approved_entries(conn, snapshot_id)
                if entry.destination_chain == destination_chain]
    return build(snapshot_id, manifest.chain, destination_chain, approved)


def to_csv(allowlist: Allowlist) -> str:
    """One row per entry under a header; a proof's nodes are joined by ``:`` (the root travels beside it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for entry in allowlist.entries:
        writer.writerow([entry.snapshot_address, entry.destination, entry.amount, ":".join(entry.proof)])
    return out.getvalue()
