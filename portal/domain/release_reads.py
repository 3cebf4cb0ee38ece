"""Releases as they are read: summaries, the served entries and files, a holder's release, claim totals.

The write side (``portal.domain.releases``: ``prepare`` and ``publish``) freezes and stores a
release; everything here reads what is stored, so a page, the JSON API, the static export and the
claim-status sync share one reading of it. Built trees are kept for the newest few releases.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import OrderedDict

import msgspec

from policy.release import (
    BuiltTree,
    ReleaseSource,
    decode_entries,
    parse_release,
    release_statement,
)
from policy.release_corrections import ListedCorrection, parse_section
from policy.signatures import Signature, encode_signature_file
from portal.errors import InvalidInputError, NotFoundError
from portal.store import releases as store
from portal.store.database import Connection, Database
from snapshot import distributor
from snapshot.addresses import parse_address


class ReleaseSummary(msgspec.Struct, frozen=True):
    """A published release as ``GET /v1/releases`` lists it."""

    destination_chain: str
    number: int
    tree: str
    merkle_root: str
    entries: int
    total: str
    decimals: int
    distributor: str
    claim_deadline: dt.datetime | None
    published_at: dt.datetime
    sha256: str
    prev: str
    entries_sha256: str
    root_version: int
    statement: str
    signatures: list[Signature]
    program: str = ""
    chain_id: int | None = None  # EVM: the chain id every claim of the release is on (named in its document)
    #: The upheld cases' corrections the release pays, as its signed document lists them (issue 23).
    corrections: list[ListedCorrection] = msgspec.field(default_factory=list)


class ServedEntry(msgspec.Struct, frozen=True):
    index: int
    destination: str
    amount: str
    proof: list[str]
    sources: list[ReleaseSource]
    chain_id: int | None = None  # EVM: the chain the entry is claimed on


class ReleaseDetail(ReleaseSummary, frozen=True):
    """One release with every entry (``claims``) and its proof (the proofs follow from the entries)."""

    claims: list[ServedEntry] = msgspec.field(default_factory=list)


# -- prepare ---------------------------------------------------------------------------------------

def summary(stored: store.StoredRelease) -> ReleaseSummary:
    doc = parse_release(stored.document)
    return ReleaseSummary(
        destination_chain=stored.destination_chain, number=stored.number, tree=stored.tree,
        merkle_root=stored.merkle_root, entries=stored.entry_count, total=str(stored.total), decimals=stored.decimals,
        distributor=stored.distributor, claim_deadline=stored.claim_deadline, published_at=stored.published_at,
        sha256=stored.sha256, prev=stored.prev, entries_sha256=stored.entries_sha256,
        root_version=stored.root_version, statement=release_statement(doc),
        signatures=[Signature(s.signer, s.signature) for s in stored.signatures], program=stored.program,
        chain_id=doc.chain_id, corrections=parse_section(doc.body)[0])


async def listing(conn: Connection) -> list[ReleaseSummary]:
    return [summary(stored) for stored in await store.all_releases(conn)]


async def one(conn: Connection, chain: str, number: int) -> store.StoredRelease:
    stored = await store.get(conn, chain, number)
    if stored is None:
        raise NotFoundError(f"no release {number} of {chain} is published", field="number")
    return stored


async def entries_file(conn: Connection, chain: str, number: int) -> bytes:
    data = await store.entries_file(conn, chain, number)
    if data is None:
        raise NotFoundError(f"no release {number} of {chain} is published", field="number")
    return data


def signature_file(stored: store.StoredRelease) -> bytes:
    """The ``.md.sig.json`` served beside the release: what ``portal policy verify`` reads."""
    return encode_signature_file([Signature(s.signer, s.signature) for s in stored.signatures], stored.root_version)


# Building a tree of 100,000 entries takes about a second; a published release never changes, so the
# few most recently served ones are kept by their sha256.
_TREES: OrderedDict[str, tuple[list, BuiltTree]] = OrderedDict()
_TREES_KEPT = 4


def built(stored: store.StoredRelease, entries_bytes: bytes) -> tuple[list, BuiltTree]:
    """The release's entries and tree (cached by the release's sha256)."""
    if (hit := _cached(stored)) is not None:
        return hit
    entries = decode_entries(entries_bytes)
    value = (entries, BuiltTree(stored.tree, stored.destination_chain, entries))
    _TREES[stored.sha256] = value
    while len(_TREES) > _TREES_KEPT:
        _TREES.popitem(last=False)
    return value


def _cached(stored: store.StoredRelease) -> tuple[list, BuiltTree] | None:
    return _cached_by(stored.sha256)


async def _tree_of(conn: Connection, stored: store.StoredRelease) -> tuple[list, BuiltTree]:
    """``built``, reading the entries file only when the tree is not cached (it can be megabytes)."""
    return _cached(stored) or built(stored, await entries_file(conn, stored.destination_chain, stored.number))


class HolderRelease(msgspec.Struct, frozen=True):
    """What a holder needs to claim: the release and entry holding their request, its proof, the
    contract and the deadline. ``amount`` is the entry's (a destination's approvals are added up) in
    the destination token's base units, ``decimals`` its decimals. ``claimed_at``/``claim_tx`` come
    from the chain (``portal.domain.claim_sync``), as of ``claim_status_as_of``."""

    destination_chain: str
    number: int
    index: int
    amount: str
    decimals: int
    proof: list[str]
    merkle_root: str
    distributor: str
    claim_deadline: dt.datetime | None
    claimed_at: dt.datetime | None = None
    claim_tx: str | None = None
    claim_status_as_of: dt.datetime | None = None  # when the chain was last read (None: never)
    program: str = ""  # Solana: the distributor program
    chain_id: int | None = None  # EVM: the chain id the claim is on


async def for_held(db: Database, held: store.HeldRequest) -> HolderRelease:
    """The release holding a request, as its holder sees it, from its entry already read
    (``filing.holder_version``): no query while the release's tree is cached, else one transaction
    reading its entries file."""
    hit = _cached_by(held.sha256)
    if hit is None:
        async with db.transaction() as conn:
            hit = await _tree_of(conn, await one(conn, held.destination_chain, held.number))
    return _holder_release(held, *hit)


def _cached_by(sha256: str) -> tuple[list, BuiltTree] | None:
    if (hit := _TREES.get(sha256)) is not None:
        _TREES.move_to_end(sha256)
    return hit


def _holder_release(held: store.HeldRequest, entries: list, tree: BuiltTree) -> HolderRelease:
    index = held.entry_index
    return HolderRelease(held.destination_chain, held.number, index, entries[index].amount, held.decimals,
                         ["0x" + node.hex() for node in tree.proof(index)], held.merkle_root, held.distributor,
                         held.claim_deadline, held.claimed_at, held.claim_tx, held.synced_at, held.program,
                         entries[index].chain_id)


def detail(stored: store.StoredRelease, entries_bytes: bytes) -> ReleaseDetail:
    entries, tree = built(stored, entries_bytes)
    served = [ServedEntry(e.index, e.destination, e.amount, ["0x" + node.hex() for node in tree.proof(e.index)],
                          e.sources, e.chain_id) for e in entries]
    return ReleaseDetail(**msgspec.structs.asdict(summary(stored)), claims=served)


def distributor_json(stored: store.StoredRelease, entries_bytes: bytes) -> bytes:
    """jup-ag's ``AirdropMerkleTree`` file of a Solana release, ``airdrop_version`` = its number."""
    if stored.destination_chain != "solana":
        raise InvalidInputError("format: distributor-json is the Solana claim program's tree", field="format")
    entries, tree = built(stored, entries_bytes)
    claims = [distributor.Claim(parse_address(e.destination).raw, int(e.amount)) for e in entries]
    nodes = (distributor.tree_node_json(claim, b"".join(tree.proof(i))) for i, claim in enumerate(claims))
    return b"".join(distributor.airdrop_tree_json(tree.root, stored.number, claims, nodes))


