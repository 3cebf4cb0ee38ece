"""Releases: freeze the approvals no release holds into release n, publish it signed, serve it.

Why: a claim contract holds one root, so the live allowlist (whose root moves with each approval)
cannot tell an operator which approvals a deployed root covers. A release can: it is numbered,
frozen and signed (``policy.release``), and ``release_requests`` records which requests it holds.

- ``prepare`` reads the approved requests to one destination chain that no published release holds,
  converts them as the allowlist does (``portal.domain.destinations``; unreleasable rows left out
  with ``portal.domain.releasable``'s reasons) and builds the document and entries file. An EVM
  release is for the configured chain id (``PORTAL_EVM_CHAIN_ID``), named in the document and each
  entry; a request whose contract-wallet proof was made on another chain id is held back.
- ``publish`` checks the release with the library's ``check_release`` against the newest trust root
  and the chain's previous release, under the roots and chain locks, then checks that every source
  of every entry is an approved request not yet released, paid exactly its converted amount, and
  (EVM) that the release is for this server's chain id and no source was proven on another, and
  stores it with the requests it holds and an audit event, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import msgspec

from policy.errors import PolicyError
from policy.release import (
    DEFAULT_TREE,
    TREES,
    ReleaseDocument,
    ReleaseEntry,
    ReleaseSource,
    check_release,
    checked_entries,
    parse_release,
)
from policy.release_corrections import parse_section
from policy.release_writing import Prepared
from policy.release_writing import prepare as prepare_release
from policy.signatures import Signature
from portal.domain import destinations, policy_roots, releasable
from portal.domain.audit import AuditAction, AuditEntry, record
from portal.domain.eligibility import SnapshotSet
from portal.domain.policy_roots import Anchor
from portal.domain.release_reads import ReleaseSummary, summary
from portal.errors import InvalidInputError, NothingToReleaseError, ReleaseRejectedError
from portal.store import releases as store
from portal.store.database import Connection
from portal.store.policies import StoredSignature
from snapshot.conversion import Conversion


@dataclass(frozen=True, slots=True)
class Target:
    """What this server releases against: the loaded snapshots (their amounts and conversions) and the EVM
    chain id its EVM releases are for (``PORTAL_EVM_CHAIN_ID``; ``None`` only where no chain is checked)."""

    snapshots: SnapshotSet
    evm_chain_id: int | None = None

    def chain_id(self, destination_chain: str) -> int | None:
        return self.evm_chain_id if destination_chain == "evm" else None


class Frozen(msgspec.Struct, frozen=True):
    """What ``prepare`` froze: release ``number``, its document and entries, and what it left out."""

    number: int
    destination_chain: str
    tree: str
    prepared: Prepared
    excluded: list[releasable.ExcludedEntry]
    chain_id: int | None = None  # EVM: the chain id the release is for

    @property
    def held_back(self) -> list[releasable.ExcludedEntry]:
        """The approvals left out because their contract-wallet proof was made on another chain id."""
        return [entry for entry in self.excluded if entry.code == "proof_on_other_chain"]


class ReleaseSubmission(msgspec.Struct, frozen=True):
    """A publisher's request: the exact document and entries file, the signatures, who asked."""

    document: str
    entries: str
    signatures: list[Signature]
    actor: str
    client: str | None = None


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


async def _releasable(conn: Connection, target: Target, chain: str
                      ) -> tuple[list[tuple[store.UnreleasedApproval, int]], list[releasable.ExcludedEntry], int]:
    """Approvals no release holds, each with its converted amount, and the ones left out (with why):
    the allowlist's checks (``portal.domain.releasable``), plus a snapshot that is not loaded."""
    conversions, decimals = _conversions(target.snapshots, chain)
    chains = {m.id: m.chain for m in target.snapshots.manifests}
    kept: list[tuple[store.UnreleasedApproval, int]] = []
    excluded: list[releasable.ExcludedEntry] = []
    total = 0
    for row in [*await store.unreleased_approved(conn, chain), *await store.unreleased_corrections(conn, chain)]:
        converted: int | None = None
        other_chain = releasable.chain_problem(row.proof_chain_id, chain, target.chain_id(chain))
        if other_chain is not None:
            excluded.append(releasable.ExcludedEntry(row.snapshot_address, row.destination, str(row.amount), None,
                                                     "proof_on_other_chain", other_chain, row.proof_chain_id))
            continue
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


