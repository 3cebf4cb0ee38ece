"""The allowlist: approved manual requests as the tree the destination chain's claim program honours.

One allowlist holds the approved requests of one destination chain (each request names its own;
``destination_chain`` of the export), amounts converted to the destination token's base units
(``portal.domain.destinations``; rounded down, the remainders reported).

- EVM: each request becomes one value ``(snapshot address, destination, amount)`` ABI-encoded as
  ``["address", "address", "uint256"]`` (a Solana snapshot address is ``bytes32``, its public key)
  in ``snapshot.merkle.standard_tree``, so the root and every proof equal what
  ``@openzeppelin/merkle-tree`` computes for the same values.
- Solana: the merkle-distributor's tree of ``(destination public key, amount)``
  (``build_distributor``), which its ``new_claim`` verifies.

Invariants: entries are ordered by snapshot address (the export is deterministic for a given set of
approvals); an empty allowlist has ``merkle_root = None`` and no entries; the export reads one
consistent snapshot of the table (one transaction). An approved row no release on the chain can
hold (an amount beyond u64 or uint256, a total beyond u64, an address of another chain: approved
before decisions checked this; a contract-wallet proof made on another chain id than the EVM allowlist's
``chain_id``, ``PORTAL_EVM_CHAIN_ID``) is left out and listed in ``excluded`` with its reason
(``portal.domain.releasable``), so one row never makes the whole export fail; ``build`` and
``build_distributor`` themselves still refuse such rows.
"""

from __future__ import annotations

import csv
import io

import msgspec

from portal.domain import destinations, releasable
from portal.domain.eligibility import SnapshotSet
from portal.errors import NotFoundError, UnprocessableError
from portal.store import review as store
from portal.store.database import Connection
from snapshot import distributor
from snapshot.addresses import b58encode, parse_address
from snapshot.conversion import Conversion, Totals
from snapshot.errors import InvalidAddressError as BadAddressError
from snapshot.merkle import standard_tree

LEAF_TYPES = {"evm": "address", "solana": "bytes32"}
CSV_HEADER = ["snapshot_address", "destination", "amount", "proof", "chain_id"]  # chain_id: added last (issue 26)
DISTRIBUTOR_CSV_HEADER = ["destination", "amount", "locked_amount", "leaf_index", "snapshot_addresses", "proof"]


class AllowlistEntry(msgspec.Struct, frozen=True):
    """One approved request; ``chain_id`` the EVM chain its claim is on (a contract wallet's proof holds there only)."""

    snapshot_address: str
    destination: str
    amount: str
    proof: list[str]
    chain_id: int | None = None


class Allowlist(msgspec.Struct, frozen=True):
    """Approved requests to EVM destinations as an OpenZeppelin tree; ``amount``s are in the claim
    token's base units (``decimals``; converted when the destination declares a token, with what
    rounding dropped in ``conversion``)."""

    snapshot_id: str
    destination_chain: str
    merkle_root: str | None
    leaf_encoding: list[str]
    entries: list[AllowlistEntry]
    tree: str = "oz"
    decimals: int | None = None
    conversion: Totals | None = None
    excluded: list[releasable.ExcludedEntry] = msgspec.field(default_factory=list)
    chain_id: int | None = None  # EVM: the chain id the entries are for (``PORTAL_EVM_CHAIN_ID``)


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
          approved: list[store.ApprovedEntry], *, conversion: Conversion | None = None,
          decimals: int | None = None) -> Allowlist:
    """The OpenZeppelin tree of (snapshot address, destination, amount), amounts converted first
    when ``conversion`` is given (rounded down; the remainders totalled in ``conversion``)."""
    encoding = [LEAF_TYPES[snapshot_chain], LEAF_TYPES[destination_chain], "uint256"]
    if not approved:
        return Allowlist(snapshot_id, destination_chain, None, encoding, [], decimals=decimals)
    amounts = [conversion.convert(entry.amount) if conversion else entry.amount for entry in approved]
    for entry, amount in zip(approved, amounts, strict=True):
        problem = releasable.amount_problem(amount, destination_chain)
        if problem is not None:
            raise UnprocessableError(f"{entry.snapshot_address}: {problem}", field="destination_chain")
    values = [encode_value(_raw(entry.snapshot_address, snapshot_chain, "snapshot address"),
                           _raw(entry.destination, destination_chain, "destination"), amount)
              for entry, amount in zip(approved, amounts, strict=True)]
    tree = standard_tree(values)
    entries = [AllowlistEntry(entry.snapshot_address, entry.destination, str(amount),
                              ["0x" + node.hex() for node in tree.proof(index)])
               for index, (entry, amount) in enumerate(zip(approved, amounts, strict=True))]
    totals = conversion.totals(entry.amount for entry in approved) if conversion else None
    return Allowlist(snapshot_id, destination_chain, "0x" + tree.root.hex(), encoding, entries, decimals=decimals,
                     conversion=totals)


