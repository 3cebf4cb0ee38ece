"""Checking an artifact's content, beyond the framing ``Snapshot.open`` checks.

The invariants: the file's name is the sha256 of its bytes; the keys are sorted and the bucket table is
the one ``bucket_starts`` makes of them; the leaf of record i (``TreeLayout.leaf``: OZ
keccak(keccak(abi.encode(key, amount))); distributor ``distributor.leaf_hash(key, amount, 0)``) sits at
its leaf index, each leaf index used once; every inner node is the sorted-pair hash of its children
(keccak for OZ, ``0x01``-prefixed sha256 for the distributor); the header's root is the tree's root
(node 0 for OZ, the last node for the distributor).

``verify`` re-checks all of it (a pass over the file); ``verify_sample`` checks the hash, the root and
sampled records' proofs, each found again through the bucket table, for right after a build.
"""

from __future__ import annotations

import hashlib
import mmap
import random
from pathlib import Path
from typing import Protocol

from snapshot.artifact.format import (
    AMOUNT_BYTES,
    NODE_BYTES,
    Header,
    bucket_starts,
    is_content_addressed,
    record_format,
)
from snapshot.artifact.trees import TreeLayout
from snapshot.errors import ArtifactError


class Opened(Protocol):
    """What the checks read of an opened artifact (``snapshot.artifact.reader.Snapshot``)."""

    path: Path
    mapped: mmap.mmap
    header: Header
    layout: TreeLayout

    def find(self, key: bytes) -> int: ...
    def key_at(self, number: int) -> bytes: ...
    def value_at(self, number: int) -> tuple[int, int]: ...
    def node(self, index: int) -> bytes: ...
    def root(self) -> bytes: ...


def verify(opened: Opened) -> None:
    """Re-check everything: file hash, bucket table, key order, every leaf at its index, every inner
    node, the root."""
    path, data, header, layout = opened.path, opened.mapped, opened.header, opened.layout
    check_file_hash(opened)
    count = header.entries
    tree_offset = header.tree_offset
    records = record_format(header.key_bytes).iter_unpack(data[header.index_offset: tree_offset])
    keys, amounts, tree_indexes = (list(column) for column in zip(*records, strict=True))
    if any(keys[i] >= keys[i + 1] for i in range(count - 1)):
        raise ArtifactError(f"{path}: keys not sorted")
    table_size = ((1 << header.bucket_bits) + 1) * 4
    if bucket_starts(keys, header.bucket_bits) != data[header.buckets_offset: header.buckets_offset + table_size]:
        raise ArtifactError(f"{path}: bucket table does not match the keys")
    tree = data[tree_offset: tree_offset + layout.node_count(count) * NODE_BYTES]
    first_leaf = layout.first_leaf(count)
    seen_tree_index = bytearray(count)
    for number, (amount, tree_index) in enumerate(zip(amounts, tree_indexes, strict=True)):
        if not first_leaf <= tree_index < first_leaf + count or seen_tree_index[tree_index - first_leaf]:
            raise ArtifactError(f"{path}: record {number} has a bad leaf index {tree_index}")
        seen_tree_index[tree_index - first_leaf] = 1
        if _leaf(opened, keys[number], amount) != tree[tree_index * NODE_BYTES: (tree_index + 1) * NODE_BYTES]:
            raise ArtifactError(f"{path}: leaf of record {number} does not match the tree")
    del keys, amounts, tree_indexes
    problem = layout.inner_node_problem(tree, count)
    if problem:
        raise ArtifactError(f"{path}: {problem}")
    if "0x" + layout.root_of(tree).hex() != header.merkle_root:
        raise ArtifactError(f"{path}: header root does not match the tree")


def verify_sample(opened: Opened, samples: int, *, file_hash: bool) -> None:
    """File hash (when asked) and the proofs of sampled entries, each found again through the bucket table."""
    path, layout, count = opened.path, opened.layout, opened.header.entries
    if file_hash:
        check_file_hash(opened)
    root = bytes.fromhex(opened.header.merkle_root[2:])
    if opened.root() != root:
        raise ArtifactError(f"{path}: header root does not match the tree")
    rng = random.Random(0)
    numbers = range(count) if count <= samples else rng.sample(range(count), samples)
    pair = layout.hash_pair
    for number in numbers:
        key = opened.key_at(number)
        if opened.find(key) != number:
            raise ArtifactError(f"{path}: key of record {number} is not found through the bucket table")
        amount, tree_index = opened.value_at(number)
        node = _leaf(opened, key, amount.to_bytes(AMOUNT_BYTES))
        if node != opened.node(tree_index):
            raise ArtifactError(f"{path}: leaf of record {number} does not match the tree")
        siblings = layout.proof_nodes(tree_index)
        for i in range(0, len(siblings), NODE_BYTES):
            node = pair(node, siblings[i: i + NODE_BYTES])
        if node != root:
            raise ArtifactError(f"{path}: proof of record {number} does not reach the root")


def check_file_hash(opened: Opened) -> None:
    """The file's name must be the sha256 of its bytes (a renamed copy cannot be verified)."""
    if not is_content_addressed(opened.path):
        raise ArtifactError(f"{opened.path}: file name is not its sha256 (content-addressed name expected)")
    if hashlib.sha256(opened.mapped).hexdigest() != opened.path.stem:
        raise ArtifactError(f"{opened.path}: sha256 of the file does not match its name (corrupted)")


def _leaf(opened: Opened, key: bytes, amount_be: bytes) -> bytes:
    try:
        return opened.layout.leaf(key, amount_be)
    except OverflowError as exc:
        raise ArtifactError(f"{opened.path}: {exc}") from None
