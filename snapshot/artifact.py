"""The snapshot artifact: one immutable, content-addressed file, read through mmap.

Layout (all offsets from the start of the file; integers little-endian unless said):

    0        8 bytes   magic  b"MPSNAP\\x00\\x03"  (format version 3)
    8        u32       header length H
    12       H bytes   header: JSON {format, chain, tree, name, block, entries, total, decimals, source,
                        merkle_root, key_bytes, record_bytes, bucket_bits, buckets_offset, index_offset,
                        tree_offset}
    ...      zero padding to a multiple of 8
    buckets  2**b + 1 u32: bucket t holds the records whose key's top b bits equal t, and starts at
             record ``buckets[t]`` (the last slot is n); b = ``bucket_bits``, about log2(n) - 4
    index    n records sorted by raw key: key (20 bytes EVM / 32 bytes Solana) ‖ amount (uint256,
             32 bytes big-endian, as ABI encodes it) ‖ leaf index (u32); see ``record_format``
    tree     the tree's node array, 32 bytes a node, whose layout ``tree`` names:
             ``oz``: 2n - 1 nodes, OpenZeppelin's ``tree`` array (root first, leaves last); the
             leaf index is OZ's ``treeIndex``;
             ``distributor``: the merkle-distributor's ``MerkleTree::nodes`` (levels bottom-up,
             leaves first in input order, root last; ``snapshot.distributor.node_count(n)`` nodes);
             the leaf index is the entry's position in the holder list.

``decimals`` is the snapshot token's decimals (None when the build was not told); ``source`` says
what the list was built from (None for a file given by hand). Format 3 added ``tree``, ``decimals``
and ``source``; older files are refused with a hint to rebuild.

Why the bucket table: a lookup is a random read into a file of ~120 MB for a million holders, and
under load each page it touches costs microseconds. Entered through the bucket table, the search is
one run of ~16 records (~900 contiguous bytes, one or two pages, searched in place with
``mmap.find``) that also holds the amount, where a binary search touched ~20 pages.

The file is named ``<sha256 of its bytes>.snap``. Invariants: the header's root equals the tree's
root (node 0 for OZ, the last node for the distributor); the bucket table is the one
``bucket_starts`` makes of the index; the leaf of record i (OZ: keccak(keccak(abi.encode(key,
amount))); distributor: ``distributor.leaf_hash(key, amount, 0)``) sits at its leaf index; every
inner node is the sorted-pair hash of its children (keccak for OZ, ``0x01``-prefixed sha256 for the
distributor). ``Snapshot.open`` checks only the framing (magic, sizes,
offsets) so it costs the same for 10 entries or 10 million; ``Snapshot.verify`` re-checks all of
the above plus the file hash (so ``verify`` wants the content-addressed name; a renamed copy
is still opened, and hashed once at open to learn its id). Lookups search one bucket of the
mapped index and read the proof from the mapped tree: nothing is copied into Python objects at open
(``proof_json`` fills, as lookups need them, 4096 slots of proofs' upper parts: a few MB at most).
"""

from __future__ import annotations

import binascii
import bisect
import contextlib
import hashlib
import mmap
import random
import re
import struct
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import msgspec
import sha3

from snapshot import distributor
from snapshot.addresses import Address, Chain
from snapshot.errors import ArtifactError
from snapshot.merkle import hash_pair

TreeKind = Literal["oz", "distributor"]
MAGIC_PREFIX = b"MPSNAP\x00"
FORMAT_VERSION = 3
MAGIC = MAGIC_PREFIX + bytes([FORMAT_VERSION])
AMOUNT_BYTES = 32
NODE_BYTES = 32
VALUE_FORMAT = struct.Struct(f"<{AMOUNT_BYTES}sI")  # the part of a record after its key
BUCKET_FORMAT = struct.Struct("<II")
#: Keys per bucket aimed at: a bucket's run of records (~900 bytes for EVM) is searched with ``mmap.find``.
KEYS_PER_BUCKET = 16
MAX_BUCKET_BITS = 24
#: Buckets larger than this (clustered keys, e.g. vanity addresses) are binary-searched instead.
LINEAR_SEARCH_MAX = 64
#: ``proof_json`` keeps the JSON of the upper part of proofs (the siblings above this depth) for the
#: nodes at this depth: at most 2**12 fragments of ~830 bytes, made on first use.
PROOF_CACHE_DEPTH = 12
SUFFIX = ".snap"
#: Token decimals a header may declare (SPL mints hold a u8; 77 digits already exceed uint256).
MAX_DECIMALS = 77
_CONTENT_ADDRESSED_STEM = re.compile(r"[0-9a-f]{64}")


