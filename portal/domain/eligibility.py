"""Eligibility: the loaded snapshot artifacts and the answer to "am I in the snapshot?".

Invariant: the artifacts are opened once per process (by the app's lifespan) and only read; a
lookup touches a few pages of the mmap and allocates only the answer, so it is safe to call from
any number of concurrent requests and cheap enough to sit on the hot path.

``eligibility_json`` is that hot path: the answer's JSON, byte for byte what encoding
``eligibility`` gives (a property test holds the two together), built with one hex call for the
whole proof instead of a list of twenty strings and an encoder pass over them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import msgspec

import snapshot
from portal.errors import InvalidAddressError, InvalidChecksumError


class Eligibility(msgspec.Struct, frozen=True):
    """What a holder learns about one address; ``proof`` is OpenZeppelin's ``getProof`` output."""

    address: str
    eligible: bool
    snapshot_id: str | None
    amount: str | None
    leaf_index: int | None
    proof: list[str]
    merkle_root: str | None


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
    """The snapshots a process serves, searched in load order per chain."""

    def __init__(self, snapshots: Iterable[snapshot.Snapshot]) -> None:
        self.snapshots = list(snapshots)
        self._by_chain: dict[str, list[snapshot.Snapshot]] = {}
        for item in self.snapshots:
            self._by_chain.setdefault(item.manifest.chain, []).append(item)
        # The parts of an eligible answer that depend only on the snapshot, JSON-ready.
        self._json_parts = {item: (f'","eligible":true,"snapshot_id":"{item.manifest.id}","amount":"'.encode(),
                                f'],"merkle_root":"{item.manifest.merkle_root}"}}'.encode())
                            for item in self.snapshots}

    @classmethod
    def open(cls, paths: Iterable[str | Path]) -> SnapshotSet:
        return cls(snapshot.Snapshot.open(path) for path in paths)

    def close(self) -> None:
        for item in self.snapshots:
            item.close()

    @property
    def manifests(self) -> list[snapshot.Manifest]:
        return [item.manifest for item in self.snapshots]

    def find(self, address: snapshot.Address) -> SnapshotEntry | None:
        for item in self._by_chain.get(address.chain, ()):
            entry = item.lookup(address)
            if entry is not None:
                manifest = item.manifest
                return SnapshotEntry(entry.address, address.chain, manifest.id, entry.amount,
                                     entry.leaf_index, entry.proof, manifest.merkle_root)
        return None

    def eligibility(self, address_text: str) -> Eligibility:
        address = parse_address(address_text)
        found = self.find(address)
        if found is not None:
            return Eligibility(found.address, True, found.snapshot_id, str(found.amount), found.leaf_index,
                               found.proof, found.merkle_root)
        return self._not_eligible(address)

    def _not_eligible(self, address: snapshot.Address) -> Eligibility:
        candidates = self._by_chain.get(address.chain, ())
        only = candidates[0].manifest if len(candidates) == 1 else None
        return Eligibility(address.text, False, only.id if only else None, None, None, [],
                           only.merkle_root if only else None)

    def eligibility_json(self, address_text: str) -> bytes:
        """``msgspec.json.encode(self.eligibility(address_text))``, faster; see the module docstring."""
        address = parse_address(address_text)
        for item in self._by_chain.get(address.chain, ()):
            number = item.find(address.raw)
            if number >= 0:
                amount, tree_index = item.value_at(number)
                head, tail = self._json_parts[item]
                return b'{"address":"%s%s%d","leaf_index":%d,"proof":[%s%s' % (
                    address.text.encode(), head, amount, tree_index, item.proof_json(tree_index), tail)
        return _encode(self._not_eligible(address))