def uniswap_claims_json(stored: store.StoredRelease, entries_bytes: bytes) -> bytes:
    """``parseBalanceMap``'s output (``merkleRoot``, hex ``tokenTotal``, claims keyed by account)."""
    if stored.tree != "uniswap":
        raise InvalidInputError("format: uniswap-claims is the claims file of a uniswap tree", field="format")
    entries, tree = built(stored, entries_bytes)

    def hex_amount(value: int) -> str:
        text = f"{value:x}"
        return "0x" + ("0" + text if len(text) % 2 else text)

    claims = {e.destination: {"index": e.index, "amount": hex_amount(int(e.amount)),
                              "proof": ["0x" + node.hex() for node in tree.proof(e.index)]} for e in entries}
    return msgspec.json.encode({"merkleRoot": stored.merkle_root, "tokenTotal": hex_amount(stored.total),
                                "claims": claims})


# -- staff: what was claimed -------------------------------------------------------------------------

class ClaimTotals(msgspec.Struct, frozen=True):
    """A release's released, claimed and unclaimed entries and amounts (base units), as of ``synced_at``."""

    destination_chain: str
    number: int
    distributor: str
    released_entries: int
    released_amount: str
    claimed_entries: int
    claimed_amount: str
    unclaimed_entries: int
    unclaimed_amount: str
    synced_at: dt.datetime | None
    decimals: int = 0  # of the destination token (amounts above are in its base units)