class Manifest(msgspec.Struct, frozen=True):
    """What ``GET /v1/snapshots`` shows of an artifact; ``id`` is the first 16 hex digits of ``sha256``."""

    id: str
    chain: Chain
    tree: TreeKind
    name: str
    block: int | None
    entries: int
    total: str
    decimals: int | None
    merkle_root: str
    sha256: str
    path: str
    source: dict[str, Any] | None = None


class Entry(msgspec.Struct, frozen=True):
    """One holder: ``leaf_index`` and ``proof`` as the artifact's tree defines them (OZ: ``treeIndex``
    and ``getProof``; distributor: position in the list and ``get_proof``)."""

    address: str
    amount: int
    leaf_index: int
    proof: list[str]


class _Header(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    format: int
    chain: Chain
    tree: TreeKind
    name: str
    block: int | None
    entries: int
    total: str
    decimals: int | None
    source: dict[str, Any] | None
    merkle_root: str
    key_bytes: int
    record_bytes: int
    bucket_bits: int
    buckets_offset: int
    index_offset: int
    tree_offset: int


_header_decoder = msgspec.json.Decoder(_Header)


def _oz_leaf(key: bytes, amount_be: bytes) -> bytes:
    keccak = sha3.keccak_256
    return keccak(keccak(key.rjust(32, b"\0") + amount_be).digest()).digest()


def _align8(n: int) -> int:
    return (n + 7) & ~7


def bucket_bits_for(entries: int) -> int:
    """Top key bits that pick a bucket: about ``KEYS_PER_BUCKET`` keys each for uniformly spread keys."""
    return max(0, min(MAX_BUCKET_BITS, entries.bit_length() - KEYS_PER_BUCKET.bit_length() + 1))


def record_format(key_bytes: int) -> struct.Struct:
    """One index record: key, amount (uint256 big-endian, as ABI encodes it), treeIndex (u32 little-endian)."""
    return struct.Struct(f"<{key_bytes}s{AMOUNT_BYTES}sI")


def bucket_starts(sorted_records: list[bytes], bits: int) -> bytes:
    """The bucket table of records (or bare keys) sorted by key: ``2**bits + 1`` u32 record numbers.

    A record starts with its key, so a 4-byte prefix orders against records as against keys.
    """
    shift = 32 - bits
    starts = [bisect.bisect_left(sorted_records, (bucket << shift).to_bytes(4)) for bucket in range(1 << bits)]
    starts.append(len(sorted_records))
    return struct.pack(f"<{len(starts)}I", *starts)


def _layout(header_length: int, entries: int, key_bytes: int, bits: int) -> dict[str, int]:
    buckets = _align8(len(MAGIC) + 4 + header_length)
    index = buckets + ((1 << bits) + 1) * 4
    record_bytes = record_format(key_bytes).size
    return {"record_bytes": record_bytes, "buckets_offset": buckets, "index_offset": index,
            "tree_offset": index + entries * record_bytes}


def tree_nodes(tree: TreeKind, entries: int) -> int:
    """How many 32-byte nodes the tree section of ``entries`` leaves holds."""
    return 2 * entries - 1 if tree == "oz" else distributor.node_count(entries)


def encode_prefix(*, chain: Chain, name: str, block: int | None, entries: int, total: int, merkle_root: bytes,
                  key_bytes: int, tree: TreeKind = "oz", decimals: int | None = None,
                  source: dict[str, Any] | None = None) -> bytes:
    """Magic, header length, JSON header and padding: every byte of the file before the bucket table."""
    bits = bucket_bits_for(entries)
    fields = {"format": FORMAT_VERSION, "chain": chain, "tree": tree, "name": name, "block": block,
              "entries": entries, "total": str(total), "decimals": decimals, "source": source,
              "merkle_root": "0x" + merkle_root.hex(), "key_bytes": key_bytes,
              "bucket_bits": bits, **_layout(0, entries, key_bytes, bits)}
    # The offsets depend on the header's length, which depends on the offsets' digits: iterate to the
    # fixed point (the length only grows, by a few digits, so two or three rounds settle it).
    while True:
        header = msgspec.json.encode(fields)
        layout = _layout(len(header), entries, key_bytes, bits)
        if all(fields[key] == value for key, value in layout.items()):
            break
        fields.update(layout)
    prefix = MAGIC + len(header).to_bytes(4, "little") + header
    return prefix.ljust(fields["buckets_offset"], b"\0")


class Snapshot:
    """An opened artifact. Thread-safe for reads; ``close`` releases the mapping."""

    def __init__(self, path: Path, handle: mmap.mmap, header: _Header, manifest: Manifest) -> None:
        self.path = path
        self._map = handle
        # Proof siblings are sliced from this view: a memoryview slice is joined without an
        # intermediate bytes copy per node (~60 ns each, eight or more per proof).
        self._view = memoryview(handle)
        self._header = header
        self.manifest = manifest
        self.chain = header.chain
        self.tree = header.tree
        self._key_bytes = header.key_bytes
        self._bucket_shift = 32 - header.bucket_bits
        self._buckets = header.buckets_offset
        self._record = header.record_bytes
        self._index = header.index_offset
        self._tree = header.tree_offset
        self._count = header.entries
        self._upper_proofs: list[bytes | None] = [None] * (1 << PROOF_CACHE_DEPTH)
        if header.tree == "distributor":
            # (byte offset, length) of every level below the root, leaves first.
            starts = distributor.level_starts(header.entries)
            self._levels = [(self._tree + start * NODE_BYTES, end - start)
                            for start, end in pairwise(starts[:-1])]
            self._upper_shift = max(0, len(self._levels) - PROOF_CACHE_DEPTH)
            self._root_offset = self._tree + (starts[-1] - 1) * NODE_BYTES
            self.proof_nodes = self._distributor_proof_nodes  # type: ignore[method-assign]
            self.proof_json = self._distributor_proof_json  # type: ignore[method-assign]
        else:
            self._root_offset = self._tree

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
        _ask_for_huge_pages(handle)
        try:
            header = cls._read_header(path, handle)
        except ArtifactError:
            handle.close()
            raise
        sha256 = path.stem if _is_content_addressed(path) else hashlib.sha256(handle).hexdigest()
        manifest = Manifest(id=sha256[:16], chain=header.chain, tree=header.tree, name=header.name,
                            block=header.block, entries=header.entries, total=header.total,
                            decimals=header.decimals, merkle_root=header.merkle_root, sha256=sha256,
                            path=str(path), source=header.source)
        return cls(path, handle, header, manifest)

    @staticmethod
    def _read_header(path: Path, handle: mmap.mmap) -> _Header:
        size = len(handle)
        if size < len(MAGIC) + 4 or handle[: len(MAGIC_PREFIX)] != MAGIC_PREFIX:
            raise ArtifactError(f"{path}: not a snapshot artifact (bad magic)")
        if handle[len(MAGIC_PREFIX)] != FORMAT_VERSION:
            raise ArtifactError(f"{path}: artifact format {handle[len(MAGIC_PREFIX)]} is not {FORMAT_VERSION}; "
                                "rebuild it from the holder list with `portal snapshot build`")
        length = int.from_bytes(handle[8:12], "little")
        try:
            header = _header_decoder.decode(handle[12: 12 + length])
        except msgspec.DecodeError as exc:
            raise ArtifactError(f"{path}: corrupt header: {exc}") from None
        expected_key = 20 if header.chain == "evm" else 32
        problems = []
        if header.format != FORMAT_VERSION:
            problems.append(f"format {header.format} is not {FORMAT_VERSION}")
        if header.entries < 1 or header.key_bytes != expected_key or header.entries > distributor.MAX_NODES:
            problems.append("entry count or key size out of range")
        if header.tree == "distributor" and header.chain != "solana":
            problems.append("a distributor tree holds Solana public keys only")
        if header.decimals is not None and not 0 <= header.decimals <= MAX_DECIMALS:
            problems.append(f"decimals {header.decimals} out of range")
        if header.bucket_bits != bucket_bits_for(header.entries):
            problems.append("bucket bits do not match the entry count")
        elif _layout(length, header.entries, header.key_bytes, header.bucket_bits) != {
                "record_bytes": header.record_bytes, "buckets_offset": header.buckets_offset,
                "index_offset": header.index_offset, "tree_offset": header.tree_offset}:
            problems.append("record size or section offsets do not follow from the header")
        if not problems and size != header.tree_offset + tree_nodes(header.tree, header.entries) * NODE_BYTES:
            problems.append(f"file size {size} does not match the header")
        if problems:
            raise ArtifactError(f"{path}: corrupt header: {'; '.join(problems)}")
        return header

    def close(self) -> None:
        self._view.release()
        self._map.close()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def find(self, key: bytes) -> int:
        """Record number of the raw ``key`` (20 or 32 bytes), or -1.

        The bucket table narrows the search to the records whose keys share ``key``'s top bits; a
        small bucket is one contiguous run of records searched in place with ``mmap.find`` (a hit not
        at the start of a record lies in an amount or across records and is skipped), a large one
        (clustered keys) is binary-searched.
        """
        width, record, data = self._key_bytes, self._record, self._map
        if len(key) != width:
            return -1
        lo, hi = BUCKET_FORMAT.unpack_from(data, self._buckets + 4 * (int.from_bytes(key[:4]) >> self._bucket_shift))
        base = self._index
        if hi - lo <= LINEAR_SEARCH_MAX:
            start, end = base + lo * record, base + hi * record
            position = data.find(key, start, end)
            while position > start and (position - start) % record:
                position = data.find(key, position + 1, end)
            return -1 if position < 0 else lo + (position - start) // record
        while lo < hi:
            mid = (lo + hi) >> 1
            offset = base + mid * record
            if data[offset: offset + width] < key:
                lo = mid + 1
            else:
                hi = mid
        offset = base + lo * record
        return lo if lo < self._count and data[offset: offset + width] == key else -1

    def key_at(self, number: int) -> bytes:
        offset = self._index + number * self._record
        return self._map[offset: offset + self._key_bytes]

    def value_at(self, number: int) -> tuple[int, int]:
        """Amount and leaf index (OZ treeIndex, or distributor list position) of record ``number``."""
        offset = self._index + number * self._record + self._key_bytes
        amount, tree_index = VALUE_FORMAT.unpack_from(self._map, offset)
        return int.from_bytes(amount), tree_index

    def proof_nodes(self, tree_index: int) -> bytes:
        """The proof of the leaf at ``tree_index`` as one string of 32-byte nodes, in ``getProof`` order
        (for a distributor artifact, ``get_proof`` order: replaced per instance in ``__init__``).

        One bytes object rather than a list: the HTTP answer hex-encodes it in one call.
        """
        return self._siblings(tree_index + 1, 1)

    def _siblings(self, j: int, stop: int) -> bytes:
        """Siblings on the path from node ``j`` up to its ancestor ``stop``, in heap numbering from 1
        (j = treeIndex + 1): the sibling of j is j ^ 1 and its parent j >> 1."""
        view, base = self._view, self._tree - NODE_BYTES
        nodes = []
        while j > stop:
            offset = base + (j ^ 1) * NODE_BYTES
            nodes.append(view[offset: offset + NODE_BYTES])
            j >>= 1
        return b"".join(nodes)

    def proof_json(self, tree_index: int) -> bytes:
        """The proof of the leaf at ``tree_index`` as the inside of a JSON array of ``0x`` hex strings
        (``b'"0x..","0x.."'``; empty for a one-leaf tree): what the eligibility answer carries.

        The upper part of a proof (siblings at depths ``PROOF_CACHE_DEPTH`` .. 1) is shared by every
        leaf below the same node at ``PROOF_CACHE_DEPTH``, so its JSON is made once per such node and
        kept (a few MB at most); only the lower siblings are read and encoded per call.
        """
        j = tree_index + 1  # heap numbering from 1: sibling j ^ 1, parent j >> 1, depth bit_length - 1
        below = j.bit_length() - 1 - PROOF_CACHE_DEPTH
        if below <= 0:
            return _json_hex_list(self.proof_nodes(tree_index))
        upper_node = j >> below
        slot = upper_node - (1 << PROOF_CACHE_DEPTH)
        upper = self._upper_proofs[slot]
        if upper is None:
            upper = self._upper_proofs[slot] = _json_hex_list(self._siblings(upper_node, 1))
        return b",".join((_json_hex_list(self._siblings(j, upper_node)), upper))

    def _distributor_siblings(self, index: int, first: int, last: int) -> bytes:
        """Siblings of leaf ``index``'s path on levels ``first`` .. ``last - 1`` (0 = leaves): on a level
        of odd length the last node is its own sibling, as ``find_path`` gives it."""
        view = self._view
        nodes = []
        index >>= first
        for start, length in self._levels[first:last]:
            sibling = index ^ 1
            offset = start + (sibling if sibling < length else index) * NODE_BYTES
            nodes.append(view[offset: offset + NODE_BYTES])
            index >>= 1
        return b"".join(nodes)

    def _distributor_proof_nodes(self, leaf_index: int) -> bytes:
        return self._distributor_siblings(leaf_index, 0, len(self._levels))

    def _distributor_proof_json(self, leaf_index: int) -> bytes:
        """``proof_json`` for the distributor tree: the siblings on the top ``PROOF_CACHE_DEPTH`` levels
        are shared by the leaves under one node of level ``_upper_shift`` and are cached per node."""
        shift = self._upper_shift
        if shift == 0:
            return _json_hex_list(self._distributor_siblings(leaf_index, 0, len(self._levels)))
        slot = leaf_index >> shift
        upper = self._upper_proofs[slot]
        if upper is None:
            upper = self._upper_proofs[slot] = _json_hex_list(
                self._distributor_siblings(leaf_index, shift, len(self._levels)))
        return b",".join((_json_hex_list(self._distributor_siblings(leaf_index, 0, shift)), upper))

    def root(self) -> bytes:
        return self._map[self._root_offset: self._root_offset + NODE_BYTES]

    def _node(self, index: int) -> bytes:
        offset = self._tree + index * NODE_BYTES
        return self._map[offset: offset + NODE_BYTES]

    def lookup(self, address: Address) -> Entry | None:
        """The entry of ``address`` with its proof, or None (also for an address of the other chain)."""
        if address.chain != self.chain:
            return None
        number = self.find(address.raw)
        if number < 0:
            return None
        amount, tree_index = self.value_at(number)
        nodes = self.proof_nodes(tree_index)
        proof = ["0x" + nodes[i: i + NODE_BYTES].hex() for i in range(0, len(nodes), NODE_BYTES)]
        return Entry(address.text, amount, tree_index, proof)

    def records_in_leaf_order(self) -> list[int]:
        """Record numbers by leaf index: for a distributor artifact, the holder list's order."""
        order = [0] * self._count
        for number, (_, _, leaf) in enumerate(record_format(self._key_bytes).iter_unpack(
                self._map[self._index: self._tree])):
            order[leaf] = number
        return order

    def verify(self) -> None:
        """Re-check everything: file hash, bucket table, key order, every leaf at its index, every
        inner node, the root."""
        self._check_file_hash()
        count = self._count
        nodes_count = tree_nodes(self.tree, count)
        records = record_format(self._key_bytes).iter_unpack(self._map[self._index: self._tree])
        keys, amounts, tree_indexes = (list(column) for column in zip(*records, strict=True))
        if any(keys[i] >= keys[i + 1] for i in range(count - 1)):
            raise ArtifactError(f"{self.path}: keys not sorted")
        table_size = ((1 << self._header.bucket_bits) + 1) * 4
        if bucket_starts(keys, self._header.bucket_bits) != self._map[self._buckets: self._buckets + table_size]:
            raise ArtifactError(f"{self.path}: bucket table does not match the keys")
        tree = self._map[self._tree: self._tree + nodes_count * NODE_BYTES]
        first_leaf = count - 1 if self.tree == "oz" else 0
        seen_tree_index = bytearray(count)
        for number, (amount, tree_index) in enumerate(zip(amounts, tree_indexes, strict=True)):
            if not first_leaf <= tree_index < first_leaf + count or seen_tree_index[tree_index - first_leaf]:
                raise ArtifactError(f"{self.path}: record {number} has a bad leaf index {tree_index}")
            seen_tree_index[tree_index - first_leaf] = 1
            if self._leaf(keys[number], amount) != tree[tree_index * NODE_BYTES: (tree_index + 1) * NODE_BYTES]:
                raise ArtifactError(f"{self.path}: leaf of record {number} does not match the tree")
        del keys, amounts, tree_indexes
        if self.tree == "oz":
            for i in range(count - 2, -1, -1):
                left = tree[(2 * i + 1) * NODE_BYTES: (2 * i + 2) * NODE_BYTES]
                right = tree[(2 * i + 2) * NODE_BYTES: (2 * i + 3) * NODE_BYTES]
                if hash_pair(left, right) != tree[i * NODE_BYTES: (i + 1) * NODE_BYTES]:
                    raise ArtifactError(f"{self.path}: tree node {i} is not the hash of its children")
            root = tree[:NODE_BYTES]
        else:
            leaves = [tree[i * NODE_BYTES: (i + 1) * NODE_BYTES] for i in range(count)]
            if b"".join(distributor.build_nodes(leaves)) != tree:
                raise ArtifactError(f"{self.path}: a tree node is not the hash of its children")
            root = tree[-NODE_BYTES:]
        if "0x" + root.hex() != self._header.merkle_root:
            raise ArtifactError(f"{self.path}: header root does not match the tree")

    def _leaf(self, key: bytes, amount_be: bytes) -> bytes:
        if self.tree == "oz":
            return _oz_leaf(key, amount_be)
        amount = int.from_bytes(amount_be)
        if amount >= distributor.U64_LIMIT:
            raise ArtifactError(f"{self.path}: amount {amount} does not fit the distributor's u64")
        return distributor.leaf_hash(key, amount)

    def verify_sample(self, samples: int, *, file_hash: bool) -> None:
        """Cheaper check used right after a build: file hash and the proofs of sampled entries, each
        found again through the bucket table."""
        if file_hash:
            self._check_file_hash()
        root = bytes.fromhex(self._header.merkle_root[2:])
        if self.root() != root:
            raise ArtifactError(f"{self.path}: header root does not match the tree")
        rng = random.Random(0)
        numbers = range(self._count) if self._count <= samples else rng.sample(range(self._count), samples)
        for number in numbers:
            key = self.key_at(number)
            if self.find(key) != number:
                raise ArtifactError(f"{self.path}: key of record {number} is not found through the bucket table")
            amount, tree_index = self.value_at(number)
            node = self._leaf(key, amount.to_bytes(AMOUNT_BYTES))
            if node != self._node(tree_index):
                raise ArtifactError(f"{self.path}: leaf of record {number} does not match the tree")
            siblings = self.proof_nodes(tree_index)
            pair = hash_pair if self.tree == "oz" else distributor.hash_pair
            for i in range(0, len(siblings), NODE_BYTES):
                node = pair(node, siblings[i: i + NODE_BYTES])
            if node != root:
                raise ArtifactError(f"{self.path}: proof of record {number} does not reach the root")

    def _check_file_hash(self) -> None:
        if not _is_content_addressed(self.path):
            raise ArtifactError(f"{self.path}: file name is not its sha256 (content-addressed name expected)")
        if hashlib.sha256(self._map).hexdigest() != self.path.stem:
            raise ArtifactError(f"{self.path}: sha256 of the file does not match its name (corrupted)")


def _ask_for_huge_pages(handle: mmap.mmap) -> None:
    """Ask the kernel to back the mapping with 2 MiB pages where it can (Linux, file systems with large
    folios such as ext4 and xfs on recent kernels, pages not yet cached): a lookup reads about a dozen
    scattered pages, and with 4 KiB pages each is a TLB miss, which is dear under virtualisation.
    A hint only; it changes no byte read and is skipped where unsupported."""
    advice = getattr(mmap, "MADV_HUGEPAGE", None)
    if advice is not None:
        with contextlib.suppress(OSError):
            handle.madvise(advice)


def _json_hex_list(nodes: bytes) -> bytes:
    """``b'"0x<node>","0x<node>"'`` for concatenated 32-byte nodes: one hexlify, one replace."""
    if not nodes:
        return b""
    return b'"0x' + binascii.hexlify(nodes, b",", NODE_BYTES).replace(b",", b'","0x') + b'"'


def _is_content_addressed(path: Path) -> bool:
    return path.suffix == SUFFIX and _CONTENT_ADDRESSED_STEM.fullmatch(path.stem) is not None
