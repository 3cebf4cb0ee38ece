"""Merkle trees exactly as the Solana merkle-distributor builds and checks them.

The reference is ``jito-foundation/distributor`` and its fork ``jup-ag/distributor`` (the JUP and
Jito airdrops): ``merkle-tree/src/merkle_tree.rs`` (itself from ``jito-solana``), ``tree_node.rs``,
``airdrop_merkle_tree.rs``, and the on-chain ``verify/src/lib.rs``. Everything is SHA-256:

- a claim node is ``sha256(claimant[32] ‖ u64_le(amount) ‖ u64_le(locked_amount))`` (``TreeNode::hash``);
- its leaf is ``sha256(0x00 ‖ node)``; an inner node is ``sha256(0x01 ‖ min(a, b) ‖ max(a, b))`` with
  bytewise order (``sorted_hashes = true``), so a proof needs no left/right flags;
- leaves stay in input order (no sorting, unlike OpenZeppelin); a level of odd length pairs its last
  node with itself, and that node is then its own sibling in the proof;
- the node array is the levels concatenated bottom-up (leaves first, root last); a one-leaf tree's
  root is the leaf and its proof is empty.

Limits, refused rather than wrapped: amounts are u64 (so are the totals the distributor account
holds, ``max_total_claim``), and a tree holds at most 2**32 - 1 nodes (height 32).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence

NODE_BYTES = 32
U64_LIMIT = 2**64
#: ``AirdropMerkleTree::validate``: "The Merkle tree can be at most height 32".
MAX_NODES = 2**32 - 1
_LEAF_PREFIX = b"\x00"
_INTERMEDIATE_PREFIX = b"\x01"
_sha256 = hashlib.sha256


class DistributorLimitError(ValueError):
    """An amount, total or node count the distributor cannot hold (u64, 2**32 - 1 nodes)."""


def check_node_count(count: int) -> None:
    if count < 1:
        raise DistributorLimitError("a distributor tree needs at least one node")
    if count > MAX_NODES:
        raise DistributorLimitError(f"{count} nodes is more than a distributor tree holds (2^32 - 1)")


def check_u64(value: int, what: str) -> None:
    if not 0 <= value < U64_LIMIT:
        raise DistributorLimitError(f"{what} {value} does not fit in a u64 (the distributor's amount type)")


def claim_node(claimant: bytes, amount: int, locked_amount: int = 0) -> bytes:
    """``TreeNode::hash``: what the claim program recomputes from the claimant and the two amounts."""
    return _sha256(claimant + amount.to_bytes(8, "little") + locked_amount.to_bytes(8, "little")).digest()


def leaf_hash(claimant: bytes, amount: int, locked_amount: int = 0) -> bytes:
    """The tree's leaf for one claim: ``sha256(0x00 ‖ claim_node)``."""
    return _sha256(_LEAF_PREFIX + claim_node(claimant, amount, locked_amount)).digest()


def hash_pair(a: bytes, b: bytes) -> bytes:
    """An inner node: ``sha256(0x01 ‖ min ‖ max)``."""
    return _sha256(_INTERMEDIATE_PREFIX + a + b if a <= b else _INTERMEDIATE_PREFIX + b + a).digest()


def verify(proof: Iterable[bytes], root: bytes, leaf: bytes) -> bool:
    """``jito_merkle_verify::verify``, the check ``new_claim`` runs on chain."""
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node == root


