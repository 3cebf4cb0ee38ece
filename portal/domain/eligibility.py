"""Eligibility: the loaded snapshot artifacts and the answer to "am I in the snapshot?".

Invariant: the artifacts are opened once per process (by the app's lifespan) and only read; a
lookup touches a few pages of the mmap and allocates only the answer, so it is safe to call from
any number of concurrent requests and cheap enough to sit on the hot path.

``eligibility_json`` is that hot path: the answer's JSON, byte for byte what encoding
``eligibility`` gives (a property test holds the two together), built with one hex call for the
whole proof instead of a list of twenty strings and an encoder pass over them. Everything in an
answer that depends only on the snapshot (its id, tree, decimals, root, and each destination's
conversion factor) is encoded once at load; per request only the amount, its conversions (one
multiply and divide each) and the proof are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import msgspec

import snapshot
from portal.domain import destinations as destinations_domain
from portal.errors import InvalidAddressError, InvalidChecksumError, UnprocessableError
from snapshot import exclude
from snapshot.addresses import b58encode, to_checksum_address
from snapshot.artifact import PublicManifest
from snapshot.conversion import Conversion


class ClaimAmount(msgspec.Struct, frozen=True):
    """The amount on one destination chain, in the new token's base units (rounded down)."""

    destination_chain: str
    amount: str
    decimals: int


class SnapshotSource(msgspec.Struct, frozen=True):
    """Where a snapshot came from, as its artifact records it: the chain, the block (EVM) or slot
    (Solana) and when it was made (None when unknown), the method (None: a holder list given by hand,
    not rebuilt from the chain), and the sha256 of the exclude list it left out (None: no list)."""

    chain: str
    block: int | None
    block_time: str | None
    method: str | None
    exclude_sha256: str | None


class Exclusion(msgspec.Struct, frozen=True):
    """Why an address is not in the snapshot, when the snapshot's exclude list names it."""

    category: str
    note: str


class Eligibility(msgspec.Struct, frozen=True):
    """What a holder learns about one address.

    ``tree`` names the snapshot's Merkle tree and so the form of ``leaf_index`` and ``proof``:
    ``oz`` is OpenZeppelin's ``treeIndex`` and ``getProof``; ``distributor`` is the entry's
    position in the holder list and the merkle-distributor's ``get_proof`` (claimed with
    ``amount_unlocked = amount``, ``amount_locked = 0``). ``amount`` is in the snapshot token's
    base units (``decimals`` of them a token, None when the snapshot does not say);
    ``claim_amounts`` converts it for each configured destination. ``source`` says which snapshot
    was read and how (None when several snapshots of the address's chain could have listed it);
    ``excluded`` is set when the snapshot's exclude list left the address out on purpose.
    """

    address: str
    eligible: bool
    snapshot_id: str | None
    tree: Literal["oz", "distributor"] | None
    amount: str | None
    decimals: int | None
    claim_amounts: list[ClaimAmount]
    leaf_index: int | None
    proof: list[str]
    merkle_root: str | None
    source: SnapshotSource | None = None
    excluded: Exclusion | None = None


def source_of(manifest: PublicManifest) -> SnapshotSource:
    recorded = manifest.source or {}
    return SnapshotSource(manifest.chain, manifest.block, recorded.get("block_time"), recorded.get("method"),
                          recorded.get("exclude_sha256"))


def _exclusions(manifest: PublicManifest) -> dict[bytes, Exclusion]:
    found = {}
    for entry in exclude.entries_of(manifest.source):
        try:
            found[snapshot.parse_address(entry.address).raw] = Exclusion(entry.category, entry.note)
        except snapshot.InvalidAddressError:
            continue
    return found


class SnapshotEntry(msgspec.Struct, frozen=True):
    """An eligible address with the snapshot that lists it (what a challenge is issued against)."""

    address: str
    chain: str
    snapshot_id: str
    amount: int
    leaf_index: int
    proof: list[str]
    merkle_root: str


def parse_address(text: str, *, field: str = "address") -> snapshot.Address:
    """Parse an EVM or Solana address, translating the library's error into a 400 domain error."""
    try:
        return snapshot.parse_address(text)
    except snapshot.InvalidAddressError as exc:
        error = InvalidChecksumError if exc.code == "invalid_checksum" else InvalidAddressError
        raise error(f"{field}: {exc}", field=field) from None


_encode = msgspec.json.Encoder().encode


