"""Merkle trees exactly as OpenZeppelin's ``StandardMerkleTree`` (``@openzeppelin/merkle-tree``) builds them.

- leaf = keccak256(keccak256(abi.encode(values...))) — the double hash keeps a leaf from ever
  being mistaken for an inner node;
- leaves are sorted by hash (ascending) and placed at the end of a ``2n - 1`` node array in
  reverse order; node ``i`` = hash_pair(node ``2i + 1``, node ``2i + 2``) with the pair sorted
  before hashing, so a proof needs no left/right flags;
- a value's ``treeIndex`` is the array index of its leaf; its proof is the sibling of every node on
  the path to the root (``getProof``).

Snapshot entries encode as ``["address", "uint256"]`` (EVM) or ``["bytes32", "uint256"]`` (Solana
public key); both are 64 bytes of ABI encoding, which ``encode_entry`` produces.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import sha3

from snapshot.addresses import Address

NODE_BYTES = 32
_keccak = sha3.keccak_256


def encode_entry(raw_address: bytes, amount: int) -> bytes:
    """``abi.encode(address|bytes32, uint256)``: the key left-padded to 32 bytes, then the amount."""
    return raw_address.rjust(32, b"\0") + amount.to_bytes(32)


def leaf_of_encoded(encoded: bytes) -> bytes:
    """OpenZeppelin's standard leaf of already ABI-encoded values."""
    return _keccak(_keccak(encoded).digest()).digest()


def leaf_hash(address: Address, amount: int) -> bytes:
    """The leaf of one snapshot entry."""
    return leaf_of_encoded(encode_entry(address.raw, amount))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """keccak256 of the two nodes in ascending order (OpenZeppelin's ``commutativeKeccak256``)."""
    return _keccak(a + b if a < b else b + a).digest()


def verify_proof(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    """OpenZeppelin ``MerkleProof.processProof`` with sorted pairs, compared to ``root``."""
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node == root


def proof_indices(tree_index: int) -> list[int]:
    """Array indices of the siblings on the path from ``tree_index`` to the root (``getProof`` order)."""
    siblings = []
    while tree_index > 0:
        siblings.append(tree_index + 1 if tree_index % 2 else tree_index - 1)
        tree_index = (tree_index - 1) // 2
    return siblings


def build_nodes(leaves_descending: list[bytes]) -> list[bytes]:
    """The whole node array (``2n - 1`` nodes) for leaves already sorted by hash, largest first.

    Largest first because that is how the leaves sit at the end of the array. Works a level of the
    implicit binary heap at a time (parents ``[lo, hi)`` have children ``[2lo + 1, 2hi + 1)``), so
    the inner loop is one comprehension over pairs rather than an indexed loop.
    """
    count = len(leaves_descending)
    if count == 0:
        raise ValueError("a Merkle tree needs at least one leaf")
    nodes: list[bytes] = [b""] * (count - 1) + leaves_descending
    keccak = _keccak
    hi = count - 1
    while hi > 0:
        lo = (1 << (hi.bit_length() - 1)) - 1  # first index of the level holding node hi - 1
        children = nodes[2 * lo + 1: 2 * hi + 1]
        nodes[lo:hi] = [keccak(a + b if a < b else b + a).digest()
                        for a, b in zip(children[0::2], children[1::2], strict=True)]
        hi = lo
    return nodes


class Tree(msgspec.Struct, frozen=True):
    """A built ``StandardMerkleTree``: ``nodes`` is OZ's ``tree`` array, ``tree_index[v]`` the leaf of value ``v``."""

    nodes: list[bytes]
    tree_index: list[int]

    @property
    def root(self) -> bytes:
        return self.nodes[0]

    def proof(self, value_index: int) -> list[bytes]:
        """``getProof`` for the value at ``value_index`` of the input."""
        return [self.nodes[i] for i in proof_indices(self.tree_index[value_index])]


def standard_tree(encoded_values: Sequence[bytes]) -> Tree:
    """``StandardMerkleTree.of`` over ABI-encoded values (each value's ``abi.encode`` bytes).

    Any leaf encoding works (``["address", "address", "uint256"]`` for an allowlist, say): the
    caller encodes, this builds. Values must be distinct, as OpenZeppelin requires for a usable tree.
    """
    leaves = [leaf_of_encoded(value) for value in encoded_values]
    order = sorted(range(len(leaves)), key=leaves.__getitem__, reverse=True)
    nodes = build_nodes([leaves[i] for i in order])
    tree_index = [0] * len(leaves)
    first_leaf = len(leaves) - 1
    for position, value_index in enumerate(order):
        tree_index[value_index] = first_leaf + position
    return Tree(nodes, tree_index)
