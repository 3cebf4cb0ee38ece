"""The snapshot artifact: one immutable, content-addressed file of holders, read through mmap.

Cut by job: ``format`` (the bytes: header, bucket table, records; writing the prefix), ``trees`` (one
class per tree layout, OZ and the jup-ag distributor: proofs, leaves, root), ``reader`` (``Snapshot``:
open, find, lookup) and ``verifier`` (the content checks). The names below are what callers import.
"""

from snapshot.artifact.format import (
    AMOUNT_BYTES,
    MAX_DECIMALS,
    NODE_BYTES,
    SUFFIX,
    Entry,
    Manifest,
    PublicManifest,
    TreeKind,
    bucket_bits_for,
    bucket_starts,
    encode_prefix,
    record_format,
)
from snapshot.artifact.reader import Snapshot
from snapshot.artifact.trees import PROOF_CACHE_DEPTH, tree_nodes

__all__ = [
    "AMOUNT_BYTES", "MAX_DECIMALS", "NODE_BYTES", "PROOF_CACHE_DEPTH", "SUFFIX", "Entry", "Manifest",
    "PublicManifest", "Snapshot",
    "TreeKind", "bucket_bits_for", "bucket_starts", "encode_prefix", "record_format", "tree_nodes",
]
