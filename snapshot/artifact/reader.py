"""``Snapshot``: an opened artifact, mapped read-only, answering lookups in place.

``Snapshot.open`` checks only the framing (magic, sizes, offsets), so it costs the same for 10 entries
or 10 million; the content checks are ``verify``/``verify_sample`` (``snapshot.artifact.verifier``). A
renamed copy is still opened, and hashed once at open to learn its id. Lookups search one bucket of
the mapped index and read the proof from the mapped tree through the header's tree layout
(``snapshot.artifact.trees``): nothing is copied into Python objects at open.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
from pathlib import Path

import msgspec

from snapshot import distributor
from snapshot.addresses import Address
from snapshot.artifact import verifier
from snapshot.artifact.format import (
    BUCKET_FORMAT,
    FORMAT_VERSION,
    MAGIC,
    MAGIC_PREFIX,
    MAX_DECIMALS,
    NODE_BYTES,
    VALUE_FORMAT,
    Entry,
    Header,
    Manifest,
    bucket_bits_for,
    header_decoder,
    is_content_addressed,
    record_format,
    section_layout,
)
from snapshot.artifact.trees import LAYOUTS, TreeLayout
from snapshot.errors import ArtifactError

#: Buckets larger than this (clustered keys, e.g. vanity addresses) are binary-searched instead.
LINEAR_SEARCH_MAX = 64


class Snapshot:
    """An opened artifact. Thread-safe for reads; ``close`` releases the mapping."""

    def __init__(self, path: Path, handle: mmap.mmap, header: Header, manifest: Manifest) -> None:
        self.path = path
        self.mapped = handle
        # Proof siblings are sliced from this view (see ``snapshot.artifact.trees``).
        self._view = memoryview(handle)
        self.header = header
        self.manifest = manifest
        self.chain = header.chain
        self.tree = header.tree
        self.layout: TreeLayout = LAYOUTS[header.tree](self._view, header.tree_offset, header.entries)
        self._key_bytes = header.key_bytes
        self._bucket_shift = 32 - header.bucket_bits
        self._buckets = header.buckets_offset
        self._record = header.record_bytes
        self._index = header.index_offset
        self._count = header.entries
        self._root_offset = self.layout.root_offset

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
            header = read_header(path, handle)
        except ArtifactError:
            handle.close()
            raise
        sha256 = path.stem if is_content_addressed(path) else hashlib.sha256(handle).hexdigest()
        manifest = Manifest(id=sha256[:16], chain=header.chain, tree=header.tree, name=header.name,
                            block=header.block, entries=header.entries, total=header.total,
                            decimals=header.decimals, merkle_root=header.merkle_root, sha256=sha256,
                            path=str(path), source=header.source)
        return cls(path, handle, header, manifest)

    def close(self) -> None:
        # The layout holds the memoryview too; release it before the mapping it views.
        self._view.release()
        self.mapped.close()

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
        width, record, data = self._key_bytes, self._record, self.mapped
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
        return self.mapped[offset: offset + self._key_bytes]

    def value_at(self, number: int) -> tuple[int, int]:
        """Amount and leaf index (OZ treeIndex, or distributor list position) of record ``number``."""
        offset = self._index + number * self._record + self._key_bytes
        amount, tree_index = VALUE_FORMAT.unpack_from(self.mapped, offset)
        return int.from_bytes(amount), tree_index

    def proof_nodes(self, leaf_index: int) -> bytes:
        """The proof of the leaf at ``leaf_index`` as one string of 32-byte nodes (``TreeLayout.proof_nodes``)."""
        return self.layout.proof_nodes(leaf_index)

    def proof_json(self, leaf_index: int) -> bytes:
        """The proof of the leaf at ``leaf_index`` as the inside of a JSON array (``TreeLayout.proof_json``)."""
        return self.layout.proof_json(leaf_index)

    def root(self) -> bytes:
        return self.mapped[self._root_offset: self._root_offset + NODE_BYTES]

    def node(self, index: int) -> bytes:
        """Node ``index`` of the tree section (a leaf index names its leaf's node)."""
        offset = self.header.tree_offset + index * NODE_BYTES
        return self.mapped[offset: offset + NODE_BYTES]

    def lookup(self, address: Address) -> Entry | None:
        """The entry of ``address`` with its proof, or None (also for an address of the other chain)."""
        if address.chain != self.chain:
            return None
        number = self.find(address.raw)
        if number < 0:
            return None
        amount, tree_index = self.value_at(number)
        nodes = self.layout.proof_nodes(tree_index)
        proof = ["0x" + nodes[i: i + NODE_BYTES].hex() for i in range(0, len(nodes), NODE_BYTES)]
        return Entry(address.text, amount, tree_index, proof)

    def records_in_leaf_order(self) -> list[int]:
        """Record numbers by leaf index: for a distributor artifact, the holder list's order."""
        order = [0] * self._count
        for number, (_, _, leaf) in enumerate(record_format(self._key_bytes).iter_unpack(
                self.mapped[self._index: self.header.tree_offset])):
            order[leaf] = number
        return order

    def verify(self) -> None:
        """Re-check everything: file hash, bucket table, key order, every leaf at its index, every
        inner node, the root (``verifier.verify``)."""
        verifier.verify(self)

    def verify_sample(self, samples: int, *, file_hash: bool) -> None:
        """Cheaper check used right after a build (``verifier.verify_sample``)."""
        verifier.verify_sample(self, samples, file_hash=file_hash)


def read_header(path: Path, handle: mmap.mmap) -> Header:
    """The header of the mapped file, once its framing is consistent: every offset and size follows from
    the counts, and the file is exactly as long as they say (else ``ArtifactError`` naming each problem)."""
    size = len(handle)
    if size < len(MAGIC) + 4 or handle[: len(MAGIC_PREFIX)] != MAGIC_PREFIX:
        raise ArtifactError(f"{path}: not a snapshot artifact (bad magic)")
    if handle[len(MAGIC_PREFIX)] != FORMAT_VERSION:
        raise ArtifactError(f"{path}: artifact format {handle[len(MAGIC_PREFIX)]} is not {FORMAT_VERSION}; "
                            "rebuild it from the holder list with `portal snapshot build`")
    length = int.from_bytes(handle[8:12], "little")
    try:
        header = header_decoder.decode(handle[12: 12 + length])
    except msgspec.DecodeError as exc:
        raise ArtifactError(f"{path}: corrupt header: {exc}") from None
    layout = LAYOUTS[header.tree]
    expected_key = 20 if header.chain == "evm" else 32
    problems = []
    if header.format != FORMAT_VERSION:
        problems.append(f"format {header.format} is not {FORMAT_VERSION}")
    if header.entries < 1 or header.key_bytes != expected_key or header.entries > distributor.MAX_NODES:
        problems.append("entry count or key size out of range")
    if header.chain not in layout.chains:
        problems.append(layout.wrong_chain)
    if header.decimals is not None and not 0 <= header.decimals <= MAX_DECIMALS:
        problems.append(f"decimals {header.decimals} out of range")
    if header.bucket_bits != bucket_bits_for(header.entries):
        problems.append("bucket bits do not match the entry count")
    elif section_layout(length, header.entries, header.key_bytes, header.bucket_bits) != {
            "record_bytes": header.record_bytes, "buckets_offset": header.buckets_offset,
            "index_offset": header.index_offset, "tree_offset": header.tree_offset}:
        problems.append("record size or section offsets do not follow from the header")
    if not problems and size != header.tree_offset + layout.node_count(header.entries) * NODE_BYTES:
        problems.append(f"file size {size} does not match the header")
    if problems:
        raise ArtifactError(f"{path}: corrupt header: {'; '.join(problems)}")
    return header


def _ask_for_huge_pages(handle: mmap.mmap) -> None:
    """Ask the kernel to back the mapping with 2 MiB pages where it can (Linux, file systems with large
    folios such as ext4 and xfs on recent kernels, pages not yet cached): a lookup reads about a dozen
    scattered pages, and with 4 KiB pages each is a TLB miss, which is dear under virtualisation.
    A hint only; it changes no byte read and is skipped where unsupported."""
    advice = getattr(mmap, "MADV_HUGEPAGE", None)
    if advice is not None:
        with contextlib.suppress(OSError):
            handle.madvise(advice)