async def export(conn: Connection, snapshots: SnapshotSet, snapshot_id: str, *,
                 destination_chain: str, evm_chain_id: int | None = None) -> Allowlist | DistributorAllowlist:
    """The approved requests of ``snapshot_id`` to ``destination_chain``: an OpenZeppelin tree for EVM
    (on chain ``evm_chain_id``: a request proven by a contract wallet on another chain is left out), the
    merkle-distributor's tree for Solana, amounts converted as ``snapshots.destinations`` says."""
    manifest = next((m for m in snapshots.manifests if m.id == snapshot_id), None)
    if manifest is None:
        raise NotFoundError(f"no snapshot {snapshot_id!r} is loaded", field="snapshot_id")
    approved = [entry for entry in await store.approved_entries(conn, snapshot_id)
                if entry.destination_chain == destination_chain]
    conversion = destinations.conversion(snapshots.destinations, destination_chain, manifest.decimals)
    decimals = manifest.decimals if conversion is None else conversion.to_decimals
    chain_id = evm_chain_id if destination_chain == "evm" else None
    approved, excluded = releasable.partition(approved, convert=conversion.convert if conversion else int,
                                              snapshot_chain=manifest.chain, destination_chain=destination_chain,
                                              chain_id=chain_id)
    result: Allowlist | DistributorAllowlist
    if destination_chain == "solana":
        result = build_distributor(snapshot_id, approved, conversion=conversion, decimals=decimals)
    else:
        result = on_chain(build(snapshot_id, manifest.chain, destination_chain, approved, conversion=conversion,
                                decimals=decimals), chain_id)
    return msgspec.structs.replace(result, excluded=excluded) if excluded else result


def on_chain(allowlist: Allowlist, chain_id: int | None) -> Allowlist:
    """``allowlist`` with every entry naming ``chain_id``, the EVM chain its claims are on (not part of the leaf)."""
    if chain_id is None:
        return allowlist
    entries = [msgspec.structs.replace(entry, chain_id=chain_id) for entry in allowlist.entries]
    return msgspec.structs.replace(allowlist, entries=entries, chain_id=chain_id)