async def prepare(conn: Connection, target: Target, chain: str, *, tree: str | None,
                  claim_deadline: dt.datetime | None, now: dt.datetime) -> Frozen:
    """Release n+1 of ``chain`` over the approvals no published release holds (EVM: on ``target``'s chain id)."""
    tree = tree or DEFAULT_TREE[chain]
    if tree not in TREES[chain]:
        raise InvalidInputError(f"tree {tree} is not a {chain} tree ({', '.join(TREES[chain])})", field="tree")
    latest = await store.latest(conn, chain)
    kept, excluded, decimals = await _releasable(conn, target, chain)
    if not kept:
        left = (f" ({len(excluded)} approved request(s) cannot be released; the first: {excluded[0].reason})"
                if excluded else "")
        raise NothingToReleaseError(f"no approved request or upheld correction to {chain} is waiting for a release"
                                    f"{left}",
                                    field="destination_chain")
    paid = [(row.destination, ReleaseSource(row.snapshot_id, row.snapshot_address, str(amount),
                                            str(row.case_id) if row.case_id else None))
            for row, amount in kept]
    number = latest.number + 1 if latest else 1
    notes = {str(row.case_id): row.note for row, _ in kept if row.case_id is not None and row.note is not None}
    prepared = prepare_release(paid, destination_chain=chain, number=number, tree=tree,
                               prev=latest.sha256 if latest else "", decimals=decimals, created=now,
                               claim_deadline=claim_deadline, chain_id=target.chain_id(chain), notes=notes)
    return Frozen(number, chain, tree, prepared, excluded, target.chain_id(chain))


# -- publish ---------------------------------------------------------------------------------------

def _refuse(code: str, message: str, field: str, problems: list | None = None) -> ReleaseRejectedError:
    return ReleaseRejectedError(message, field=field, code=code,
                                extra={"problems": problems} if problems is not None else None)


def _previous_document(stored: store.StoredRelease | None) -> ReleaseDocument | None:
    return parse_release(stored.document) if stored else None


async def _held_requests(conn: Connection, snapshots: SnapshotSet, doc: ReleaseDocument, entries: list[ReleaseEntry],
                         chain_id: int | None) -> tuple[list[tuple[uuid.UUID, int]], list[store.UnreleasedApproval]]:
    """``(request id, entry index)`` for every source, each an approved, unreleased request to this
    destination paid exactly its converted amount and not proven by a contract wallet on another chain
    id than the release's, and the upheld corrections among the sources (matched the same way);
    refused otherwise."""
    conversions, _ = _conversions(snapshots, doc.destination_chain)
    waiting = {}
    chain = doc.destination_chain
    for row in [*await store.unreleased_approved(conn, chain), *await store.unreleased_corrections(conn, chain)]:
        if row.snapshot_id in conversions:  # the release's tree checks the addresses; prepare checked the rest
            conversion = conversions[row.snapshot_id]
            key = (row.snapshot_id, row.snapshot_address, str(row.case_id) if row.case_id else None)
            waiting[key] = (row, conversion.convert(row.amount) if conversion else row.amount)
    held, corrections = [], []
    for entry in entries:
        for source in entry.sources:
            found = waiting.pop((source.snapshot_id, source.snapshot_address, source.case_id), None)
            if found is None:
                raise _refuse("entry_not_approved", f"entry {entry.index}: {source.snapshot_address} "
                              f"({source.snapshot_id}) is not an approved request waiting for a release", "entries")
            row, amount = found
            if row.destination != entry.destination or str(amount) != source.amount:
                raise _refuse("entry_not_approved", f"entry {entry.index}: {source.snapshot_address} was approved "
                              f"for {amount} to {row.destination}, not {source.amount} to {entry.destination}",
                              "entries")
            if problem := releasable.chain_problem(row.proof_chain_id, doc.destination_chain, chain_id):
                raise _refuse("proof_on_other_chain", f"entry {entry.index}: {source.snapshot_address}: {problem}",
                              "entries")
            if row.case_id is not None:
                corrections.append(row)
            else:
                held.append((row.id, entry.index))
    return held, corrections


