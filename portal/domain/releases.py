"""Releases: freeze the approvals no release holds into release n, publish it signed, serve it.

Why: a claim contract holds one root, so the live allowlist (whose root moves with each approval)
cannot tell an operator which approvals a deployed root covers. A release can: it is numbered,
frozen and signed (``policy.release``), and ``release_requests`` records which requests it holds.

- ``prepare`` reads the approved requests to one destination chain that no published release holds,
  converts them as the allowlist does (``portal.domain.destinations``; unreleasable rows left out
  with ``portal.domain.releasable``'s reasons) and builds the document and entries file.
- ``publish`` checks the release with the library's ``check_release`` against the newest trust root
  and the chain's previous release, under the roots and chain locks, then checks that every source
  of every entry is an approved request not yet released, paid exactly its converted amount, and
  stores it with the requests it holds and an audit event, in the caller's transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections import OrderedDict

import msgspec

from policy.errors import PolicyError
from policy.release import (
    DEFAULT_TREE,
    TREES,
    BuiltTree,
    Prepared,
    ReleaseDocument,
    ReleaseEntry,
    ReleaseSource,
    check_release,
    checked_entries,
    decode_entries,
    parse_release,
    release_statement,
)
from policy.release import prepare as prepare_release
from policy.signatures import Signature, encode_signature_file
from portal.domain import destinations, policy_roots, releasable
from portal.domain.audit import AuditAction, AuditEntry, record
from portal.domain.eligibility import SnapshotSet
from portal.domain.policy_roots import Anchor
from portal.errors import InvalidInputError, NotFoundError, NothingToReleaseError, ReleaseRejectedError
from portal.store import releases as store
from portal.store.database import Connection
from portal.store.policies import StoredSignature
from snapshot import distributor
from snapshot.addresses import parse_address
from snapshot.conversion import Conversion


class Frozen(msgspec.Struct, frozen=True):
    """What ``prepare`` froze: release ``number``, its document and entries, and what it left out."""

    number: int
    destination_chain: str
    tree: str
    prepared: Prepared
    excluded: list[releasable.ExcludedEntry]


class ReleaseSubmission(msgspec.Struct, frozen=True):
    """A publisher's request: the exact document and entries file, the signatures, who asked."""

    document: str
    entries: str
    signatures: list[Signature]
    actor: str
    client: str | None = None


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


class ServedEntry(msgspec.Struct, frozen=True):
    index: int
    destination: str
    amount: str
    proof: list[str]
    sources: list[ReleaseSource]


class ReleaseDetail(ReleaseSummary, frozen=True):
    """One release with every entry (``claims``) and its proof (the proofs follow from the entries)."""

    claims: list[ServedEntry] = msgspec.field(default_factory=list)


# -- prepare ---------------------------------------------------------------------------------------

def _conversions(snapshots: SnapshotSet, chain: str) -> tuple[dict[str, Conversion | None], int]:
    """Each loaded snapshot's conversion to ``chain`` and the destination token's decimals."""
    conversions: dict[str, Conversion | None] = {}
    decimals: set[int] = set()
    for manifest in snapshots.manifests:
        conversion = destinations.conversion(snapshots.destinations, chain, manifest.decimals)
        conversions[manifest.id] = conversion
        decimals.add(conversion.to_decimals if conversion else (manifest.decimals or 0))
    if len(decimals) > 1:
        raise InvalidInputError(f"the loaded snapshots have different decimals ({sorted(decimals)}) and nothing "
                                f"converts them for {chain}: declare [{chain}] in the destinations file",
                                field="destination_chain")
    return conversions, decimals.pop() if decimals else 0


async def _releasable(conn: Connection, snapshots: SnapshotSet, chain: str
                      ) -> tuple[list[tuple[store.UnreleasedApproval, int]], list[releasable.ExcludedEntry], int]:
    """Approvals no release holds, each with its converted amount, and the ones left out (with why):
    the allowlist's checks (``portal.domain.releasable``), plus a snapshot that is not loaded."""
    conversions, decimals = _conversions(snapshots, chain)
    chains = {m.id: m.chain for m in snapshots.manifests}
    kept: list[tuple[store.UnreleasedApproval, int]] = []
    excluded: list[releasable.ExcludedEntry] = []
    total = 0
    for row in await store.unreleased_approved(conn, chain):
        converted: int | None = None
        if row.snapshot_id not in conversions:
            problem: str | None = f"snapshot {row.snapshot_id} is not loaded here, so its amount cannot be converted"
        else:
            problem = releasable.address_problem(row.snapshot_address, chains[row.snapshot_id], row.destination,
                                                 chain)
        if problem is None:
            conversion = conversions[row.snapshot_id]
            converted = conversion.convert(row.amount) if conversion else row.amount
            problem = releasable.amount_problem(converted, chain) or releasable.total_problem(total + converted, chain)
        if problem is not None or converted is None:
            excluded.append(releasable.ExcludedEntry(
                row.snapshot_address, row.destination, str(row.amount), None if converted is None else str(converted),
                "address_not_releasable" if converted is None else "amount_not_releasable", problem or ""))
            continue
        total += converted
        kept.append((row, converted))
    return kept, excluded, decimals


