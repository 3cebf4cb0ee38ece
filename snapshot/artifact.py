"""The snapshot artifact: one immutable, content-addressed file, read through mmap.

Layout (all offsets from the start of the file; integers little-endian unless said):

    0      8 bytes   magic  b"MPSNAP\\x00\\x01"  (format version 1)
    8      u32       header length H
    12     H bytes   header: JSON {format, chain, name, block, entries, total, merkle_root,
                      key_bytes, record_bytes, index_offset, tree_offset}
    ...    zero padding to a multiple of 8
    index  n records sorted by raw key: key (20 bytes EVM / 32 bytes Solana) ‖ amount (uint256,
           32 bytes big-endian, as ABI encodes it) ‖ OpenZeppelin treeIndex (u32)
    tree   2n - 1 nodes of 32 bytes: OpenZeppelin's ``tree`` array (root first, leaves last)

The file is named ``<sha256 of its bytes>.snap``. Invariants: the header's root equals node 0; the
leaf of record i (keccak(keccak(abi.encode(key, amount)))) sits at its treeIndex; every inner node
is the sorted-pair hash of its children. ``Snapshot.open`` checks only the framing (magic, sizes,
offsets) so it costs the same for 10 entries or 10 million; ``Snapshot.verify`` re-checks all of
the above plus the file hash. Lookups are a binary search over the mapped index and read the proof
from the mapped tree: nothing is copied into Python objects at open.
"""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing
import os
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import msgspec
import sha3

from snapshot.addresses import Address, Chain, b58encode, to_checksum_address
from snapshot.errors import ArtifactError, HolderListError
from snapshot.holders import HolderList, parse_csv_chunk, parse_holder_list, split_csv
from snapshot.merkle import build_nodes, hash_pair, proof_indices

MAGIC = b"MPSNAP\x00\x01"
FORMAT_VERSION = 1
AMOUNT_BYTES = 32
TREE_INDEX_BYTES = 4
NODE_BYTES = 32
#: Entries whose proofs ``build_artifact`` re-verifies from the written file (the rest: ``verify``).
BUILD_SAMPLE_PROOFS = 1000
#: Lists smaller than this are parsed in-process: a worker pool costs more than it saves.
PARALLEL_MIN_BYTES = 4 * 2**20

Progress = Callable[[int, int], None]


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


def _text(chain: str, raw: bytes) -> str:
    return to_checksum_address(raw) if chain == "evm" else b58encode(raw)


def _leaf(key: bytes, amount_be: bytes) -> bytes:
    keccak = sha3.keccak_256
    return keccak(keccak(key.rjust(32, b"\0") + amount_be).digest()).digest()


def build_artifact(source: Path, out_dir: Path, *, name: str | None = None, block: int | None = None,
                   progress: Progress | None = None) -> Manifest:
    """Parse ``source``, build the tree, write ``<out_dir>/<sha256>.snap`` atomically, check it, return it.

    Raises ``HolderListError`` (nothing written) for a bad list. The written file is re-read: its
    hash must match, and the proofs of up to ``BUILD_SAMPLE_PROOFS`` entries (spread over the index)
    must verify against the root, so a write error cannot leave a wrong artifact in place.
    """
    report = progress or (lambda done, total: None)
    chain, keys, amounts_be, leaves, total = _parse_and_hash(Path(source).read_bytes())
    count = len(keys)
    report(2, 5)
    leaf_order = sorted(range(count), key=leaves.__getitem__, reverse=True)
    nodes = build_nodes([leaves[i] for i in leaf_order])
    del leaves
    report(3, 5)
    tree_index = [0] * count
    for position, value_index in enumerate(leaf_order, start=count - 1):
        tree_index[value_index] = position
    del leaf_order
    key_order = sorted(range(count), key=keys.__getitem__)
    index = b"".join([keys[i] + amounts_be[i] + tree_index[i].to_bytes(TREE_INDEX_BYTES, "little")
                      for i in key_order])
    del key_order, tree_index, amounts_be
    report(4, 5)
    key_bytes = len(keys[0])
    record_bytes = key_bytes + AMOUNT_BYTES + TREE_INDEX_BYTES
    header_fields = {"format": FORMAT_VERSION, "chain": chain, "name": name or Path(source).stem,
                     "block": block, "entries": count, "total": str(total),
                     "merkle_root": "0x" + nodes[0].hex(), "key_bytes": key_bytes, "record_bytes": record_bytes,
                     "index_offset": 0, "tree_offset": 0}
    # The offsets depend on the header's length, which depends on the offsets' digits: settle it.
    for _ in range(3):
        header = msgspec.json.encode(header_fields)
        index_offset = _align8(len(MAGIC) + 4 + len(header))
        header_fields["index_offset"] = index_offset
        header_fields["tree_offset"] = index_offset + len(index)
    header = msgspec.json.encode(header_fields)
    assert _align8(len(MAGIC) + 4 + len(header)) == header_fields["index_offset"]
    prefix = MAGIC + len(header).to_bytes(4, "little") + header
    prefix += b"\0" * (header_fields["index_offset"] - len(prefix))
    tree = b"".join(nodes)
    del nodes
    digest = hashlib.sha256(prefix)
    digest.update(index)
    digest.update(tree)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{digest.hexdigest()}.snap"
    fd, tmp_name = tempfile.mkstemp(dir=out_dir, prefix=".building-", suffix=".snap")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(prefix)
            out.write(index)
            out.write(tree)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, final)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    with Snapshot.open(final) as written:
        written.verify_sample(BUILD_SAMPLE_PROOFS, file_hash=True)
        manifest = written.manifest
    report(5, 5)
    return manifest


