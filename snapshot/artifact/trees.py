"""The tree section of an artifact, one class per tree layout: where a leaf's proof lies, what a leaf and
an inner node hash to, and where the root sits.

``OzLayout`` is OpenZeppelin's ``StandardMerkleTree`` array (root first, leaves last, heap numbering);
``DistributorLayout`` is the jup-ag merkle-distributor's ``MerkleTree::nodes`` (levels bottom-up, the
last node of an odd level paired with itself, root last). ``LAYOUTS`` maps the header's ``tree`` to its
class, so nothing else branches on the kind.

Invariant: a layout only reads the mapped tree section (through a memoryview: proof siblings are
joined without a bytes copy per node, ~60 ns each, eight or more per proof). ``proof_json`` fills, as
lookups need them, at most ``2**PROOF_CACHE_DEPTH`` slots of proofs' upper parts (a few MB at most);
nothing else is copied into Python objects.
"""

from __future__ import annotations

import binascii
from abc import ABC, abstractmethod
from collections.abc import Callable
from itertools import pairwise
from typing import ClassVar

import sha3

from snapshot import distributor, merkle
from snapshot.addresses import Chain
from snapshot.artifact.format import NODE_BYTES, TreeKind

#: ``proof_json`` keeps the JSON of the upper part of proofs (the siblings above this depth) for the
#: nodes at this depth: at most 2**12 fragments of ~830 bytes, made on first use.
PROOF_CACHE_DEPTH = 12


def json_hex_list(nodes: bytes) -> bytes:
    """``b'"0x<node>","0x<node>"'`` for concatenated 32-byte nodes: one hexlify, one replace."""
    if not nodes:
        return b""
    return b'"0x' + binascii.hexlify(nodes, b",", NODE_BYTES).replace(b",", b'","0x') + b'"'


class TreeLayout(ABC):
    """The tree section of one opened artifact: ``tree_offset`` is where it starts in ``view``."""

    kind: ClassVar[TreeKind]
    #: The chains whose keys this tree can hold, and what a header naming another one is told.
    chains: ClassVar[frozenset[Chain]]
    wrong_chain: ClassVar[str] = ""
    #: The sorted-pair hash of two nodes (what a proof is folded with).
    hash_pair: ClassVar[Callable[[bytes, bytes], bytes]]

    def __init__(self, view: memoryview, tree_offset: int, entries: int) -> None:
        self._view = view
        self._tree = tree_offset
        self.entries = entries
        self._upper_proofs: list[bytes | None] = [None] * (1 << PROOF_CACHE_DEPTH)

    @staticmethod
    @abstractmethod
    def node_count(entries: int) -> int:
        """How many 32-byte nodes the tree section of ``entries`` leaves holds."""

    @staticmethod
    @abstractmethod
    def first_leaf(entries: int) -> int:
        """The leaf index of the first leaf: leaf indexes run from it over ``entries`` nodes."""

    @staticmethod
    @abstractmethod
    def leaf(key: bytes, amount_be: bytes) -> bytes:
        """The leaf node of a record (raises ``OverflowError`` for an amount the tree cannot hold)."""

    @staticmethod
    @abstractmethod
    def root_of(tree: bytes) -> bytes:
        """The root, from the bytes of the whole tree section."""

    @staticmethod
    @abstractmethod
    def inner_node_problem(tree: bytes, entries: int) -> str | None:
        """What is wrong with the inner nodes (each the hash of its children), or None."""

    @property
    @abstractmethod
    def root_offset(self) -> int:
        """The root's byte offset in the file."""

    @abstractmethod
    def proof_nodes(self, leaf_index: int) -> bytes:
        """The proof of the leaf at ``leaf_index`` as one string of 32-byte nodes, in the tree's own
        order (OZ ``getProof``; distributor ``get_proof``). One bytes object rather than a list: the
        HTTP answer hex-encodes it in one call."""

    @abstractmethod
    def proof_json(self, leaf_index: int) -> bytes:
        """The proof of the leaf at ``leaf_index`` as the inside of a JSON array of ``0x`` hex strings
        (``b'"0x..","0x.."'``; empty for a one-leaf tree): what the eligibility answer carries.

        The upper part of a proof (the siblings on the top ``PROOF_CACHE_DEPTH`` levels) is shared by
        every leaf below one node, so its JSON is made once per such node and kept; only the lower
        siblings are read and encoded per call."""