async def prepare(conn: Connection, snapshots: SnapshotSet, chain: str, *, tree: str | None,
                  claim_deadline: dt.datetime | None, now: dt.datetime) -> Frozen:
    """Release n+1 of ``chain`` over the approvals no published release holds."""
    tree = tree or DEFAULT_TREE[chain]
    if tree not in TREES[chain]:
        raise InvalidInputError(f"tree {tree} is not a {chain} tree ({', '.join(TREES[chain])})", field="tree")
    latest = await store.latest(conn, chain)
    kept, excluded, decimals = await _releasable(conn, snapshots, chain)
    if not kept:
        left = (f" ({len(excluded)} approved request(s) cannot be released; the first: {excluded[0].reason})"
                if excluded else "")
        raise NothingToReleaseError(f"no approved request to {chain} is waiting for a release{left}",
                                    field="destination_chain")
    paid = [(row.destination, ReleaseSource(row.snapshot_id, row.snapshot_address, str(amount)))
            for row, amount in kept]
    number = latest.number + 1 if latest else 1
    prepared = prepare_release(paid, destination_chain=chain, number=number, tree=tree,
                               prev=latest.sha256 if latest else "", decimals=decimals, created=now,
                               claim_deadline=claim_deadline)
    return Frozen(number, chain, tree, prepared, excluded)


# -- publish ---------------------------------------------------------------------------------------

def _refuse(code: str, message: str, field: str, problems: list | None = None) -> ReleaseRejectedError:
    return ReleaseRejectedError(message, field=field, code=code,
                                extra={"problems": problems} if problems is not None else None)


def _previous_document(stored: store.StoredRelease | None) -> ReleaseDocument | None:
    return parse_release(stored.document) if stored else None


async def _held_requests(conn: Connection, snapshots: SnapshotSet, doc: ReleaseDocument,
                         entries: list[ReleaseEntry]) -> list[tuple[uuid.UUID, int]]:
    """``(request id, entry index)`` for every source, each an approved, unreleased request to this
    destination paid exactly its converted amount; refused otherwise."""
    conversions, _ = _conversions(snapshots, doc.destination_chain)
    waiting = {}
    for row in await store.unreleased_approved(conn, doc.destination_chain):
        if row.snapshot_id in conversions:  # the release's tree checks the addresses; prepare checked the rest
            conversion = conversions[row.snapshot_id]
            waiting[(row.snapshot_id, row.snapshot_address)] = (row, conversion.convert(row.amount) if conversion
                                                                else row.amount)
    held = []
    for entry in entries:
        for source in entry.sources:
            found = waiting.pop((source.snapshot_id, source.snapshot_address), None)
            if found is None:
                raise _refuse("entry_not_approved", f"entry {entry.index}: {source.snapshot_address} "
                              f"({source.snapshot_id}) is not an approved request waiting for a release", "entries")
            row, amount = found
            if row.destination != entry.destination or str(amount) != source.amount:
                raise _refuse("entry_not_approved", f"entry {entry.index}: {source.snapshot_address} was approved "
                              f"for {amount} to {row.destination}, not {source.amount} to {entry.destination}",
                              "entries")
            held.append((row.id, entry.index))
    return held