_Parsed = tuple[Chain, list[bytes], list[bytes], list[bytes], int]


def _hash_rows(holders: HolderList) -> _Parsed:
    """Keys, ABI-encoded amounts and OpenZeppelin leaves of valid rows, in input order, and the total."""
    amounts_be = [amount.to_bytes(AMOUNT_BYTES) for amount in holders.amounts]
    keccak = sha3.keccak_256
    leaves = [keccak(keccak(key.rjust(32, b"\0") + amount).digest()).digest()
              for key, amount in zip(holders.keys, amounts_be, strict=True)]
    return holders.chain, holders.keys, amounts_be, leaves, sum(holders.amounts)


def _hash_chunk(job: tuple[bytes, int]) -> tuple[Chain, bytes, bytes, bytes, int, int] | None:
    """A worker's share, packed into three buffers: one pickled bytes object each, not millions."""
    try:
        chain, keys, amounts_be, leaves, total = _hash_rows(parse_csv_chunk(*job))
    except HolderListError:
        return None
    return chain, b"".join(keys), b"".join(amounts_be), b"".join(leaves), total, len(keys[0])


def _unpack(buffer: bytes, width: int) -> list[bytes]:
    return [buffer[i: i + width] for i in range(0, len(buffer), width)]


def _parse_and_hash(data: bytes) -> _Parsed:
    """Parse and hash on every core for a big CSV list; any problem falls back to the serial parser.

    Chunks check their own rows; the whole-list rules (one chain, no duplicate across chunks) are
    checked here. When anything is wrong the serial ``parse_holder_list`` runs, so the report (every
    bad row, exact line numbers) is always the same whichever path found the problem.
    """
    workers = min(os.cpu_count() or 1, 8)
    if len(data) >= PARALLEL_MIN_BYTES and workers > 1 and (jobs := split_csv(data, workers)):
        context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
        with context.Pool(len(jobs)) as pool:
            results = pool.map(_hash_chunk, jobs)
        if all(results) and len({r[0] for r in results}) == 1:  # type: ignore[index]
            width = results[0][5]  # type: ignore[index]
            keys = _unpack(b"".join(r[1] for r in results), width)  # type: ignore[index]
            if len(set(keys)) == len(keys):
                return (results[0][0], keys, _unpack(b"".join(r[2] for r in results), AMOUNT_BYTES),  # type: ignore[index]
                        _unpack(b"".join(r[3] for r in results), NODE_BYTES),  # type: ignore[index]
                        sum(r[4] for r in results))  # type: ignore[index,misc]
    return _hash_rows(parse_holder_list(data))


def _align8(n: int) -> int:
    return (n + 7) & ~7


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
        sha256 = path.stem if len(path.stem) == 64 else ""
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
        if len(self.path.stem) != 64:
            raise ArtifactError(f"{self.path}: file name is not its sha256 (content-addressed name expected)")
        if hashlib.sha256(self._map).hexdigest() != self.path.stem:
            raise ArtifactError(f"{self.path}: sha256 of the file does not match its name (corrupted)")

    def text_of(self, raw: bytes) -> str:
        return _text(self._header.chain, raw)