class OzLayout(TreeLayout):
    """OpenZeppelin's tree array: 2n - 1 nodes, root first; the leaf index is OZ's ``treeIndex``."""

    kind = "oz"
    chains = frozenset({"evm", "solana"})
    hash_pair = staticmethod(merkle.hash_pair)

    @staticmethod
    def node_count(entries: int) -> int:
        return 2 * entries - 1

    @staticmethod
    def first_leaf(entries: int) -> int:
        return entries - 1

    @staticmethod
    def leaf(key: bytes, amount_be: bytes) -> bytes:
        keccak = sha3.keccak_256
        return keccak(keccak(key.rjust(32, b"\0") + amount_be).digest()).digest()

    @staticmethod
    def root_of(tree: bytes) -> bytes:
        return tree[:NODE_BYTES]

    @staticmethod
    def inner_node_problem(tree: bytes, entries: int) -> str | None:
        for i in range(entries - 2, -1, -1):
            left = tree[(2 * i + 1) * NODE_BYTES: (2 * i + 2) * NODE_BYTES]
            right = tree[(2 * i + 2) * NODE_BYTES: (2 * i + 3) * NODE_BYTES]
            if merkle.hash_pair(left, right) != tree[i * NODE_BYTES: (i + 1) * NODE_BYTES]:
                return f"tree node {i} is not the hash of its children"
        return None

    @property
    def root_offset(self) -> int:
        return self._tree

    def proof_nodes(self, leaf_index: int) -> bytes:
        return self._siblings(leaf_index + 1, 1)

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

    def proof_json(self, leaf_index: int) -> bytes:
        j = leaf_index + 1  # heap numbering from 1: sibling j ^ 1, parent j >> 1, depth bit_length - 1
        below = j.bit_length() - 1 - PROOF_CACHE_DEPTH
        if below <= 0:
            return json_hex_list(self._siblings(j, 1))
        upper_node = j >> below
        slot = upper_node - (1 << PROOF_CACHE_DEPTH)
        upper = self._upper_proofs[slot]
        if upper is None:
            upper = self._upper_proofs[slot] = json_hex_list(self._siblings(upper_node, 1))
        return b",".join((json_hex_list(self._siblings(j, upper_node)), upper))


class DistributorLayout(TreeLayout):
    """The merkle-distributor's levels, leaves first in list order; the leaf index is the list position."""

    kind = "distributor"
    chains = frozenset({"solana"})
    wrong_chain = "a distributor tree holds Solana public keys only"
    hash_pair = staticmethod(distributor.hash_pair)

    def __init__(self, view: memoryview, tree_offset: int, entries: int) -> None:
        super().__init__(view, tree_offset, entries)
        # (byte offset, length) of every level below the root, leaves first.
        starts = distributor.level_starts(entries)
        self._levels = [(tree_offset + start * NODE_BYTES, end - start) for start, end in pairwise(starts[:-1])]
        self._upper_shift = max(0, len(self._levels) - PROOF_CACHE_DEPTH)
        self._root_offset = tree_offset + (starts[-1] - 1) * NODE_BYTES

    @staticmethod
    def node_count(entries: int) -> int:
        return distributor.node_count(entries)

    @staticmethod
    def first_leaf(entries: int) -> int:
        return 0

    @staticmethod
    def leaf(key: bytes, amount_be: bytes) -> bytes:
        amount = int.from_bytes(amount_be)
        if amount >= distributor.U64_LIMIT:
            raise OverflowError(f"amount {amount} does not fit the distributor's u64")
        return distributor.leaf_hash(key, amount)

    @staticmethod
    def root_of(tree: bytes) -> bytes:
        return tree[-NODE_BYTES:]

    @staticmethod
    def inner_node_problem(tree: bytes, entries: int) -> str | None:
        leaves = [tree[i * NODE_BYTES: (i + 1) * NODE_BYTES] for i in range(entries)]
        if b"".join(distributor.build_nodes(leaves)) != tree:
            return "a tree node is not the hash of its children"
        return None

    @property
    def root_offset(self) -> int:
        return self._root_offset

    def _siblings(self, index: int, first: int, last: int) -> bytes:
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

    def proof_nodes(self, leaf_index: int) -> bytes:
        return self._siblings(leaf_index, 0, len(self._levels))

    def proof_json(self, leaf_index: int) -> bytes:
        # The siblings on the top PROOF_CACHE_DEPTH levels are shared by the leaves under one node of
        # level ``_upper_shift``, and cached per node.
        shift = self._upper_shift
        if shift == 0:
            return json_hex_list(self._siblings(leaf_index, 0, len(self._levels)))
        slot = leaf_index >> shift
        upper = self._upper_proofs[slot]
        if upper is None:
            upper = self._upper_proofs[slot] = json_hex_list(self._siblings(leaf_index, shift, len(self._levels)))
        return b",".join((json_hex_list(self._siblings(leaf_index, 0, shift)), upper))


LAYOUTS: dict[str, type[TreeLayout]] = {layout.kind: layout for layout in (OzLayout, DistributorLayout)}


def tree_nodes(tree: TreeKind, entries: int) -> int:
    """How many 32-byte nodes the tree section of ``entries`` leaves holds."""
    return LAYOUTS[tree].node_count(entries)