def _check_chain_id(doc: ReleaseDocument, target: Target) -> None:
    """An EVM release is for this server's chain id: it must name it (one written before releases named
    theirs is read as this server's, if no source was proven by a contract wallet on another)."""
    expected = target.chain_id(doc.destination_chain)
    if expected is not None and doc.chain_id is not None and doc.chain_id != expected:
        raise _refuse("wrong_chain_id", f"the release is for chain id {doc.chain_id}, but this server's EVM releases "
                      f"are for chain id {expected} (PORTAL_EVM_CHAIN_ID): prepare it again here", "document")


def _require_listed_as_decided(doc: ReleaseDocument, rows: list[store.UnreleasedApproval]) -> None:
    """The corrections section says of each correction what its case's decision says (the section
    already lists exactly the corrections the entries pay: ``checked_entries``)."""
    listed = {line.case_id: line for line in parse_section(doc.body)[0]}
    for row in rows:
        line, note = listed.get(str(row.case_id)), row.note
        if line is None or note is None or (line.kind, line.category, line.reason) != (note.kind, note.category,
                                                                                        note.reason):
            raise _refuse("corrections_mismatch", f"the corrections section does not give case {row.case_id}'s "
                          f"kind, category and reason as decided ({note.kind if note else '?'}, "
                          f"{(note.category if note else None) or 'none'}: {note.reason if note else '?'!r})",
                          "document")


async def publish(conn: Connection, target: Target, submission: ReleaseSubmission, anchor: Anchor | None,
                  now: dt.datetime) -> ReleaseSummary:
    """Verify, match to approvals, store and audit, in the caller's transaction (locks held to commit)."""
    raw = submission.document.encode("utf-8")
    entries_bytes = submission.entries.encode("utf-8")
    try:
        doc = parse_release(raw)
    except PolicyError as exc:
        raise _refuse(exc.code, str(exc), "document") from None
    _check_chain_id(doc, target)
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
    chain_id = doc.chain_id if doc.chain_id is not None else target.chain_id(doc.destination_chain)
    held, correction_rows = await _held_requests(conn, target.snapshots, doc, entries, chain_id)
    _require_listed_as_decided(doc, correction_rows)
    corrections = [row.case_id for row in correction_rows if row.case_id is not None]
    signatures = [StoredSignature(s.signer, s.signature) for s in submission.signatures]
    await store.insert(conn, store.NewRelease(
        destination_chain=doc.destination_chain, number=doc.number, document=raw, sha256=doc.sha256, prev=doc.prev,
        entries_file=entries_bytes, entries_sha256=doc.entries_sha256, tree=doc.tree, merkle_root=doc.merkle_root,
        entry_count=doc.entries, total=doc.total, decimals=doc.decimals, distributor=doc.distributor,
        claim_deadline=doc.claim_deadline, signatures=signatures, root_version=root.version,
        published_by=submission.actor, published_at=now, program=doc.program), held, corrections)
    await record(conn, AuditEntry(
        AuditAction.RELEASE_PUBLISHED, at=now, actor=submission.actor,
        subject=f"release:{doc.destination_chain}:{doc.number}",
        data={"sha256": doc.sha256, "merkle_root": doc.merkle_root, "entries": doc.entries, "total": str(doc.total),
              **({"chain_id": chain_id} if chain_id is not None else {}),
              "requests": len(held), "corrections": [str(case_id) for case_id in corrections],
              "signers": result.signers, "root_version": root.version},
        client=submission.client))
    stored = await store.get(conn, doc.destination_chain, doc.number)
    assert stored is not None
    return summary(stored)


# -- read ------------------------------------------------------------------------------------------
