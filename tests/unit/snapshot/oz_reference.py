"""An independent OpenZeppelin StandardMerkleTree verifier for the snapshot tests (not the library's code)."""

from __future__ import annotations

import sha3


def keccak(data: bytes) -> bytes:
    return sha3.keccak_256(data).digest()


def oz_leaf(raw_key: bytes, amount: int) -> bytes:
    return keccak(keccak(raw_key.rjust(32, b"\0") + amount.to_bytes(32, "big")))


def oz_process_proof(leaf: bytes, proof: list[str]) -> str:
    """OpenZeppelin MerkleProof.processProof (sorted pairs), written independently of the library."""
    node = leaf
    for sibling_hex in proof:
        sibling = bytes.fromhex(sibling_hex[2:])
        node = keccak(min(node, sibling) + max(node, sibling))
    return "0x" + node.hex()
