"""Claim trees exactly as Uniswap's ``MerkleDistributor`` checks them (``@uniswap/merkle-distributor``).

Why a third tree: a deployed ``MerkleDistributor`` (the contract of hundreds of airdrops) is the
cheapest claim contract an operator can point holders at, and it recomputes its own leaf, so the
portal must build exactly that leaf and tree:

- leaf = ``keccak256(abi.encodePacked(uint256 index, address account, uint256 amount))``: 32 + 20 +
  32 bytes, one hash (``BalanceTree.toNode``); ``index`` is the claim's bit in ``isClaimed``;
- the leaves are sorted ascending (and deduplicated, which distinct indices make a no-op); each
  level pairs neighbours with ``keccak256(min ‖ max)`` (OpenZeppelin ``MerkleProof`` with sorted
  pairs); a level's odd last node is carried up unchanged and has no sibling in the proof
  (``MerkleTree.getNextLayer`` / ``getPairElement`` of ``src/merkle-tree.ts``);
- a one-leaf tree's root is its leaf and its proof is empty.

The claims JSON (``uniswap_claims_json``) is ``parseBalanceMap``'s output shape: ``merkleRoot``,
``tokenTotal`` and each ``amount`` as 0x hex, claims keyed by account.
"""

from __future__ import annotations

from collections.abc import Sequence

import sha3

from snapshot.merkle import verify_proof

UINT256_LIMIT = 2**256
_keccak = sha3.keccak_256


def leaf_hash(index: int, account: bytes, amount: int) -> bytes:
    """``keccak256(abi.encodePacked(uint256 index, address account, uint256 amount))``."""
    if len(account) != 20:
        raise ValueError(f"an account is 20 bytes, got {len(account)}")
    if not (0 <= index < UINT256_LIMIT and 0 <= amount < UINT256_LIMIT):
        raise ValueError("index and amount must fit in a uint256")
    return _keccak(index.to_bytes(32) + account + amount.to_bytes(32)).digest()


def verify(proof: Sequence[bytes], root: bytes, leaf: bytes) -> bool:
    """What ``MerkleDistributor.claim`` runs: OpenZeppelin ``MerkleProof.verify`` with sorted pairs."""
    return verify_proof(root, leaf, proof)


class ClaimTree:
    """A built tree over ``(account, amount)`` claims; claim ``i`` has index ``i``."""

    def __init__(self, claims: Sequence[tuple[bytes, int]]) -> None:
        if not claims:
            raise ValueError("a claim tree needs at least one claim")
        self.leaves = [leaf_hash(index, account, amount) for index, (account, amount) in enumerate(claims)]
        ordered = sorted(self.leaves)
        self._position = {leaf: position for position, leaf in enumerate(ordered)}
        if len(self._position) != len(ordered):
            raise ValueError("two claims have the same leaf")  # distinct indices make this unreachable
        self.layers = [ordered]
        keccak = _keccak
        while len(level := self.layers[-1]) > 1:
            pairs = [keccak(a + b if a < b else b + a).digest() for a, b in zip(level[0::2], level[1::2], strict=False)]
            if len(level) % 2:
                pairs.append(level[-1])  # combinedHash(el, undefined) = el
            self.layers.append(pairs)

    @property
    def root(self) -> bytes:
        return self.layers[-1][0]

    def proof(self, index: int) -> list[bytes]:
        """``MerkleTree.getProof`` of claim ``index``'s leaf."""
        position = self._position[self.leaves[index]]
        siblings = []
        for layer in self.layers[:-1]:
            pair = position + 1 if position % 2 == 0 else position - 1
            if pair < len(layer):
                siblings.append(layer[pair])
            position //= 2
        return siblings


def root_of(claims: Sequence[tuple[bytes, int]]) -> bytes:
    """The root alone (``ClaimTree(claims).root``), for checks that need nothing else."""
    return ClaimTree(claims).root