UNCLAIMED_CSV_HEADER = ["index", "destination", "amount", "snapshot_addresses", "proof"]


async def claim_totals(conn: Connection, chain: str, number: int) -> tuple[ClaimTotals, list[ServedEntry]]:
    """The totals and the unclaimed entries (with proofs: what staff send a holder who asks)."""
    stored = await one(conn, chain, number)
    entries, tree = await _tree_of(conn, stored)
    claimed = await store.claimed_indices(conn, chain, number)
    unclaimed = [ServedEntry(e.index, e.destination, e.amount, ["0x" + n.hex() for n in tree.proof(e.index)],
                             e.sources, e.chain_id) for e in entries if e.index not in claimed]
    return await _totals(conn, stored, entries, claimed), unclaimed


async def all_claim_totals(conn: Connection) -> list[ClaimTotals]:
    """Every published release's totals, newest first per chain (the console's releases page)."""
    totals = []
    for summary_row in sorted(await store.all_releases(conn), key=lambda r: (r.destination_chain, -r.number)):
        entries, _ = await _tree_of(conn, summary_row)
        claimed = await store.claimed_indices(conn, summary_row.destination_chain, summary_row.number)
        totals.append(await _totals(conn, summary_row, entries, claimed))
    return totals


async def _totals(conn: Connection, stored: store.StoredRelease, entries: list, claimed: set[int]) -> ClaimTotals:
    claimed_amount = sum(int(e.amount) for e in entries if e.index in claimed)
    chain, number = stored.destination_chain, stored.number
    return ClaimTotals(chain, number, stored.distributor, len(entries), str(stored.total), len(claimed),
                       str(claimed_amount), len(entries) - len(claimed), str(stored.total - claimed_amount),
                       await store.synced_at(conn, chain, number), stored.decimals)


def unclaimed_csv(unclaimed: list[ServedEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(UNCLAIMED_CSV_HEADER)
    for entry in unclaimed:
        writer.writerow([entry.index, entry.destination, entry.amount,
                         ":".join(s.snapshot_address for s in entry.sources), ":".join(entry.proof)])
    return out.getvalue()


HELD_BACK_SHOWN = 200


async def held_back(conn: Connection, evm_chain_id: int) -> list[store.HeldBack]:
    """Approvals waiting for an EVM release that this server's releases (on ``evm_chain_id``) will never hold:
    their contract-wallet proof names another chain (the first ``HELD_BACK_SHOWN``, oldest first)."""
    return await store.held_back(conn, evm_chain_id, HELD_BACK_SHOWN)


# -- static export -------------------------------------------------------------------------------------

async def static_files(conn: Connection) -> dict[str, bytes]:
    """Every published release as the files a CDN serves with no origin, at the server's own paths
    (``?format=`` answers as ``<n>.<format>.json`` beside ``<n>.json``): byte for byte what the server
    answers, so a verifier or a holder's wallet reads the same thing from either."""
    files: dict[str, bytes] = {"v1/releases.json": msgspec.json.encode(await listing(conn))}
    for stored in await store.all_releases(conn):
        chain, number = stored.destination_chain, stored.number
        entries = await entries_file(conn, chain, number)
        files[f"releases/{chain}/{number}.md"] = stored.document
        files[f"releases/{chain}/{number}.md.sig.json"] = signature_file(stored)
        files[f"releases/{chain}/{number}.entries.json"] = entries
        files[f"v1/releases/{chain}/{number}.json"] = msgspec.json.encode(detail(stored, entries))
        if chain == "solana":
            files[f"v1/releases/{chain}/{number}.distributor-json.json"] = distributor_json(stored, entries)
        if stored.tree == "uniswap":
            files[f"v1/releases/{chain}/{number}.uniswap-claims.json"] = uniswap_claims_json(stored, entries)
    return files
