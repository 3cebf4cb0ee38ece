"""The ``uniswap`` claim tree against an independent reading of ``@uniswap/merkle-distributor``.

The leaf is checked against web3's ``solidity_keccak`` (its own ``abi.encodePacked``); the tree
against a line-by-line transliteration of ``src/merkle-tree.ts`` below (a reduce over pairs, an
undefined partner passes the element up). The contract itself claims these proofs in
``tests/integration/test_release_chain.py``.
"""

from __future__ import annotations

import sha3
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3

from snapshot import uniswap


def _keccak(data: bytes) -> bytes:
    return sha3.keccak_256(data).digest()


def _reference_root_and_proofs(leaves: list[bytes]) -> tuple[bytes, dict[bytes, list[bytes]]]:
    """``MerkleTree`` of merkle-tree.ts: sort, dedupe, layers, ``getProof``."""
    elements = sorted(set(leaves))
    layers = [elements]
    while len(layers[-1]) > 1:
        layer = layers[-1]
        nxt = []
        for idx in range(0, len(layer), 2):
            first, second = layer[idx], layer[idx + 1] if idx + 1 < len(layer) else None
            nxt.append(first if second is None else _keccak(b"".join(sorted((first, second)))))
        layers.append(nxt)
    proofs = {}
    for element in elements:
        idx = elements.index(element)
        proof = []
        for layer in layers:
            pair = idx + 1 if idx % 2 == 0 else idx - 1
            if pair < len(layer):
                proof.append(layer[pair])
            idx //= 2
        proofs[element] = proof
    return layers[-1][0], proofs


def test_leaf_is_abi_encode_packed_index_account_amount() -> None:
    account = bytes.fromhex("f39fd6e51aad88f6f4ce6ab8827279cfffb92266")
    expected = Web3.solidity_keccak(["uint256", "address", "uint256"],
                                    [7, Web3.to_checksum_address(account), 10**21])
    assert uniswap.leaf_hash(7, account, 10**21) == bytes(expected)


def test_one_claim_is_its_own_root_with_an_empty_proof() -> None:
    tree = uniswap.ClaimTree([(b"\x11" * 20, 5)])
    assert tree.root == uniswap.leaf_hash(0, b"\x11" * 20, 5)
    assert tree.proof(0) == []


def test_a_changed_amount_or_index_does_not_verify() -> None:
    claims = [(bytes([i]) * 20, 100 + i) for i in range(1, 6)]
    tree = uniswap.ClaimTree(claims)
    proof = tree.proof(2)
    assert uniswap.verify(proof, tree.root, uniswap.leaf_hash(2, claims[2][0], claims[2][1]))
    assert not uniswap.verify(proof, tree.root, uniswap.leaf_hash(2, claims[2][0], claims[2][1] + 1))
    assert not uniswap.verify(proof, tree.root, uniswap.leaf_hash(3, claims[2][0], claims[2][1]))


def test_leaf_refuses_what_the_contract_cannot_hold() -> None:
    for args in ((0, b"\x01" * 19, 1), (0, b"\x01" * 20, 2**256), (-1, b"\x01" * 20, 1)):
        try:
            uniswap.leaf_hash(*args)
        except ValueError:
            continue
        raise AssertionError(f"{args} was accepted")


claims_strategy = st.lists(st.tuples(st.binary(min_size=20, max_size=20), st.integers(0, 2**256 - 1)),
                           min_size=1, max_size=70)


@settings(max_examples=120, deadline=None)
@given(claims_strategy)
def test_every_proof_verifies_and_matches_the_reference(claims: list[tuple[bytes, int]]) -> None:
    tree = uniswap.ClaimTree(claims)
    root, proofs = _reference_root_and_proofs(tree.leaves)
    assert tree.root == root
    for index, (account, amount) in enumerate(claims):
        leaf = uniswap.leaf_hash(index, account, amount)
        assert tree.proof(index) == proofs[leaf]
        assert uniswap.verify(tree.proof(index), tree.root, leaf)