class SnapshotSet:
    """The snapshots a process serves, searched in load order per chain, and the destinations their
    amounts convert to."""

    def __init__(self, snapshots: Iterable[snapshot.Snapshot],
                 destinations: destinations_domain.Destinations | None = None) -> None:
        self.snapshots = list(snapshots)
        self.destinations = dict(destinations or {})
        self._by_chain: dict[str, list[snapshot.Snapshot]] = {}
        for item in self.snapshots:
            self._by_chain.setdefault(item.manifest.chain, []).append(item)
        self._conversions = {item: self._convertible(item) for item in self.snapshots}
        self._exclusions = {item: _exclusions(item.manifest) for item in self.snapshots}
        # The parts of an eligible answer that depend only on the snapshot, JSON-ready.
        self._json_parts = {item: self._parts(item) for item in self.snapshots}
        # Key of the answers' ETags: the answers change when the snapshots or the destinations do.
        state = b"".join(item.manifest.sha256.encode() for item in self.snapshots)
        state += msgspec.json.encode(self.destinations)
        self.etag_key = hashlib.sha256(state).digest()

    def _convertible(self, item: snapshot.Snapshot) -> list[tuple[str, Conversion]]:
        """The destinations ``item``'s amounts convert to (none without the snapshot's decimals)."""
        found = []
        for chain in self.destinations:
            try:
                conversion = destinations_domain.conversion(self.destinations, chain, item.manifest.decimals)
            except UnprocessableError:
                continue
            if conversion is not None:
                found.append((chain, conversion))
        return found

    def _parts(self, item: snapshot.Snapshot) -> tuple[bytes, bytes, list[tuple[int, int, bytes, bytes]], bytes]:
        manifest = item.manifest
        decimals = "null" if manifest.decimals is None else str(manifest.decimals)
        head = (f'","eligible":true,"snapshot_id":"{manifest.id}","tree":"{manifest.tree}","amount":"').encode()
        middle = f'","decimals":{decimals},"claim_amounts":['.encode()
        claims = [(conversion.numerator, conversion.denominator,
                   f'{{"destination_chain":"{chain}","amount":"'.encode(),
                   f'","decimals":{conversion.to_decimals}}}'.encode())
                  for chain, conversion in self._conversions[item]]
        source = _encode(source_of(manifest)).decode()
        tail = f'],"merkle_root":"{manifest.merkle_root}","source":{source},"excluded":null}}'.encode()
        return head, middle, claims, tail

    @classmethod
    def open(cls, paths: Iterable[str | Path],
             destinations: destinations_domain.Destinations | None = None) -> SnapshotSet:
        return cls((snapshot.Snapshot.open(path) for path in paths), destinations)

    def close(self) -> None:
        for item in self.snapshots:
            item.close()

    @property
    def manifests(self) -> list[snapshot.Manifest]:
        return [item.manifest for item in self.snapshots]

    @property
    def public_manifests(self) -> list[PublicManifest]:
        """The manifests as the public sees them: no server paths."""
        return [item.manifest.public() for item in self.snapshots]

    def find(self, address: snapshot.Address) -> SnapshotEntry | None:
        for item in self._by_chain.get(address.chain, ()):
            entry = item.lookup(address)
            if entry is not None:
                manifest = item.manifest
                return SnapshotEntry(entry.address, address.chain, manifest.id, entry.amount,
                                     entry.leaf_index, entry.proof, manifest.merkle_root)
        return None

    def _snapshot(self, snapshot_id: str) -> snapshot.Snapshot:
        return next(item for item in self.snapshots if item.manifest.id == snapshot_id)

    def claim_amounts(self, snapshot_id: str, amount: int) -> list[ClaimAmount]:
        """``amount`` of snapshot ``snapshot_id`` converted for each destination it converts to."""
        return [ClaimAmount(chain, str(conversion.convert(amount)), conversion.to_decimals)
                for chain, conversion in self._conversions[self._snapshot(snapshot_id)]]

    def eligibility(self, address_text: str) -> Eligibility:
        address = parse_address(address_text)
        found = self.find(address)
        if found is not None:
            manifest = self._snapshot(found.snapshot_id).manifest
            return Eligibility(found.address, True, found.snapshot_id, manifest.tree, str(found.amount),
                               manifest.decimals, self.claim_amounts(found.snapshot_id, found.amount),
                               found.leaf_index, found.proof, found.merkle_root, source_of(manifest))
        return self._not_eligible(address)

    def _not_eligible(self, address: snapshot.Address) -> Eligibility:
        candidates = self._by_chain.get(address.chain, ())
        only = candidates[0].manifest if len(candidates) == 1 else None
        return Eligibility(address.text, False, only.id if only else None, only.tree if only else None, None,
                           None, [], None, [], only.merkle_root if only else None,
                           source_of(only) if only else None, self.exclusion(address))

    def exclusion(self, address: snapshot.Address) -> Exclusion | None:
        """The exclude list's reason for leaving ``address`` out, from the first snapshot of its chain naming it."""
        for item in self._by_chain.get(address.chain, ()):
            found = self._exclusions[item].get(address.raw)
            if found is not None:
                return found
        return None

    def snapshot_for(self, chain: str) -> PublicManifest | None:
        """The first snapshot of ``chain`` (what a case about an address no snapshot lists is filed against)."""
        candidates = self._by_chain.get(chain, ())
        return candidates[0].manifest.public() if candidates else None

    def eligibility_json(self, address_text: str) -> bytes:
        """``msgspec.json.encode(self.eligibility(address_text))``, faster; see the module docstring."""
        address = parse_address(address_text)
        for item in self._by_chain.get(address.chain, ()):
            number = item.find(address.raw)
            if number >= 0:
                return self._eligible_json(item, number, address.text.encode())
        return _encode(self._not_eligible(address))

    def _eligible_json(self, item: snapshot.Snapshot, number: int, address_text: bytes) -> bytes:
        amount, tree_index = item.value_at(number)
        head, middle, claims, tail = self._json_parts[item]
        converted = b",".join([b"%s%d%s" % (prefix, amount * numerator // denominator, suffix)
                               for numerator, denominator, prefix, suffix in claims]) if claims else b""
        return b'{"address":"%s%s%d%s%s],"leaf_index":%d,"proof":[%s%s' % (
            address_text, head, amount, middle, converted, tree_index, item.proof_json(tree_index), tail)

    def answers(self) -> Iterable[tuple[str, bytes]]:
        """Every listed address (canonical text) with its answer, ``eligibility_json`` byte for byte:
        what a static export writes. An address in two snapshots of a chain is answered once, by the
        first (as the API answers it). Records are read in key order, which is also the order that
        touches the mapped index sequentially."""
        seen: set[bytes] = set()
        several = len(self.snapshots) > 1
        for item in self.snapshots:
            text_of = to_checksum_address if item.chain == "evm" else b58encode
            for number in range(item.manifest.entries):
                key = item.key_at(number)
                if several:
                    if key in seen:
                        continue
                    seen.add(key)
                text = text_of(key)
                yield text, self._eligible_json(item, number, text.encode())
