"""Snapshot library: holder lists, Merkle trees (OpenZeppelin's, ``merkle``; the Solana
merkle-distributor's, ``distributor``), mmap'd artifacts, exact amount conversion (``conversion``).

Pure: imports nothing from ``portal``. See ``snapshot.artifact.format`` for the file format.
"""

from snapshot.addresses import Address, Chain, parse_address
from snapshot.artifact import Entry, Manifest, Snapshot
from snapshot.build import build_artifact
from snapshot.errors import ArtifactError, HolderListError, InvalidAddressError, SnapshotError
from snapshot.merkle import Tree, leaf_hash, standard_tree, verify_proof

__all__ = [
    "Address", "ArtifactError", "Chain", "Entry", "HolderListError", "InvalidAddressError", "Manifest",
    "Snapshot", "SnapshotError", "Tree", "build_artifact", "leaf_hash", "parse_address", "standard_tree",
    "verify_proof",
]