def to_csv(allowlist: Allowlist | DistributorAllowlist) -> str:
    """One row per entry under a header; a proof's nodes are joined by ``:`` (the root travels beside it).
    A distributor allowlist has a row per claimant, its snapshot addresses joined by ``:`` too."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if isinstance(allowlist, DistributorAllowlist):
        writer.writerow(DISTRIBUTOR_CSV_HEADER)
        for claimant in allowlist.entries:
            writer.writerow([claimant.destination, claimant.amount, claimant.locked_amount, claimant.leaf_index,
                             ":".join(claimant.snapshot_addresses), ":".join(claimant.proof)])
        return out.getvalue()
    writer.writerow(CSV_HEADER)
    for entry in allowlist.entries:
        writer.writerow([entry.snapshot_address, entry.destination, entry.amount, ":".join(entry.proof),
                         "" if entry.chain_id is None else entry.chain_id])
    return out.getvalue()


# --- Solana destinations: the merkle-distributor's tree (issue 14) ---------------------------------
# A claim on Solana goes through the merkle-distributor program, which reads its own tree of
# (claimant, amount_unlocked, amount_locked), not OpenZeppelin's. The claimant is the destination
# public key: the program pays whoever signs as it, so the proof must name the destination.


class DistributorEntry(msgspec.Struct, frozen=True):
    """One claimant of the distributor tree: what ``new_claim`` is given (``amount`` unlocked,
    ``locked_amount`` 0, ``proof``), and the snapshot addresses whose approvals it adds up."""

    destination: str
    amount: str
    locked_amount: int
    leaf_index: int
    proof: list[str]
    snapshot_addresses: list[str]


class DistributorAllowlist(msgspec.Struct, frozen=True):
    """Approved requests to Solana destinations as one merkle-distributor tree.

    ``merkle_root``, ``max_num_nodes`` and ``max_total_claim`` are what ``new_distributor`` is
    created with; ``decimals`` is the claim token's; ``conversion`` reports what rounding dropped.
    """

    snapshot_id: str
    destination_chain: str
    tree: str
    merkle_root: str | None
    max_num_nodes: int
    max_total_claim: str
    decimals: int | None
    conversion: Totals | None
    entries: list[DistributorEntry]
    excluded: list[releasable.ExcludedEntry] = msgspec.field(default_factory=list)


def build_distributor(snapshot_id: str, approved: list[store.ApprovedEntry], *,
                      conversion: Conversion | None = None, decimals: int | None = None) -> DistributorAllowlist:
    """The distributor tree of (destination public key, converted amount) over ``approved``.

    Two approvals paying one destination become one node with the amounts added, in the order of
    first appearance: what ``AirdropMerkleTree::new`` does with repeated claimants. Amounts are
    converted per approval (rounded down) before adding, so each holder's remainder is their own.
    Raises ``UnprocessableError`` for a destination that is not a Solana key, and for an amount or
    total beyond u64 (the program's amount type).
    """
    if not approved:
        return DistributorAllowlist(snapshot_id, "solana", "distributor", None, 0, "0", decimals, None, [])
    amounts = [conversion.convert(entry.amount) if conversion else entry.amount for entry in approved]
    claims = distributor.combine(distributor.Claim(_raw(entry.destination, "solana", "destination"), amount)
                                 for entry, amount in zip(approved, amounts, strict=True))
    holders: dict[bytes, list[str]] = {}
    for entry in approved:
        holders.setdefault(_raw(entry.destination, "solana", "destination"), []).append(entry.snapshot_address)
    try:
        tree = distributor.AirdropTree(claims)
        total = sum(claim.amount for claim in claims)
        distributor.check_u64(total, "the total of the claims (max_total_claim)")
    except distributor.DistributorLimitError as exc:
        raise UnprocessableError(f"the Solana allowlist cannot be a distributor tree: {exc}",
                                 field="destination_chain") from None
    entries = [DistributorEntry(b58encode(claim.claimant), str(claim.amount), 0, index,
                                ["0x" + node.hex() for node in tree.proof(index)], holders[claim.claimant])
               for index, claim in enumerate(claims)]
    totals = conversion.totals(entry.amount for entry in approved) if conversion else None
    return DistributorAllowlist(snapshot_id, "solana", "distributor", "0x" + tree.root.hex(), len(claims),
                                str(total), decimals, totals, entries)


def to_distributor_json(allowlist: DistributorAllowlist) -> bytes:
    """The tree as ``jup-ag/distributor``'s ``AirdropMerkleTree`` JSON (what its CLI's
    ``new-distributor`` and claim commands read), byte for byte as its ``write_to_file`` writes it."""
    if allowlist.merkle_root is None:
        left_out = (f" ({len(allowlist.excluded)} approved request(s) left out: see the JSON export's excluded)"
                    if allowlist.excluded else "")
        raise UnprocessableError(f"no approved requests to Solana destinations{left_out}: there is no tree to write",
                                 field="destination_chain")
    claims = [distributor.Claim(_raw(entry.destination, "solana", "destination"), int(entry.amount))
              for entry in allowlist.entries]
    nodes = (distributor.tree_node_json(claim, b"".join(bytes.fromhex(node[2:]) for node in entry.proof))
             for claim, entry in zip(claims, allowlist.entries, strict=True))
    return b"".join(distributor.airdrop_tree_json(bytes.fromhex(allowlist.merkle_root[2:]), 0, claims, nodes))
