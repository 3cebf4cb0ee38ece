"""The snapshot artifact: one immutable, content-addressed file, read through mmap.

Layout (all offsets from the start of the file; integers little-endian unless said):

    0      8 bytes   magic  b"MPSNAP\\x00\\x01"  (format version 1)
    8      u32       header length H
    12     H bytes   header: JSON {format, chain, name, block, entries, total, merkle_root,
                      key_bytes, record_bytes, index_offset, tree_offset}
    ...    zero padding to a multiple of 8
    index  n records sorted by raw key: key (20 bytes EVM / 32 bytes Solana) ‖ amount (uint256,
           32 bytes big-endian, as ABI encodes it) ‖ OpenZeppelin treeIndex (u32); see
           ``record_format``
    tree   2n - 1 nodes of 32 bytes: OpenZeppelin's ``tree`` array (root first, leaves last)

The file is named ``<sha256 of its bytes>.snap``. Invariants: the header's root equals node 0; the
leaf of record i (keccak(keccak(abi.encode(key, amount)))) sits at its treeIndex; every inner node
is the sorted-pair hash of its children. ``Snapshot.open`` checks only the framing (magic, sizes,
offsets) so it costs the same for 10 entries or 10 million; ``Snapshot.verify`` re-checks all of
the above plus the file hash (so ``verify`` wants the content-addressed name; a renamed copy
is still opened, and hashed once at open to learn its id). Lookups are a binary search over the
mapped index and read the proof from the mapped tree: nothing is copied into Python objects at open.
"""

from __future__ import annotations

import hashlib
import mmap
import random
import re
import struct
from pathlib import Path

import msgspec
import sha3

from snapshot.addresses import Address, Chain
from snapshot.errors import ArtifactError
from snapshot.merkle import hash_pair, proof_indices

MAGIC = b"MPSNAP\x00\x01"
FORMAT_VERSION = 1
AMOUNT_BYTES = 32
TREE_INDEX_BYTES = 4
NODE_BYTES = 32
SUFFIX = ".snap"
_CONTENT_ADDRESSED_STEM = re.compile(r"[0-9a-f]{64}")


class Manifest(msgspec.Struct, frozen=True):
    """What ``GET /v1/snapshots`` shows of an artifact; ``id`` is the first 16 hex digits of ``sha256``."""

    id: str
    chain: Chain
    name: str
    block: int | None
    entries: int
    total: str
    merkle_root: str
    sha256: str
    path: str


class Entry(msgspec.Struct, frozen=True):
    """One holder: ``leaf_index`` is OpenZeppelin's ``treeIndex``, ``proof`` its ``getProof``."""

    address: str
    amount: int
    leaf_index: int
    proof: list[str]