async def publish(conn: Connection, snapshots: SnapshotSet, submission: ReleaseSubmission, anchor: Anchor | None,
                  now: dt.datetime) -> ReleaseSummary:
    """Verify, match to approvals, store and audit, in the caller's transaction (locks held to commit)."""
    raw = submission.document.encode("utf-8")
    entries_bytes = submission.entries.encode("utf-8")
    try:
        doc = parse_release(raw)
    except PolicyError as exc:
        raise _refuse(exc.code, str(exc), "document") from None
    root = await policy_roots.for_write(conn, anchor, now)
    await store.lock_chain(conn, doc.destination_chain)
    latest = await store.latest(conn, doc.destination_chain)
    result = check_release(doc, submission.signatures, root, previous=_previous_document(latest),
                           entries_bytes=None)
    entry_problems, entries = checked_entries(doc, entries_bytes)  # decoded once, matched to requests below
    result = msgspec.structs.replace(result, ok=result.ok and not entry_problems,
                                     problems=[*result.problems, *entry_problems])
    if not result.ok:
        first = result.problems[0]
        field = ("signatures" if "sign" in first.code or first.code == "below_threshold"
                 else "entries" if first.code in ("entries_mismatch", "root_mismatch") else "document")
        raise _refuse(first.code, first.message, field, [msgspec.to_builtins(p) for p in result.problems])
    held = await _held_requests(conn, snapshots, doc, entries)
    signatures = [StoredSignature(s.signer, s.signature) for s in submission.signatures]
    await store.insert(conn, store.NewRelease(
        destination_chain=doc.destination_chain, number=doc.number, document=raw, sha256=doc.sha256, prev=doc.prev,
        entries_file=entries_bytes, entries_sha256=doc.entries_sha256, tree=doc.tree, merkle_root=doc.merkle_root,
        entry_count=doc.entries, total=doc.total, decimals=doc.decimals, distributor=doc.distributor,
        claim_deadline=doc.claim_deadline, signatures=signatures, root_version=root.version,
        published_by=submission.actor, published_at=now, program=doc.program), held)
    await record(conn, AuditEntry(
        AuditAction.RELEASE_PUBLISHED, at=now, actor=submission.actor,
        subject=f"release:{doc.destination_chain}:{doc.number}",
        data={"sha256": doc.sha256, "merkle_root": doc.merkle_root, "entries": doc.entries, "total": str(doc.total),
              "requests": len(held), "signers": result.signers, "root_version": root.version},
        client=submission.client))
    stored = await store.get(conn, doc.destination_chain, doc.number)
    assert stored is not None
    return summary(stored)


# -- read ------------------------------------------------------------------------------------------

def summary(stored: store.StoredRelease) -> ReleaseSummary:
    doc = parse_release(stored.document)
    return ReleaseSummary(
        destination_chain=stored.destination_chain, number=stored.number, tree=stored.tree,
        merkle_root=stored.merkle_root, entries=stored.entry_count, total=str(stored.total), decimals=stored.decimals,
        distributor=stored.distributor, claim_deadline=stored.claim_deadline, published_at=stored.published_at,
        sha256=stored.sha256, prev=stored.prev, entries_sha256=stored.entries_sha256,
        root_version=stored.root_version, statement=release_statement(doc),
        signatures=[Signature(s.signer, s.signature) for s in stored.signatures], program=stored.program)


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
    if (hit := _TREES.get(stored.sha256)) is not None:
        _TREES.move_to_end(stored.sha256)
    return hit


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


async def for_request(conn: Connection, request_id: uuid.UUID) -> HolderRelease | None:
    """The published release holding ``request_id``, as its holder sees it, or None (one query; the
    tree comes from the cache, or from the entries file the first time)."""
    held = await store.holder_release(conn, request_id)
    if held is None:
        return None
    entries, tree = _TREES.get(held.sha256) or await _tree_of(conn, await one(conn, held.destination_chain,
                                                                                held.number))
    index = held.entry_index
    return HolderRelease(held.destination_chain, held.number, index, entries[index].amount, held.decimals,
                         ["0x" + node.hex() for node in tree.proof(index)], held.merkle_root, held.distributor,
                         held.claim_deadline, held.claimed_at, held.claim_tx, held.synced_at, held.program)


def detail(stored: store.StoredRelease, entries_bytes: bytes) -> ReleaseDetail:
    entries, tree = built(stored, entries_bytes)
    served = [ServedEntry(e.index, e.destination, e.amount, ["0x" + node.hex() for node in tree.proof(e.index)],
                          e.sources) for e in entries]
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


UNCLAIMED_CSV_HEADER = ["index", "destination", "amount", "snapshot_addresses", "proof"]


async def claim_totals(conn: Connection, chain: str, number: int) -> tuple[ClaimTotals, list[ServedEntry]]:
    """The totals and the unclaimed entries (with proofs: what staff send a holder who asks)."""
    stored = await one(conn, chain, number)
    entries, tree = await _tree_of(conn, stored)
    claimed = await store.claimed_indices(conn, chain, number)
    claimed_amount = sum(int(e.amount) for e in entries if e.index in claimed)
    unclaimed = [ServedEntry(e.index, e.destination, e.amount, ["0x" + n.hex() for n in tree.proof(e.index)],
                             e.sources) for e in entries if e.index not in claimed]
    totals = ClaimTotals(chain, number, stored.distributor, len(entries), str(stored.total), len(claimed),
                         str(claimed_amount), len(unclaimed), str(stored.total - claimed_amount),
                         await store.synced_at(conn, chain, number))
    return totals, unclaimed


def unclaimed_csv(unclaimed: list[ServedEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(UNCLAIMED_CSV_HEADER)
    for entry in unclaimed:
        writer.writerow([entry.index, entry.destination, entry.amount,
                         ":".join(s.snapshot_address for s in entry.sources), ":".join(entry.proof)])
    return out.getvalue()


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
