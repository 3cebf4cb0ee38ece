"""The merkle-distributor's tree, transliterated line by line from its Rust, independent of ``snapshot``.

Sources (jup-ag/distributor@304c28a, the same files in jito-foundation/distributor@2cf79f6):
``merkle-tree/src/merkle_tree.rs`` (``MerkleTree::new``, ``find_path``), ``merkle-tree/src/utils.rs``
(``get_proof``), ``merkle-tree/src/tree_node.rs`` (``TreeNode::hash``) and ``verify/src/lib.rs``.
Building the Rust here needs crates.io (solana-program), which this machine cannot reach, so the
transliteration is anchored instead to two things the Rust produced: the golden root of
``merkle_tree.rs``'s own ``test_tree_from_many`` and the tree files jup-ag committed (see
``vectors/distributor_jup_ag.json``).
"""

from __future__ import annotations

from hashlib import sha256

LEAF_PREFIX = b"\x00"
INTERMEDIATE_PREFIX = b"\x01"


def hashv(*parts: bytes) -> bytes:
    return sha256(b"".join(parts)).digest()


def tree_node_hash(claimant: bytes, amount: int, locked_amount: int) -> bytes:
    """``TreeNode::hash``."""
    return hashv(claimant, amount.to_bytes(8, "little"), locked_amount.to_bytes(8, "little"))


def next_level_len(level_len: int) -> int:
    return 0 if level_len == 1 else (level_len + 1) // 2


class MerkleTree:
    """``MerkleTree::new(items, sorted_hashes)``: ``nodes`` is the Rust ``Vec<Hash>``."""

    def __init__(self, items: list[bytes], sorted_hashes: bool) -> None:
        self.leaf_count = len(items)
        self.nodes = [hashv(LEAF_PREFIX, item) for item in items]
        level_len = next_level_len(len(items))
        level_start = len(items)
        prev_level_len = len(items)
        prev_level_start = 0
        while level_len > 0:
            for i in range(level_len):
                prev_level_idx = 2 * i
                lsib = self.nodes[prev_level_start + prev_level_idx]
                if prev_level_idx + 1 < prev_level_len:
                    rsib = self.nodes[prev_level_start + prev_level_idx + 1]
                else:
                    rsib = self.nodes[prev_level_start + prev_level_idx]
                if sorted_hashes and not lsib <= rsib:
                    lsib, rsib = rsib, lsib
                self.nodes.append(hashv(INTERMEDIATE_PREFIX, lsib, rsib))
            prev_level_start = level_start
            prev_level_len = level_len
            level_start += level_len
            level_len = next_level_len(level_len)

    def get_root(self) -> bytes | None:
        return self.nodes[-1] if self.nodes else None

    def find_path(self, index: int) -> list[tuple[bytes, bytes | None, bytes | None]] | None:
        """``find_path``: ``(target, left sibling, right sibling)`` per level above the leaves."""
        if index >= self.leaf_count:
            return None
        level_len, level_start, node_index = self.leaf_count, 0, index
        path = []
        lsib = rsib = None
        while level_len > 0:
            level = self.nodes[level_start: level_start + level_len]
            target = level[node_index]
            if lsib is not None or rsib is not None:
                path.append((target, lsib, rsib))
            if node_index % 2 == 0:
                lsib = None
                rsib = level[node_index + 1] if node_index + 1 < len(level) else level[node_index]
            else:
                lsib = level[node_index - 1]
                rsib = None
            node_index //= 2
            level_start += level_len
            level_len = next_level_len(level_len)
        return path


def get_proof(tree: MerkleTree, index: int) -> list[bytes]:
    """``utils::get_proof``."""
    path = tree.find_path(index)
    assert path is not None
    return [left if left is not None else right for _, left, right in path]  # type: ignore[misc]


def airdrop_tree(claims: list[tuple[bytes, int, int]]) -> tuple[bytes, list[list[bytes]]]:
    """Root and proofs ``AirdropMerkleTree::new`` computes for distinct claimants (input order)."""
    tree = MerkleTree([tree_node_hash(*claim) for claim in claims], True)
    root = tree.get_root()
    assert root is not None
    return root, [get_proof(tree, i) for i in range(len(claims))]


def verify(proof: list[bytes], root: bytes, leaf: bytes) -> bool:
    """``jito_merkle_verify::verify``: what ``new_claim`` runs on chain."""
    computed = leaf
    for element in proof:
        if computed <= element:
            computed = hashv(b"\x01", computed, element)
        else:
            computed = hashv(b"\x01", element, computed)
    return computed == root


def claim_leaf(claimant: bytes, amount: int, locked_amount: int = 0) -> bytes:
    """What ``new_claim`` hashes before ``verify``: ``hashv(&[LEAF_PREFIX, &node])``."""
    return hashv(LEAF_PREFIX, tree_node_hash(claimant, amount, locked_amount))