class _Header(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    format: int
    chain: Chain
    name: str
    block: int | None
    entries: int
    total: str
    merkle_root: str
    key_bytes: int
    record_bytes: int
    index_offset: int
    tree_offset: int


_header_decoder = msgspec.json.Decoder(_Header)


def _leaf(key: bytes, amount_be: bytes) -> bytes:
    keccak = sha3.keccak_256
    return keccak(keccak(key.rjust(32, b"\0") + amount_be).digest()).digest()


def _align8(n: int) -> int:
    return (n + 7) & ~7


def record_format(key_bytes: int) -> struct.Struct:
    """One index record: key, amount (uint256 big-endian, as ABI encodes it), treeIndex (u32 little-endian)."""
    return struct.Struct(f"<{key_bytes}s{AMOUNT_BYTES}sI")


def encode_prefix(*, chain: Chain, name: str, block: int | None, entries: int, total: int, merkle_root: bytes,
                  key_bytes: int) -> bytes:
    """Magic, header length, JSON header and padding: every byte of the file before the index."""
    record_bytes = record_format(key_bytes).size
    fields = {"format": FORMAT_VERSION, "chain": chain, "name": name, "block": block, "entries": entries,
              "total": str(total), "merkle_root": "0x" + merkle_root.hex(), "key_bytes": key_bytes,
              "record_bytes": record_bytes, "index_offset": 0, "tree_offset": 0}
    # The offsets depend on the header's length, which depends on the offsets' digits: iterate to the
    # fixed point (the length only grows, by a few digits, so two or three rounds settle it).
    while True:
        header = msgspec.json.encode(fields)
        index_offset = _align8(len(MAGIC) + 4 + len(header))
        if index_offset == fields["index_offset"]:
            break
        fields["index_offset"] = index_offset
        fields["tree_offset"] = index_offset + entries * record_bytes
    prefix = MAGIC + len(header).to_bytes(4, "little") + header
    return prefix.ljust(index_offset, b"\0")


class Snapshot:
    """An opened artifact. Thread-safe for reads; ``close`` releases the mapping."""

    def __init__(self, path: Path, handle: mmap.mmap, header: _Header, manifest: Manifest) -> None:
        self.path = path
        self._map = handle
        self._header = header
        self.manifest = manifest
        self._key_bytes = header.key_bytes
        self._record = header.record_bytes
        self._index = header.index_offset
        self._tree = header.tree_offset
        self._count = header.entries

    @classmethod
    def open(cls, path: Path | str) -> Snapshot:
        """Map ``path`` and check its framing; the sha256 is read from the content-addressed name
        (a renamed file is hashed once instead, which costs a pass over the file)."""
        path = Path(path)
        try:
            with path.open("rb") as file:
                handle = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise ArtifactError(f"{path}: cannot open: {exc}") from None
        try:
            header = cls._read_header(path, handle)
        except ArtifactError:
            handle.close()
            raise
        sha256 = path.stem if _is_content_addressed(path) else hashlib.sha256(handle).hexdigest()
        manifest = Manifest(id=sha256[:16], chain=header.chain, name=header.name, block=header.block,
                            entries=header.entries, total=header.total, merkle_root=header.merkle_root,
                            sha256=sha256, path=str(path))
        return cls(path, handle, header, manifest)

    @staticmethod
    def _read_header(path: Path, handle: mmap.mmap) -> _Header:
        size = len(handle)
        if size < len(MAGIC) + 4 or handle[: len(MAGIC)] != MAGIC:
            raise ArtifactError(f"{path}: not a snapshot artifact (bad magic)")
        length = int.from_bytes(handle[8:12], "little")
        try:
            header = _header_decoder.decode(handle[12: 12 + length])
        except msgspec.DecodeError as exc:
            raise ArtifactError(f"{path}: corrupt header: {exc}") from None
        expected_key = 20 if header.chain == "evm" else 32
        problems = []
        if header.format != FORMAT_VERSION:
            problems.append(f"format {header.format} is not {FORMAT_VERSION}")
        if header.entries < 1 or header.key_bytes != expected_key:
            problems.append("entry count or key size out of range")
        if header.record_bytes != header.key_bytes + AMOUNT_BYTES + TREE_INDEX_BYTES:
            problems.append("record size does not match the key size")
        if header.index_offset != _align8(12 + length):
            problems.append("index offset does not follow the header")
        if header.tree_offset != header.index_offset + header.entries * header.record_bytes:
            problems.append("tree offset does not follow the index")
        if size != header.tree_offset + (2 * header.entries - 1) * NODE_BYTES:
            problems.append(f"file size {size} does not match the header")
        if problems:
            raise ArtifactError(f"{path}: corrupt header: {'; '.join(problems)}")
        return header

    def close(self) -> None:
        self._map.close()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _find(self, key: bytes) -> int:
        """Record number of ``key``, or -1: binary search over the mapped, sorted index."""
        data, base, record, width = self._map, self._index, self._record, self._key_bytes
        lo, hi = 0, self._count
        while lo < hi:
            mid = (lo + hi) >> 1
            offset = base + mid * record
            if data[offset: offset + width] < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < self._count:
            offset = base + lo * record
            if data[offset: offset + width] == key:
                return lo
        return -1

    def _record_at(self, number: int) -> tuple[bytes, bytes, int]:
        offset = self._index + number * self._record
        key_end = offset + self._key_bytes
        amount_end = key_end + AMOUNT_BYTES
        data = self._map
        return (data[offset:key_end], data[key_end:amount_end],
                int.from_bytes(data[amount_end: amount_end + TREE_INDEX_BYTES], "little"))

    def _node(self, index: int) -> bytes:
        offset = self._tree + index * NODE_BYTES
        return self._map[offset: offset + NODE_BYTES]

    def lookup(self, address: Address) -> Entry | None:
        """The entry of ``address`` with its proof, or None (also for an address of the other chain)."""
        if address.chain != self._header.chain:
            return None
        number = self._find(address.raw)
        if number < 0:
            return None
        _, amount, tree_index = self._record_at(number)
        tree, data = self._tree, self._map
        proof = []
        for i in proof_indices(tree_index):
            offset = tree + i * NODE_BYTES
            proof.append("0x" + data[offset: offset + NODE_BYTES].hex())
        return Entry(address.text, int.from_bytes(amount), tree_index, proof)

    def verify(self) -> None:
        """Re-check everything: file hash, every leaf at its treeIndex, every inner node, the root."""
        self._check_file_hash()
        count, nodes_count = self._count, 2 * self._count - 1
        tree = self._map[self._tree: self._tree + nodes_count * NODE_BYTES]
        previous = b""
        seen_tree_index = bytearray(count)
        for number in range(count):
            key, amount, tree_index = self._record_at(number)
            if key <= previous:
                raise ArtifactError(f"{self.path}: index not sorted at record {number}")
            previous = key
            if not count - 1 <= tree_index < nodes_count or seen_tree_index[tree_index - count + 1]:
                raise ArtifactError(f"{self.path}: record {number} has a bad treeIndex {tree_index}")
            seen_tree_index[tree_index - count + 1] = 1
            if _leaf(key, amount) != tree[tree_index * NODE_BYTES: (tree_index + 1) * NODE_BYTES]:
                raise ArtifactError(f"{self.path}: leaf of record {number} does not match the tree")
        for i in range(count - 2, -1, -1):
            left = tree[(2 * i + 1) * NODE_BYTES: (2 * i + 2) * NODE_BYTES]
            right = tree[(2 * i + 2) * NODE_BYTES: (2 * i + 3) * NODE_BYTES]
            if hash_pair(left, right) != tree[i * NODE_BYTES: (i + 1) * NODE_BYTES]:
                raise ArtifactError(f"{self.path}: tree node {i} is not the hash of its children")
        if "0x" + tree[:NODE_BYTES].hex() != self._header.merkle_root:
            raise ArtifactError(f"{self.path}: header root does not match the tree")

    def verify_sample(self, samples: int, *, file_hash: bool) -> None:
        """Cheaper check used right after a build: file hash and the proofs of sampled entries."""
        if file_hash:
            self._check_file_hash()
        root = bytes.fromhex(self._header.merkle_root[2:])
        if self._node(0) != root:
            raise ArtifactError(f"{self.path}: header root does not match the tree")
        rng = random.Random(0)
        numbers = range(self._count) if self._count <= samples else rng.sample(range(self._count), samples)
        for number in numbers:
            key, amount, tree_index = self._record_at(number)
            node = _leaf(key, amount)
            if node != self._node(tree_index):
                raise ArtifactError(f"{self.path}: leaf of record {number} does not match the tree")
            for i in proof_indices(tree_index):
                node = hash_pair(node, self._node(i))
            if node != root:
                raise ArtifactError(f"{self.path}: proof of record {number} does not reach the root")

    def _check_file_hash(self) -> None:
        if not _is_content_addressed(self.path):
            raise ArtifactError(f"{self.path}: file name is not its sha256 (content-addressed name expected)")
        if hashlib.sha256(self._map).hexdigest() != self.path.stem:
            raise ArtifactError(f"{self.path}: sha256 of the file does not match its name (corrupted)")


def _is_content_addressed(path: Path) -> bool:
    return path.suffix == SUFFIX and _CONTENT_ADDRESSED_STEM.fullmatch(path.stem) is not None