def level_lengths(count: int) -> list[int]:
    """Lengths of the levels, leaves first: ``next_level_len`` is ``(n + 1) // 2`` until one is left."""
    check_node_count(count)
    lengths = [count]
    while lengths[-1] > 1:
        lengths.append((lengths[-1] + 1) // 2)
    return lengths


def level_starts(count: int) -> list[int]:
    """Where each level starts in the node array (the last entry is the array's length)."""
    starts = [0]
    for length in level_lengths(count):
        starts.append(starts[-1] + length)
    return starts


def node_count(count: int) -> int:
    """Length of the node array of a tree of ``count`` leaves (about ``2 * count + log2(count)``)."""
    return sum(level_lengths(count))


def build_nodes(leaves: list[bytes]) -> list[bytes]:
    """The node array (``MerkleTree::nodes``) over already prefixed leaves: one comprehension per level."""
    check_node_count(len(leaves))
    nodes = list(leaves)
    level = leaves
    sha = _sha256
    prefix = _INTERMEDIATE_PREFIX
    while len(level) > 1:
        if len(level) % 2:
            level = [*level, level[-1]]
        level = [sha(prefix + a + b if a <= b else prefix + b + a).digest()
                 for a, b in zip(level[0::2], level[1::2], strict=True)]
        nodes.extend(level)
    return nodes


def sibling_positions(index: int, count: int) -> Iterator[int]:
    """Positions in the node array of the proof of leaf ``index`` (``utils::get_proof`` order)."""
    start = 0
    length = count
    while length > 1:
        sibling = index ^ 1
        yield start + (sibling if sibling < length else index)
        start += length
        length = (length + 1) // 2
        index >>= 1


def proof(nodes: Sequence[bytes], index: int, count: int) -> list[bytes]:
    return [nodes[position] for position in sibling_positions(index, count)]


class Claim:
    """One ``TreeNode`` of the distributor: claimant public key and its two amounts."""

    __slots__ = ("amount", "claimant", "locked_amount")

    def __init__(self, claimant: bytes, amount: int, locked_amount: int = 0) -> None:
        self.claimant = claimant
        self.amount = amount
        self.locked_amount = locked_amount


def combine(claims: Iterable[Claim]) -> list[Claim]:
    """``AirdropMerkleTree::new``'s first step: one node per claimant, amounts of repeats added, the
    order of first appearance kept."""
    merged: dict[bytes, Claim] = {}
    for claim in claims:
        seen = merged.get(claim.claimant)
        if seen is None:
            merged[claim.claimant] = Claim(claim.claimant, claim.amount, claim.locked_amount)
        else:
            seen.amount += claim.amount
            seen.locked_amount += claim.locked_amount
    return list(merged.values())


def shard(count: int, max_nodes_per_tree: int) -> list[range]:
    """``process_create_merkle_tree``: consecutive runs of at most ``max_nodes_per_tree`` entries, in
    input order; tree ``i`` is the ``i``-th run and ``i`` is its ``airdrop_version``."""
    if max_nodes_per_tree < 1:
        raise DistributorLimitError("max_nodes_per_tree must be at least 1")
    return [range(start, min(start + max_nodes_per_tree, count)) for start in range(0, count, max_nodes_per_tree)]


# --- JSON exactly as ``AirdropMerkleTree::write_to_file`` writes it (serde_json::to_string_pretty) ---
# serde serialises ``Pubkey`` and ``[u8; 32]`` as arrays of integers, ``Option<Vec<_>>`` as an array
# (or null), and the pretty formatter puts every array element on its own line, indented two spaces
# per level, with no newline at the end of the file.

def _byte_table(indent: int) -> list[bytes]:
    return [b"\n" + b" " * indent + str(value).encode() for value in range(256)]


_ROOT_BYTES = _byte_table(4)
_CLAIMANT_BYTES = _byte_table(8)
_PROOF_BYTES = _byte_table(10)


def _array(table: list[bytes], data: bytes, close_indent: int) -> bytes:
    return b"[" + b",".join(map(table.__getitem__, data)) + b"\n" + b" " * close_indent + b"]"


def tree_node_json(claim: Claim, siblings: bytes) -> bytes:
    """One element of ``tree_nodes`` (``proof`` given as the concatenated 32-byte siblings)."""
    if siblings:
        nodes = [_array(_PROOF_BYTES, siblings[i: i + NODE_BYTES], 8) for i in range(0, len(siblings), NODE_BYTES)]
        proof_json = b"[\n        " + b",\n        ".join(nodes) + b"\n      ]"
    else:
        proof_json = b"[]"
    return b"".join((
        b'    {\n      "claimant": ', _array(_CLAIMANT_BYTES, claim.claimant, 6),
        b',\n      "amount": %d,\n      "locked_amount": %d,\n      "proof": ' % (claim.amount, claim.locked_amount),
        proof_json, b"\n    }",
    ))


def airdrop_tree_json(root: bytes, version: int, claims: Sequence[Claim],
                      node_json: Iterable[bytes]) -> Iterator[bytes]:
    """The file ``write_to_file`` writes, in pieces (a million-node tree is gigabytes of it).

    ``node_json`` yields ``tree_node_json`` of each claim in order. Totals are checked to fit u64
    as the Rust code's ``checked_add(..).unwrap()`` requires.
    """
    unlocked = sum(claim.amount for claim in claims)
    locked = sum(claim.locked_amount for claim in claims)
    check_u64(unlocked, "total_unlocked_amount")
    check_u64(locked, "total_locked_amount")
    check_u64(unlocked + locked, "max_total_claim (unlocked + locked)")
    yield b'{\n  "merkle_root": ' + _array(_ROOT_BYTES, root, 2)
    yield (b',\n  "airdrop_version": %d,\n  "max_num_nodes": %d,\n  "total_unlocked_amount": %d,\n'
           b'  "total_locked_amount": %d,\n  "tree_nodes": [' % (version, len(claims), unlocked, locked))
    first = True
    for piece in node_json:
        yield (b"\n" if first else b",\n") + piece
        first = False
    yield b"\n  ]\n}" if not first else b"]\n}"


class AirdropTree:
    """An ``AirdropMerkleTree`` built in memory (a shard, an allowlist): claims, node array, root."""

    def __init__(self, claims: Sequence[Claim], version: int = 0) -> None:
        check_node_count(len(claims))
        for claim in claims:
            check_u64(claim.amount, "amount")
            check_u64(claim.locked_amount, "locked_amount")
        self.claims = list(claims)
        self.version = version
        self.nodes = build_nodes([leaf_hash(c.claimant, c.amount, c.locked_amount) for c in self.claims])

    @property
    def root(self) -> bytes:
        return self.nodes[-1]

    def proof(self, index: int) -> list[bytes]:
        return proof(self.nodes, index, len(self.claims))

    def json_pieces(self) -> Iterator[bytes]:
        nodes = (tree_node_json(claim, b"".join(self.proof(i))) for i, claim in enumerate(self.claims))
        return airdrop_tree_json(self.root, self.version, self.claims, nodes)

    def to_json(self) -> bytes:
        return b"".join(self.json_pieces())
